import sharp from 'sharp'
import type { Tensor } from '../../core/tensor.js'
import { Errors } from '../../errors/codes.js'
import { InferdError } from '../../errors/inferd-error.js'
import type { TextBox } from './text-detection.js'
import type { RgbImage } from './text-detection-input.js'

/**
 * From detected boxes to the inputs of PaddleOCR's two line models, and the turn in between:
 *
 *   image + boxes ──crop, resize to height 48──► cls input [N, 3, 48, 192]   (direction classifier)
 *                                            └─► rec input [N, 3, 48, W]     (recogniser), widths [N]
 *   rec input + cls probabilities ──rows read as 180° turned upside down──► rec input, upright
 *
 * Both line models take PaddleOCR's resize_norm_img: height 48, width kept in proportion up to a
 * limit, BGR planes, `(v / 255 − 0.5) / 0.5`, right-padded with 0. The recogniser's batch is as
 * wide as its widest line (PaddleOCR's max_wh_ratio, here rounded up to a multiple of 32 so that
 * similar requests share shapes), at least `rec_min_width`, the width it was trained at.
 */

export interface LineCropSpec {
  /** Default 320 (PP-OCR's rec_image_shape 3,48,320). */
  readonly rec_min_width?: number
  /** Longer lines are squeezed to this width. Default 3200 (a 1:66 line). */
  readonly rec_max_width?: number
}

/**
 * Checks untrusted settings (a config mapping, or a model's string `parameters`).
 *
 * @throws InferdError MODEL_CONFIG_INVALID naming the field.
 */
export function validateLineCropSpec (value: unknown, model: string): LineCropSpec {
  const fail = (what: string): never => { throw new InferdError(Errors.MODEL_CONFIG_INVALID, [model, `text line crops: ${what}`]) }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('must be a mapping')
  const out: Record<string, number> = {}
  for (const [key, raw] of Object.entries(value)) {
    if (key !== 'rec_min_width' && key !== 'rec_max_width') fail(`unknown field '${key}'`)
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 8 || n > 16384) fail(`'${key}' must be an integer from 8 to 16384`)
    out[key] = n as number
  }
  return out as LineCropSpec
}

export const LINE_HEIGHT = 48
export const CLS_WIDTH = 192

/** The inputs of both line models, row i for box i. */
export interface LineCrops {
  /** `[N, 3, 48, 192]` */
  readonly cls: Tensor<'FP32'>
  /** `[N, 3, 48, W]` */
  readonly rec: Tensor<'FP32'>
  /** `[N]`: how many columns of row i of `rec` hold the line (the rest is padding). */
  readonly widths: Tensor<'INT32'>
}

export interface LineCropOptions {
  /**
   * With no boxes, make one row of padding instead of none: the ONNX line models cannot run a
   * batch of 0 (their reshapes divide by it), so a chain that always runs them needs a row.
   */
  readonly placeholder?: boolean
  readonly names?: { readonly cls?: string; readonly rec?: string; readonly widths?: string }
}

/**
 * Crops every box out of the image and prepares it for both line models. A box at least 1.5
 * times taller than wide is taken as vertical text and turned 90° counter-clockwise first, as
 * PaddleOCR does.
 */
export async function lineCrops (image: RgbImage, boxes: readonly Omit<TextBox, 'score'>[], spec: LineCropSpec = {}, options: LineCropOptions = {}): Promise<LineCrops> {
  const minWidth = spec.rec_min_width ?? 320
  const maxWidth = Math.max(minWidth, spec.rec_max_width ?? 3200)
  const lines = await Promise.all(boxes.map((box) => cropLine(image, box, maxWidth)))
  const widest = lines.reduce((w, l) => Math.max(w, l.rec.width), 0)
  const W = Math.min(maxWidth, Math.max(minWidth, Math.ceil(widest / 32) * 32))
  const n = Math.max(lines.length, options.placeholder === true ? 1 : 0)
  const cls = new Float32Array(n * 3 * LINE_HEIGHT * CLS_WIDTH)
  const rec = new Float32Array(n * 3 * LINE_HEIGHT * W)
  const widths = new Int32Array(n)
  lines.forEach((line, i) => {
    writePlanes(line.cls, cls, i, CLS_WIDTH)
    writePlanes(line.rec, rec, i, W)
    widths[i] = line.rec.width
  })
  const names = options.names ?? {}
  return {
    cls: { name: names.cls ?? 'cls', datatype: 'FP32', shape: [n, 3, LINE_HEIGHT, CLS_WIDTH], data: cls },
    rec: { name: names.rec ?? 'rec', datatype: 'FP32', shape: [n, 3, LINE_HEIGHT, W], data: rec },
    widths: { name: names.widths ?? 'widths', datatype: 'INT32', shape: [n], data: widths },
  }
}

