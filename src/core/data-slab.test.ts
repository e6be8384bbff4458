import { describe, expect, it } from 'vitest'
import { allocRequestData } from './data-slab.js'

describe('allocRequestData', () => {
  it('hands out small arrays as zeroed, 8-byte-aligned, non-overlapping views of a shared buffer', () => {
    const a = allocRequestData('FP32', 3)
    const b = allocRequestData('INT64', 2)
    const c = allocRequestData('UINT8', 5)
    expect([a.length, b.length, c.length]).toEqual([3, 2, 5])
    for (const v of [a, b, c]) {
      expect(v.byteOffset % 8).toBe(0)
      expect(Array.from(v as ArrayLike<number | bigint>).every((x) => x === 0 || x === 0n)).toBe(true)
    }
    a.fill(1.5)
    b.fill(-1n)
    c.fill(255)
    expect(Array.from(a)).toEqual([1.5, 1.5, 1.5])
    expect(Array.from(b)).toEqual([-1n, -1n])
    expect(Array.from(c)).toEqual([255, 255, 255, 255, 255])
    if (a.buffer === b.buffer) expect(b.byteOffset).toBeGreaterThanOrEqual(a.byteOffset + a.byteLength)
  })

  it('starts a new zeroed slab when one is full, and gives large arrays their own buffer', () => {
    const seen = new Set<ArrayBufferLike>()
    for (let i = 0; i < 100; i++) {
      const v = allocRequestData('FP64', 128) // 1 KiB each: 64 fill a slab
      expect(v.every((x) => x === 0)).toBe(true)
      v.fill(i + 1)
      seen.add(v.buffer)
    }
    expect(seen.size).toBeGreaterThan(1)
    const large = allocRequestData('FP32', 2048) // 8 KiB
    expect(large.byteOffset).toBe(0)
    expect(large.buffer.byteLength).toBe(large.byteLength)
    expect(allocRequestData('BYTES', 2)).toEqual([new Uint8Array(0), new Uint8Array(0)])
    expect(allocRequestData('FP32', 0)).toHaveLength(0)
  })
})
