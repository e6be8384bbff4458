import { Errors } from '../../errors/codes.js'
import { InferdError } from '../../errors/inferd-error.js'

/**
 * DB (Differentiable Binarization) post-processing: a text detector's probability map → text
 * boxes, as PaddleOCR's DBPostProcess does, in plain TypeScript (no OpenCV):
 *
 *   map ──binarize(> threshold)──► bitmap ──8-connected components──► regions
 *   region ──mean map value over its box ≥ box_threshold?──► kept
 *   kept ──unclip: grow by area·ratio/perimeter──► box ──scale to the image──► TextBox
 *
 * Boxes are axis-aligned rectangles. PaddleOCR fits a rotated rectangle (minAreaRect) and grows it
 * with a polygon offset (pyclipper); for horizontal text, which is what this serves, the two agree,
 * and an axis-aligned box is what a crop with sharp can take without a perspective warp. Tilted or
 * curved text gets the enclosing rectangle, which still reads for small angles.
 *
 * Why unclip: DB is trained on text regions shrunk by a factor (the "shrink ratio" 0.4 in the
 * paper), so the raw region sits inside the ink; growing it by d = A·r / L (area A, perimeter L,
 * ratio r, 1.5 by default) restores the full line.
 */

/** Settings of the box search; every field has PaddleOCR's default (det_db_*). */
export interface TextDetectionSpec {
  /** A map value above this is text. Default 0.3. */
  readonly threshold?: number
  /** A region whose box averages less than this on the map is dropped. Default 0.6. */
  readonly box_threshold?: number
  /** How much a region grows (see above). Default 1.5. */
  readonly unclip_ratio?: number
  /** Regions whose shorter side is under this many map pixels are dropped. Default 3. */
  readonly min_size?: number
  /** At most this many regions are considered, the largest first. Default 1000. */
  readonly max_candidates?: number
}

/**
 * A text box in the source image's pixels: `[x0, x1)` × `[y0, y1)`, integers inside the image.
 * `score` is the mean probability over the region's box, before unclipping.
 */
export interface TextBox {
  readonly x0: number
  readonly y0: number
  readonly x1: number
  readonly y1: number
  readonly score: number
}

/** A single-channel probability map, row-major: `data[y * width + x]`. */
export interface ProbabilityMap {
  readonly width: number
  readonly height: number
  readonly data: ArrayLike<number>
}

const NUMBER_KEYS = ['threshold', 'box_threshold', 'unclip_ratio', 'min_size', 'max_candidates'] as const

/**
 * Checks untrusted settings: from a config.yaml mapping, or from a model's `parameters`, whose
 * values are strings (so numeric strings are accepted and converted).
 *
 * @throws InferdError MODEL_CONFIG_INVALID naming the field.
 */
export function validateTextDetectionSpec (value: unknown, model: string): TextDetectionSpec {
  const fail = (what: string): never => { throw new InferdError(Errors.MODEL_CONFIG_INVALID, [model, `text detection: ${what}`]) }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('must be a mapping')
  const out: Record<string, number> = {}
  for (const [key, raw] of Object.entries(value)) {
    if (!(NUMBER_KEYS as readonly string[]).includes(key)) fail(`unknown field '${key}'`)
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw
    if (typeof n !== 'number' || !Number.isFinite(n)) return fail(`'${key}' must be a number`)
    if ((key === 'threshold' || key === 'box_threshold') && (n < 0 || n > 1)) fail(`'${key}' must be between 0 and 1`)
    if (key === 'unclip_ratio' && n < 0) fail(`'unclip_ratio' must be >= 0`)
    if ((key === 'min_size' || key === 'max_candidates') && (!Number.isInteger(n) || n < (key === 'min_size' ? 0 : 1))) {
      fail(`'${key}' must be an integer >= ${key === 'min_size' ? 0 : 1}`)
    }
    out[key] = n
  }
  return out as TextDetectionSpec
}

/** One 8-connected region of the bitmap: its bounding box in map pixels (inclusive) and size. */
interface Region { minX: number; minY: number; maxX: number; maxY: number; pixels: number }

/**
 * Finds the text boxes in a detection map and scales them to the source image.
 *
 * @param map the detector's output for one image (`[1, 1, H, W]` → width W, height H)
 * @param imageWidth the width of the image the boxes are for (the map may be a resized version)
 * @param imageHeight likewise
 * @returns boxes in reading order ({@link readingOrder})
 */