async function cropLine (image: RgbImage, box: Omit<TextBox, 'score'>, maxWidth: number): Promise<{ cls: RgbImage; rec: RgbImage }> {
  let width = box.x1 - box.x0
  let height = box.y1 - box.y0
  let crop = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left: box.x0, top: box.y0, width, height })
  if (height >= 1.5 * width) {
    crop = crop.rotate(270)
    ;[width, height] = [height, width]
  }
  const raw = await crop.raw().toBuffer({ resolveWithObject: true })
  const resize = async (limit: number): Promise<RgbImage> => {
    const w = Math.max(1, Math.min(limit, Math.ceil((LINE_HEIGHT * width) / height)))
    const { data, info } = await sharp(raw.data, { raw: { width: raw.info.width, height: raw.info.height, channels: 3 } })
      .resize(w, LINE_HEIGHT, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer({ resolveWithObject: true })
    return { width: info.width, height: info.height, data }
  }
  const rec = await resize(maxWidth)
  // Same aspect rule, so a line narrow enough for the classifier is the recogniser's crop again.
  const cls = rec.width <= CLS_WIDTH ? rec : await resize(CLS_WIDTH)
  return { cls, rec }
}

/** Writes one resized line as normalised BGR planes into row `row` of a `[N, 3, 48, W]` buffer. */
function writePlanes (line: RgbImage, out: Float32Array, row: number, W: number): void {
  const plane = LINE_HEIGHT * W
  const base = row * 3 * plane
  for (let c = 0; c < 3; c++) {
    const source = 2 - c
    for (let y = 0; y < LINE_HEIGHT; y++) {
      for (let x = 0; x < line.width; x++) {
        out[base + c * plane + y * W + x] = ((line.data[(y * line.width + x) * 3 + source] as number) / 255 - 0.5) / 0.5
      }
    }
  }
}

/**
 * Which rows the direction classifier reads as upside down: class 1 ("180") winning with at least
 * `threshold` (PaddleOCR's cls_thresh, 0.9: turning a line that was upright costs more than
 * leaving a turned one).
 *
 * @param probs `[N, 2]` probabilities of [0°, 180°]
 */
export function upsideDownRows (probs: Tensor, threshold = 0.9): boolean[] {
  const n = probs.shape[0] ?? 0
  const data = probs.data as ArrayLike<number>
  return Array.from({ length: n }, (_, i) => {
    const p0 = data[2 * i] as number
    const p180 = data[2 * i + 1] as number
    return p180 > p0 && p180 >= threshold
  })
}

/**
 * Turns the chosen rows of a recogniser batch by 180°, within each row's own width so that the
 * padding stays on the right. Returns a new tensor; rows not chosen are copied unchanged.
 */
export function turnRows (rec: Tensor, widths: Tensor, turn: readonly boolean[], name = rec.name): Tensor<'FP32'> {
  const [n, channels, H, W] = rec.shape as [number, number, number, number]
  const src = rec.data as Float32Array
  const out = Float32Array.from(src)
  const plane = H * W
  for (let i = 0; i < n; i++) {
    if (turn[i] !== true) continue
    const w = Math.min(W, Number((widths.data as ArrayLike<number | bigint>)[i]))
    for (let c = 0; c < channels; c++) {
      const base = (i * channels + c) * plane
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < w; x++) out[base + (H - 1 - y) * W + (w - 1 - x)] = src[base + y * W + x] as number
      }
    }
  }
  return { name, datatype: 'FP32', shape: [n, channels, H, W], data: out }
}
