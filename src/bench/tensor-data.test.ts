import { describe, expect, it } from 'vitest'
import { fromFloat16Bits } from '../core/half.js'
import { seededRandom } from '../core/random.js'
import { syntheticTensor } from './tensor-data.js'

describe('syntheticTensor', () => {
  it('zero: zeros of the right type and size', () => {
    const t = syntheticTensor({ name: 'x', datatype: 'INT32', shape: [2, 3] }, 'zero')
    expect(t).toMatchObject({ name: 'x', datatype: 'INT32', shape: [2, 3] })
    expect(t.data).toEqual(new Int32Array(6))
  })

  it('random: seeded, so the same every time; floats in [0, 1), integers in [0, 100)', () => {
    const a = syntheticTensor({ name: 'x', datatype: 'FP32', shape: [1, 1000] }, 'random')
    const b = syntheticTensor({ name: 'x', datatype: 'FP32', shape: [1, 1000] }, 'random')
    expect(a.data).toEqual(b.data)
    const f = Array.from(a.data as Float32Array)
    expect(Math.min(...f)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...f)).toBeLessThan(1)
    expect(new Set(f).size).toBeGreaterThan(900)
    const i = syntheticTensor({ name: 'i', datatype: 'INT64', shape: [500] }, 'random', { seed: 3 }).data as BigInt64Array
    expect(i.every((v) => v >= 0n && v < 100n)).toBe(true)
  })

  it('covers the 16-bit floats and BYTES', () => {
    const h = syntheticTensor({ name: 'h', datatype: 'FP16', shape: [50] }, 'random').data as Uint16Array
    expect(Array.from(h, fromFloat16Bits).every((v) => v >= 0 && v <= 1)).toBe(true)
    const s = syntheticTensor({ name: 's', datatype: 'BYTES', shape: [3] }, 'random', { stringLength: 5 }).data as Uint8Array[]
    expect(s).toHaveLength(3)
    expect(s.every((el) => el.length === 5 && el.every((c) => c >= 0x61 && c <= 0x7a))).toBe(true)
  })

  it('seededRandom repeats its sequence for a seed and differs between seeds', () => {
    const a = seededRandom(5)
    const b = seededRandom(5)
    const c = seededRandom(6)
    const xs = [a(), a(), a()]
    expect([b(), b(), b()]).toEqual(xs)
    expect(c()).not.toBe(xs[0])
  })
})
