import sharp from 'sharp'
import type { RgbImage } from './render-text.js'

/** Height every text line is resized to. */
export const CLS_HEIGHT = 48
/** Width lines are padded to (and the most a resized line may take). */
export const CLS_WIDTH = 192
/** One preprocessed line: [channels, height, width]; a batch of N is [N, ...CLS_INPUT_SHAPE]. */
export const CLS_INPUT_SHAPE: readonly [3, 48, 192] = Object.freeze([3, CLS_HEIGHT, CLS_WIDTH] as [3, 48, 192])

export interface PaddleClsInputOptions {
  /**
   * Channel order of the planes written. Default `'BGR'`: PaddleOCR reads images with OpenCV and
   * feeds them to the classifier in OpenCV's BGR order. For grey text on a grey background the
   * two orders give the same tensor.
   */
  readonly channelOrder?: 'BGR' | 'RGB'
}

/**
 * Preprocesses one cropped text line as PaddleOCR's direction classifier (ch_ppocr_mobile_v2.0_cls)
 * expects, mirroring its `resize_norm_img`:
 *
 *   1. resize (bilinear) to height 48, width = min(192, ceil(48 · w / h)), aspect kept
 *   2. scale every channel as (x / 255 − 0.5) / 0.5, into [−1, 1]
 *   3. lay out as CHW and right-pad with 0 to 3 × 48 × 192
 *
 * @returns a Float32Array of 3·48·192 elements; stack N of them for a [N, 3, 48, 192] input
 *
 * @example
 * const x = await paddleClsInput(await renderText('Hello'))
 * const feeds = { x: new ort.Tensor('float32', x, [1, ...CLS_INPUT_SHAPE]) }
 */
export async function paddleClsInput (image: RgbImage, options: PaddleClsInputOptions = {}): Promise<Float32Array> {
  const width = Math.max(1, Math.min(CLS_WIDTH, Math.ceil((CLS_HEIGHT * image.width) / image.height)))
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, CLS_HEIGHT, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true })
  return toPaddedChw({ width: info.width, height: info.height, data }, options.channelOrder ?? 'BGR')
}

/** Steps 2 and 3 above, for an image already CLS_HEIGHT high and at most CLS_WIDTH wide. */
export function toPaddedChw (resized: RgbImage, channelOrder: 'BGR' | 'RGB' = 'BGR'): Float32Array {
  if (resized.height !== CLS_HEIGHT || resized.width > CLS_WIDTH) {
    throw new RangeError(`expected a ${CLS_HEIGHT}-pixel-high image at most ${CLS_WIDTH} wide, got ${resized.width}x${resized.height}`)
  }
  const plane = CLS_HEIGHT * CLS_WIDTH
  const out = new Float32Array(3 * plane) // zeros: the right padding
  // Source channel (R=0, G=1, B=2) written to output plane c.
  const source = channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2]
  for (let c = 0; c < 3; c++) {
    const from = source[c]!
    for (let y = 0; y < CLS_HEIGHT; y++) {
      for (let x = 0; x < resized.width; x++) {
        const v = resized.data[(y * resized.width + x) * 3 + from]!
        out[c * plane + y * CLS_WIDTH + x] = (v / 255 - 0.5) / 0.5
      }
    }
  }
  return out
}
