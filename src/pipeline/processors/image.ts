import sharp, { type OutputInfo } from 'sharp'
import type { Tensor } from '../../core/tensor.js'
import { Errors } from '../../errors/codes.js'
import { InferdError } from '../../errors/inferd-error.js'
import type { ImageSpec } from './image-spec.js'

export type { ImageSpec, ImageResize } from './image-spec.js'
export { validateImageSpec } from './image-spec.js'

/**
 * Formats a client may send. Others that libvips could open (SVG, TIFF, GIF, HEIF, PDF …) are
 * refused on purpose: SVG rendering runs a full XML and font stack on untrusted input, and the
 * rest are rarely what a vision model was trained on.
 */
const ACCEPTED = new Set(['jpeg', 'png', 'webp'])

function invalid (name: string, what: string, cause?: unknown): InferdError {
  return new InferdError(Errors.TENSOR_DATA_INVALID, [name, what], cause === undefined ? {} : { cause })
}

function reason (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * Decodes an encoded image (JPEG, PNG or WebP) and turns it into the FP32 tensor a vision model
 * takes: resized per `spec.resize`, normalised as `(pixel * scale - mean) / std`, laid out as
 * `[1, C, H, W]` or `[1, H, W, C]`. The batch dimension of 1 lets callers concatenate images.
 *
 * The spec is assumed valid ({@link validateImageSpec} runs when the model loads).
 *
 * @param name the input's name, used in error messages.
 * @throws InferdError TENSOR_DATA_INVALID when the bytes are not a complete image of an accepted format.
 */
export async function preprocessImage (bytes: Uint8Array, spec: ImageSpec, name = 'image'): Promise<Tensor<'FP32'>> {
  // failOn 'warning' (sharp's strictest level) also rejects truncated files, which libvips
  // would otherwise decode with a grey lower part and no error at all.
  const image = sharp(bytes, { failOn: 'warning' })
  let format: string | undefined
  try {
    format = (await image.metadata()).format
  } catch (err) {
    throw invalid(name, `not a decodable image (JPEG, PNG or WebP): ${reason(err)}`, err)
  }
  if (format === undefined || !ACCEPTED.has(format)) {
    throw invalid(name, `not a decodable image (JPEG, PNG or WebP): format '${format ?? 'unknown'}' is not accepted`)
  }

  const gray = spec.grayscale === true
  // Alpha is dropped, not composited, to match PIL's convert('RGB'), which most training
  // pipelines used; a grey or palette PNG becomes three channels so the layout is uniform.
  let pipeline = image.removeAlpha().toColourspace(gray ? 'b-w' : 'srgb')
  const { width, height } = spec
  const resize = spec.resize ?? 'stretch'
  if (resize === 'stretch') pipeline = pipeline.resize(width, height, { fit: 'fill' })
  else if (resize === 'cover') pipeline = pipeline.resize(width, height, { fit: 'cover', position: 'centre' })
  else if (resize === 'contain') {
    const b = spec.background ?? 0
    pipeline = pipeline.resize(width, height, { fit: 'contain', background: { r: b, g: b, b, alpha: 1 } })
  } else {
    const edge = spec.shortest_edge ?? Math.max(width, height)
    // 'outside' with a square box scales the shorter side to exactly `edge`; the centre crop
    // is done while copying pixels below, which saves libvips a second pass.
    pipeline = pipeline.resize(edge, edge, { fit: 'outside' })
  }

  let raw: { data: Buffer; info: OutputInfo }
  try {
    raw = await pipeline.raw().toBuffer({ resolveWithObject: true })
  } catch (err) {
    throw invalid(name, `not a decodable image (JPEG, PNG or WebP): ${reason(err)}`, err)
  }
  return toTensor(raw.data, raw.info, spec, name)
}

/** Copies 8-bit interleaved pixels into a normalised FP32 tensor, cropping the centre if larger. */
function toTensor (pixels: Uint8Array, info: OutputInfo, spec: ImageSpec, name: string): Tensor<'FP32'> {
  const { width: W, height: H } = spec
  const C = spec.grayscale === true ? 1 : 3
  if (info.channels !== C || info.width < W || info.height < H) {
    // Not expected from the pipeline above; a clear message beats reading out of bounds.
    throw invalid(name, `decoded to ${info.width}x${info.height}x${info.channels}, cannot make ${W}x${H}x${C}`)
  }
  const ox = Math.floor((info.width - W) / 2)
  const oy = Math.floor((info.height - H) / 2)
  const bgr = spec.channel_order === 'BGR' && C === 3
  const scale = spec.scale ?? 1
  // One 256-entry table per output channel: each 8-bit value maps to exactly one float, so the
  // arithmetic runs 768 times instead of once per pixel, and results are bit-identical to
  // evaluating (v * scale - mean) / std directly.
  const luts = Array.from({ length: C }, (_, c) => {
    const mean = spec.mean?.[c] ?? 0
    const std = spec.std?.[c] ?? 1
    const lut = new Float32Array(256)
    for (let v = 0; v < 256; v++) lut[v] = (v * scale - mean) / std
    return lut
  })
  const out = new Float32Array(C * H * W)
  const nchw = (spec.layout ?? 'NCHW') === 'NCHW'
  for (let c = 0; c < C; c++) {
    const lut = luts[c] as Float32Array
    const src = bgr ? 2 - c : c
    for (let y = 0; y < H; y++) {
      const row = ((y + oy) * info.width + ox) * C + src
      for (let x = 0; x < W; x++) {
        const dst = nchw ? (c * H + y) * W + x : (y * W + x) * C + c
        out[dst] = lut[pixels[row + x * C] as number] as number
      }
    }
  }
  return { name, datatype: 'FP32', shape: nchw ? [1, C, H, W] : [1, H, W, C], data: out }
}