export function findTextBoxes (map: ProbabilityMap, imageWidth: number, imageHeight: number, spec: TextDetectionSpec = {}): TextBox[] {
  const threshold = spec.threshold ?? 0.3
  const boxThreshold = spec.box_threshold ?? 0.6
  const unclipRatio = spec.unclip_ratio ?? 1.5
  const minSize = spec.min_size ?? 3
  const maxCandidates = spec.max_candidates ?? 1000
  const { width: W, height: H } = map
  if (map.data.length !== W * H) throw new RangeError(`map of ${W}x${H} needs ${W * H} values, got ${map.data.length}`)

  const regions = connectedRegions(map, threshold)
  regions.sort((a, b) => b.pixels - a.pixels)
  const integral = integralImage(map)
  const sx = imageWidth / W
  const sy = imageHeight / H
  const boxes: TextBox[] = []
  for (const r of regions.slice(0, maxCandidates)) {
    const w = r.maxX - r.minX + 1
    const h = r.maxY - r.minY + 1
    if (Math.min(w, h) < minSize) continue
    const score = rectSum(integral, W, r.minX, r.minY, r.maxX + 1, r.maxY + 1) / (w * h)
    if (score < boxThreshold) continue
    const d = (w * h * unclipRatio) / (2 * (w + h))
    // PaddleOCR drops grown boxes under min_size + 2 as well: a speck stays a speck.
    if (Math.min(w, h) + 2 * d < minSize + 2) continue
    const x0 = clamp(Math.round((r.minX - d) * sx), 0, imageWidth)
    const x1 = clamp(Math.round((r.maxX + 1 + d) * sx), 0, imageWidth)
    const y0 = clamp(Math.round((r.minY - d) * sy), 0, imageHeight)
    const y1 = clamp(Math.round((r.maxY + 1 + d) * sy), 0, imageHeight)
    if (x1 - x0 < 1 || y1 - y0 < 1) continue
    boxes.push({ x0, y0, x1, y1, score })
  }
  return readingOrder(boxes)
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v))

/** Labels the pixels above `threshold` into 8-connected regions (iterative flood fill). */
function connectedRegions (map: ProbabilityMap, threshold: number): Region[] {
  const { width: W, height: H, data } = map
  const seen = new Uint8Array(W * H)
  const stack = new Int32Array(W * H)
  const regions: Region[] = []
  for (let start = 0; start < W * H; start++) {
    if (seen[start] === 1 || !((data[start] as number) > threshold)) continue
    const region: Region = { minX: W, minY: H, maxX: -1, maxY: -1, pixels: 0 }
    let top = 0
    stack[top++] = start
    seen[start] = 1
    while (top > 0) {
      const p = stack[--top] as number
      const x = p % W
      const y = (p - x) / W
      region.pixels++
      if (x < region.minX) region.minX = x
      if (x > region.maxX) region.maxX = x
      if (y < region.minY) region.minY = y
      if (y > region.maxY) region.maxY = y
      for (let ny = Math.max(0, y - 1); ny <= Math.min(H - 1, y + 1); ny++) {
        for (let nx = Math.max(0, x - 1); nx <= Math.min(W - 1, x + 1); nx++) {
          const q = ny * W + nx
          if (seen[q] === 0 && (data[q] as number) > threshold) {
            seen[q] = 1
            stack[top++] = q
          }
        }
      }
    }
    regions.push(region)
  }
  return regions
}

/** Summed-area table, (W+1)·(H+1), so that any rectangle's sum costs four reads. */
function integralImage (map: ProbabilityMap): Float64Array {
  const { width: W, height: H, data } = map
  const S = new Float64Array((W + 1) * (H + 1))
  for (let y = 0; y < H; y++) {
    let row = 0
    for (let x = 0; x < W; x++) {
      row += data[y * W + x] as number
      S[(y + 1) * (W + 1) + x + 1] = (S[y * (W + 1) + x + 1] as number) + row
    }
  }
  return S
}

/** Sum over [x0, x1) × [y0, y1). */
function rectSum (S: Float64Array, W: number, x0: number, y0: number, x1: number, y1: number): number {
  const stride = W + 1
  return (S[y1 * stride + x1] as number) - (S[y0 * stride + x1] as number) - (S[y1 * stride + x0] as number) + (S[y0 * stride + x0] as number)
}

/**
 * Sorts boxes as a page is read: lines top to bottom, boxes left to right within a line. A box
 * belongs to the current line when its vertical centre falls within the line's first box (so
 * words of one line whose tops differ by a few pixels stay together, as PaddleOCR's sorted_boxes
 * intends with its fixed 10-pixel tolerance).
 */
export function readingOrder<T extends Omit<TextBox, 'score'>> (boxes: readonly T[]): T[] {
  const byTop = [...boxes].sort((a, b) => (a.y0 + a.y1) - (b.y0 + b.y1) || a.x0 - b.x0)
  const lines: T[][] = []
  for (const box of byTop) {
    const line = lines.at(-1)
    const first = line?.[0]
    const centre = (box.y0 + box.y1) / 2
    if (line !== undefined && first !== undefined && centre >= first.y0 && centre <= first.y1) line.push(box)
    else lines.push([box])
  }
  return lines.flatMap((line) => line.sort((a, b) => a.x0 - b.x0))
}

/**
 * Whether a page is upside down, judged from its lines: when most lines read as turned 180° (the
 * direction classifier's verdicts, e.g. text-detection-crops.ts upsideDownRows), the whole page
 * is, and its reading order is the order found on the image, reversed. Each line's own turn fixes
 * its text, not the order of the lines: PaddleOCR leaves that reversed.
 */
export function pageUpsideDown (turned: readonly boolean[]): boolean {
  return turned.filter(Boolean).length * 2 > turned.length
}
