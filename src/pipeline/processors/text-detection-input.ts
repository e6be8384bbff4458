import sharp from 'sharp'
import type { Tensor } from '../../core/tensor.js'
import { Errors } from '../../errors/codes.js'
import { InferdError } from '../../errors/inferd-error.js'

/**
 * The input side of a DB text detector (PaddleOCR's DetResizeForTest + NormalizeImage): decode,
 * resize so that both sides are multiples of 32 (the network downsamples by 32 and upsamples
 * back, so other sizes would misalign its feature maps), normalise ImageNet-style.
 *
 * Why not the image processor (image.ts)? It makes one fixed size for every image, which suits
 * classifiers. A detector wants the page's own aspect ratio at about its own resolution: a
 * 500×50 text line letterboxed into 960×960 would cost ~30× the compute of its 512×64 here and
 * shrink the text. So the size is chosen per image, and the boxes are scaled back with it.
 */

/** An 8-bit RGB image, row-major, 3 bytes a pixel. */
export interface RgbImage {
  readonly width: number
  readonly height: number
  readonly data: Uint8Array
}

/** Resize rule (PaddleOCR det_limit_side_len / det_limit_type). */
export interface DetectionInputSpec {
  /** Default 960. */
  readonly limit_side_len?: number
  /**
   * `max` (default): shrink so the longer side is at most the limit, never enlarge.
   * `min`: enlarge so the shorter side is at least the limit (small text gets more pixels).
   */
  readonly limit_type?: 'max' | 'min'
}

/** Never make a detector input with a side longer than this, whatever the rule says (memory). */
export const MAX_DETECTION_SIDE = 4000

/** ImageNet statistics, in the plane order written (B, G, R), as PaddleOCR applies them to OpenCV's BGR image. */
const MEAN = [0.485, 0.456, 0.406]
const STD = [0.229, 0.224, 0.225]

const ACCEPTED = new Set(['jpeg', 'png', 'webp'])

/**
 * Decodes an encoded image (JPEG, PNG or WebP) to RGB, turned upright by its EXIF orientation
 * (a phone photo of a page must be read the way it is displayed). The same formats as image.ts,
 * for the same reasons.
 *
 * @throws InferdError TENSOR_DATA_INVALID when the bytes are not a complete image of an accepted format.
 */
export async function decodeRgb (bytes: Uint8Array, name = 'image'): Promise<RgbImage> {
  const invalid = (what: string, cause?: unknown): InferdError =>
    new InferdError(Errors.TENSOR_DATA_INVALID, [name, `not a decodable image (JPEG, PNG or WebP): ${what}`], cause === undefined ? {} : { cause })
  const image = sharp(bytes, { failOn: 'warning' })
  let format: string | undefined
  try {
    format = (await image.metadata()).format
  } catch (err) {
    throw invalid(err instanceof Error ? err.message : String(err), err)
  }
  if (format === undefined || !ACCEPTED.has(format)) throw invalid(`format '${format ?? 'unknown'}' is not accepted`)
  try {
    const { data, info } = await image.autoOrient().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
  } catch (err) {
    throw invalid(err instanceof Error ? err.message : String(err), err)
  }
}

/** The detector input size for an image: scaled by the rule, each side rounded to a multiple of 32 (at least 32). */
export function detectionSize (width: number, height: number, spec: DetectionInputSpec = {}): { width: number; height: number } {
  const limit = spec.limit_side_len ?? 960
  let ratio = 1
  if ((spec.limit_type ?? 'max') === 'max') {
    if (Math.max(width, height) > limit) ratio = limit / Math.max(width, height)
  } else if (Math.min(width, height) < limit) {
    ratio = limit / Math.min(width, height)
  }
  ratio = Math.min(ratio, MAX_DETECTION_SIDE / Math.max(width, height))
  const to32 = (v: number): number => Math.min(MAX_DETECTION_SIDE - (MAX_DETECTION_SIDE % 32), Math.max(32, Math.round((v * ratio) / 32) * 32))
  return { width: to32(width), height: to32(height) }
}

/**
 * The detector's input for one decoded image: `[1, 3, H, W]` FP32, BGR planes, each value
 * `(v / 255 − mean) / std`. The boxes found on its map are scaled back by image size / map size.
 */
export async function detectionInput (image: RgbImage, spec: DetectionInputSpec = {}, name = 'x'): Promise<Tensor<'FP32'>> {
  const size = detectionSize(image.width, image.height, spec)
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(size.width, size.height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true })
  const { width: W, height: H } = info
  const plane = W * H
  const out = new Float32Array(3 * plane)
  for (let c = 0; c < 3; c++) {
    const lut = new Float32Array(256)
    for (let v = 0; v < 256; v++) lut[v] = (v / 255 - (MEAN[c] as number)) / (STD[c] as number)
    const source = 2 - c // plane 0 is blue
    for (let i = 0; i < plane; i++) out[c * plane + i] = lut[data[i * 3 + source] as number] as number
  }
  return { name, datatype: 'FP32', shape: [1, 3, H, W], data: out }
}

/**
 * Checks untrusted settings (a config mapping, or a model's string `parameters`).
 *
 * @throws InferdError MODEL_CONFIG_INVALID naming the field.
 */
export function validateDetectionInputSpec (value: unknown, model: string): DetectionInputSpec {
  const fail = (what: string): never => { throw new InferdError(Errors.MODEL_CONFIG_INVALID, [model, `text detection input: ${what}`]) }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('must be a mapping')
  const out: { limit_side_len?: number; limit_type?: 'max' | 'min' } = {}
  for (const [key, raw] of Object.entries(value)) {
    if (key === 'limit_side_len') {
      const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 32 || n > MAX_DETECTION_SIDE) fail(`'limit_side_len' must be an integer from 32 to ${MAX_DETECTION_SIDE}`)
      out.limit_side_len = n as number
    } else if (key === 'limit_type') {
      if (raw !== 'max' && raw !== 'min') fail(`'limit_type' must be max or min`)
      out.limit_type = raw as 'max' | 'min'
    } else {
      fail(`unknown field '${key}'`)
    }
  }
  return out
}
