import { describe, expect, it } from 'vitest'
import { catchInferdError } from '../../../test/helpers/catch-inferd-error.js'
import { findTextBoxes, pageUpsideDown, type ProbabilityMap, readingOrder, validateTextDetectionSpec } from './text-detection.js'

/** A W×H map of `background`, with rectangles [x0, x1) × [y0, y1) filled with `value`. */
function map (W: number, H: number, rects: ReadonlyArray<readonly [number, number, number, number, number]>, background = 0.02): ProbabilityMap {
  const data = new Float32Array(W * H).fill(background)
  for (const [x0, y0, x1, y1, value] of rects) {
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * W + x] = value
  }
  return { width: W, height: H, data }
}

/** The unclip distance for a w×h region at ratio 1.5: area · ratio / perimeter. */
const grow = (w: number, h: number): number => (w * h * 1.5) / (2 * (w + h))

describe('findTextBoxes', () => {
  it('finds each region, grows it by area·ratio/perimeter and scales it to the image', () => {
    const m = map(100, 40, [[10, 8, 50, 16, 0.9], [60, 24, 90, 32, 0.8]])
    const boxes = findTextBoxes(m, 200, 80) // the image is twice the map
    const d1 = grow(40, 8)
    const d2 = grow(30, 8)
    expect(boxes).toEqual([
      { x0: Math.round((10 - d1) * 2), y0: Math.round((8 - d1) * 2), x1: Math.round((50 + d1) * 2), y1: Math.round((16 + d1) * 2), score: expect.closeTo(0.9, 6) },
      { x0: Math.round((60 - d2) * 2), y0: Math.round((24 - d2) * 2), x1: Math.round((90 + d2) * 2), y1: Math.round((32 + d2) * 2), score: expect.closeTo(0.8, 6) },
    ])
  })

  it('joins pixels that touch at a corner (8-connectivity) into one region', () => {
    const m = map(40, 20, [[2, 2, 10, 8, 0.9], [10, 8, 20, 14, 0.9]])
    const boxes = findTextBoxes(m, 40, 20, { box_threshold: 0 })
    expect(boxes).toHaveLength(1)
    const d = grow(18, 12) // the region spans x 2..19, y 2..13
    expect(boxes[0]).toMatchObject({ x0: 0, y0: 0, x1: Math.round(20 + d), y1: Math.round(14 + d) }) // x0, y0 clipped
  })

  it('drops specks under min_size, regions that average under box_threshold, and all at a high threshold', () => {
    const m = map(80, 30, [
      [5, 5, 7, 7, 0.95], // 2×2 speck
      [20, 5, 60, 12, 0.45], // above 0.3 but weak
      [20, 18, 60, 25, 0.9],
    ])
    expect(findTextBoxes(m, 80, 30).map((b) => b.y0)).toEqual([Math.round(18 - grow(40, 7))])
    expect(findTextBoxes(m, 80, 30, { box_threshold: 0.4 })).toHaveLength(2)
    expect(findTextBoxes(m, 80, 30, { box_threshold: 0.4, min_size: 1 })).toHaveLength(3)
    expect(findTextBoxes(m, 80, 30, { threshold: 0.96 })).toEqual([])
  })

  it('scores a region over its whole box, so a hollow outline is dropped as weak', () => {
    // a 1-pixel ring: all its pixels are 0.9, its box averages far less
    const ring: Array<[number, number, number, number, number]> = [[10, 10, 40, 11, 0.9], [10, 19, 40, 20, 0.9], [10, 10, 11, 20, 0.9], [39, 10, 40, 20, 0.9]]
    expect(findTextBoxes(map(50, 30, ring), 50, 30)).toEqual([])
    expect(findTextBoxes(map(50, 30, ring), 50, 30, { box_threshold: 0.2 })).toHaveLength(1)
  })

  it('keeps the largest regions when there are more than max_candidates', () => {
    const m = map(100, 20, [[2, 5, 12, 15, 0.9], [20, 5, 50, 15, 0.9], [60, 5, 80, 15, 0.9]])
    const boxes = findTextBoxes(m, 100, 20, { max_candidates: 2 })
    expect(boxes.map((b) => b.x1 - b.x0)).toEqual([30 + 2 * Math.round(grow(30, 10)), 20 + 2 * Math.round(grow(20, 10))])
  })

  it('returns no boxes for an empty map, and refuses data of the wrong length', () => {
    expect(findTextBoxes(map(32, 32, []), 32, 32)).toEqual([])
    expect(() => findTextBoxes({ width: 4, height: 4, data: new Float32Array(15) }, 4, 4)).toThrow(RangeError)
  })
})

describe('readingOrder', () => {
  const box = (x0: number, y0: number, x1: number, y1: number): { x0: number; y0: number; x1: number; y1: number } => ({ x0, y0, x1, y1 })

  it('reads lines top to bottom and words left to right, tolerating words whose tops differ', () => {
    const second = box(200, 14, 300, 40) // same line as the first, a few pixels lower
    const first = box(10, 10, 150, 36)
    const below = box(10, 60, 120, 86)
    const belowRight = box(140, 58, 260, 85)
    expect(readingOrder([belowRight, second, below, first])).toEqual([first, second, below, belowRight])
  })
})

describe('pageUpsideDown', () => {
  it('is true when most lines were turned', () => {
    expect(pageUpsideDown([true, true, false])).toBe(true)
    expect(pageUpsideDown([true, false])).toBe(false)
    expect(pageUpsideDown([])).toBe(false)
  })
})

describe('validateTextDetectionSpec', () => {
  it('takes numbers, and numeric strings as model parameters hold them', () => {
    expect(validateTextDetectionSpec({ threshold: '0.25', box_threshold: 0.5, unclip_ratio: '2', min_size: '3', max_candidates: 100 }, 'm'))
      .toEqual({ threshold: 0.25, box_threshold: 0.5, unclip_ratio: 2, min_size: 3, max_candidates: 100 })
  })

  it.each([
    [{ threshold: 1.5 }, "'threshold' must be between 0 and 1"],
    [{ box_threshold: 'high' }, "'box_threshold' must be a number"],
    [{ min_size: 2.5 }, "'min_size' must be an integer >= 0"],
    [{ max_candidates: 0 }, "'max_candidates' must be an integer >= 1"],
    [{ unclip: 1 }, "unknown field 'unclip'"],
  ])('refuses %j', (value, message) => {
    expect(catchInferdError(() => validateTextDetectionSpec(value, 'det')).message).toBe(`model 'det': text detection: ${message}`)
  })
})
