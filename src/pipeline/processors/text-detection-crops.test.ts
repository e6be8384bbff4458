import { describe, expect, it } from 'vitest'
import type { Tensor } from '../../core/tensor.js'
import { catchInferdError } from '../../../test/helpers/catch-inferd-error.js'
import { CLS_WIDTH, LINE_HEIGHT, lineCrops, turnRows, upsideDownRows, validateLineCropSpec } from './text-detection-crops.js'

/** A grey image with one box filled with a colour. */
function imageWith (width: number, height: number, box: readonly [number, number, number, number], rgb: readonly [number, number, number]): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(width * height * 3).fill(128)
  const [x0, y0, x1, y1] = box
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data.set(rgb, (y * width + x) * 3)
  return { width, height, data }
}

const norm = (v: number): number => (v / 255 - 0.5) / 0.5
const at = (t: Tensor, n: number, c: number, y: number, x: number): number => {
  const [, C, H, W] = t.shape as [number, number, number, number]
  return (t.data as Float32Array)[((n * C + c) * H + y) * W + x] as number
}

describe('lineCrops', () => {
  it('resizes each box to height 48 keeping its proportions, BGR planes, padded right with 0', async () => {
    const box = { x0: 10, y0: 5, x1: 110, y1: 25 } // 100×20 → 240×48
    const lines = await lineCrops(imageWith(200, 40, [10, 5, 110, 25], [200, 100, 50]), [box])
    expect(lines.rec.shape).toEqual([1, 3, LINE_HEIGHT, 320]) // at least rec_min_width
    expect([...lines.widths.data]).toEqual([240])
    expect(at(lines.rec, 0, 0, 20, 100)).toBeCloseTo(norm(50), 5) // blue first
    expect(at(lines.rec, 0, 2, 20, 100)).toBeCloseTo(norm(200), 5)
    expect(at(lines.rec, 0, 1, 20, 239)).toBeCloseTo(norm(100), 5)
    expect(at(lines.rec, 0, 1, 20, 240)).toBe(0)
    // the classifier's crop: the same rule, at most 192 wide
    expect(lines.cls.shape).toEqual([1, 3, LINE_HEIGHT, CLS_WIDTH])
    expect(at(lines.cls, 0, 0, 47, 191)).toBeCloseTo(norm(50), 5)
  })

  it('pads the batch to its widest line (rounded up to 32), and squeezes lines past rec_max_width', async () => {
    const image = imageWith(600, 60, [0, 0, 600, 60], [0, 0, 0])
    const boxes = [{ x0: 0, y0: 0, x1: 100, y1: 20 }, { x0: 0, y0: 20, x1: 500, y1: 40 }] // 240 and 1200 wide
    const lines = await lineCrops(image, boxes)
    expect(lines.rec.shape).toEqual([2, 3, 48, 1216])
    expect([...lines.widths.data]).toEqual([240, 1200])
    const squeezed = await lineCrops(image, boxes, { rec_max_width: 640 })
    expect(squeezed.rec.shape).toEqual([2, 3, 48, 640])
    expect([...squeezed.widths.data]).toEqual([240, 640])
  })

  it('turns a box 1.5 times taller than wide on its side first (vertical text)', async () => {
    const lines = await lineCrops(imageWith(40, 100, [0, 0, 40, 100], [0, 0, 0]), [{ x0: 0, y0: 0, x1: 20, y1: 60 }])
    expect([...lines.widths.data]).toEqual([144]) // 60×20 after turning → 144×48
  })

  it('makes no rows without boxes, or one row of padding when asked (the ONNX line models cannot run 0)', async () => {
    const image = imageWith(10, 10, [0, 0, 0, 0], [0, 0, 0])
    expect((await lineCrops(image, [])).rec.shape).toEqual([0, 3, 48, 320])
    const placeholder = await lineCrops(image, [], {}, { placeholder: true })
    expect(placeholder.cls.shape).toEqual([1, 3, 48, 192])
    expect(placeholder.rec.shape).toEqual([1, 3, 48, 320])
    expect([...placeholder.widths.data]).toEqual([0])
    expect((placeholder.rec.data as Float32Array).every((v) => v === 0)).toBe(true)
  })
})

describe('upsideDownRows', () => {
  it('picks rows where 180° wins with at least the threshold', () => {
    const probs: Tensor = { name: 'p', datatype: 'FP32', shape: [3, 2], data: new Float32Array([0.05, 0.95, 0.2, 0.8, 0.99, 0.01]) }
    expect(upsideDownRows(probs)).toEqual([true, false, false])
    expect(upsideDownRows(probs, 0.7)).toEqual([true, true, false])
  })
})

describe('turnRows', () => {
  it('turns chosen rows by 180° within their width, leaving the padding on the right', () => {
    // 2 rows, 1 channel, 2×4; row 0 holds 3 columns
    const rec: Tensor = { name: 'r', datatype: 'FP32', shape: [2, 1, 2, 4], data: new Float32Array([1, 2, 3, 0, 4, 5, 6, 0, 7, 7, 7, 7, 8, 8, 8, 8]) }
    const widths: Tensor = { name: 'w', datatype: 'INT32', shape: [2], data: new Int32Array([3, 4]) }
    const turned = turnRows(rec, widths, [true, false])
    expect([...turned.data]).toEqual([6, 5, 4, 0, 3, 2, 1, 0, 7, 7, 7, 7, 8, 8, 8, 8])
    expect([...turnRows(turned, widths, [true, false]).data]).toEqual([...rec.data])
  })
})

describe('validateLineCropSpec', () => {
  it('takes parameters as strings, refuses nonsense', () => {
    expect(validateLineCropSpec({ rec_min_width: '320', rec_max_width: 1600 }, 'm')).toEqual({ rec_min_width: 320, rec_max_width: 1600 })
    expect(catchInferdError(() => validateLineCropSpec({ rec_min_width: '-1' }, 'crop')).message)
      .toBe("model 'crop': text line crops: 'rec_min_width' must be an integer from 8 to 16384")
    expect(catchInferdError(() => validateLineCropSpec({ width: 3 }, 'crop')).message).toContain("unknown field 'width'")
  })
})
