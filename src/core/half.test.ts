import { describe, expect, it } from 'vitest'
import { fromBFloat16Bits, fromFloat16Bits, toBFloat16Bits, toFloat16Bits } from './half.js'

const hex = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`

/** Independent reference: nearest finite FP16 by search over all patterns, ties to even mantissa. */
function referenceFloat16 (x: number): number {
  if (Number.isNaN(x)) return 0x7e00
  const neg = x < 0 || Object.is(x, -0)
  const a = Math.abs(x)
  // Every finite positive pattern 0x0000..0x7bff decodes monotonically; overflow threshold 65520.
  if (a >= 65520) return (neg ? 0x8000 : 0) | 0x7c00
  let lo = 0
  let hi = 0x7bff
  while (lo < hi) { // first pattern whose value >= a
    const mid = (lo + hi) >> 1
    if (fromFloat16Bits(mid) < a) lo = mid + 1
    else hi = mid
  }
  let best = lo
  if (lo > 0) {
    const below = fromFloat16Bits(lo - 1)
    const above = fromFloat16Bits(lo)
    const dBelow = a - below
    const dAbove = above - a
    if (dBelow < dAbove || (dBelow === dAbove && (lo - 1) % 2 === 0)) best = lo - 1
  }
  return (neg ? 0x8000 : 0) | best
}

/** Textbook float32 → bfloat16 (round to nearest even on the float32 bits). */
function referenceBFloat16FromF32 (f: number): number {
  const view = new DataView(new ArrayBuffer(4))
  view.setFloat32(0, f)
  const u = view.getUint32(0)
  if (Number.isNaN(f)) return 0x7fc0
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff
}

/** Deterministic pseudo-random generator (tests must be reproducible). */
function lcg (seed: number): () => number {
  let s = seed >>> 0
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s }
}

describe('FP16', () => {
  it.each([
    [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff],
    [Infinity, 0x7c00], [-Infinity, 0xfc00], [2 ** -14, 0x0400], [2 ** -24, 0x0001],
    [1023 * 2 ** -24, 0x03ff], [0.1, 0x2e66], [1 / 3, 0x3555],
  ])('encodes %s as the expected pattern', (x, bits) => {
    expect(hex(toFloat16Bits(x))).toBe(hex(bits))
  })

  it('rounds ties to even, in normals, subnormals and at the overflow edge', () => {
    expect(hex(toFloat16Bits(1 + 2 ** -11))).toBe('0x3c00') // halfway 1 ↔ 1+2^-10: even is 1
    expect(hex(toFloat16Bits(1 + 3 * 2 ** -11))).toBe('0x3c02') // halfway, even is the upper
    expect(hex(toFloat16Bits(1 + 2 ** -11 + 2 ** -30))).toBe('0x3c01') // just above a tie
    expect(hex(toFloat16Bits(2 ** -25))).toBe('0x0000') // half the smallest subnormal → 0
    expect(hex(toFloat16Bits(3 * 2 ** -25))).toBe('0x0002') // 1.5 units → 2 (even)
    expect(hex(toFloat16Bits(2 ** -25 + 2 ** -40))).toBe('0x0001')
    expect(hex(toFloat16Bits(1023.5 * 2 ** -24))).toBe('0x0400') // rounds up into the first normal
    expect(hex(toFloat16Bits(65519))).toBe('0x7bff')
    expect(hex(toFloat16Bits(65520))).toBe('0x7c00') // tie with an odd max: rounds to infinity
    expect(hex(toFloat16Bits(-65520))).toBe('0xfc00')
    expect(hex(toFloat16Bits(1e300))).toBe('0x7c00')
    expect(hex(toFloat16Bits(5e-324))).toBe('0x0000')
    expect(hex(toFloat16Bits(-5e-324))).toBe('0x8000')
  })

  it('encodes NaN as the canonical quiet NaN and decodes every NaN pattern to NaN', () => {
    expect(hex(toFloat16Bits(NaN))).toBe('0x7e00')
    expect(fromFloat16Bits(0x7e00)).toBeNaN()
    expect(fromFloat16Bits(0x7c01)).toBeNaN()
    expect(fromFloat16Bits(0xffff)).toBeNaN()
  })

  it('decodes special and subnormal patterns exactly', () => {
    expect(fromFloat16Bits(0x7c00)).toBe(Infinity)
    expect(fromFloat16Bits(0xfc00)).toBe(-Infinity)
    expect(Object.is(fromFloat16Bits(0x8000), -0)).toBe(true)
    expect(fromFloat16Bits(0x0001)).toBe(2 ** -24)
    expect(fromFloat16Bits(0x03ff)).toBe(1023 * 2 ** -24)
    expect(fromFloat16Bits(0x7bff)).toBe(65504)
    expect(fromFloat16Bits(0x3555)).toBe(0.333251953125)
  })

  it('round-trips every finite pattern (decode then encode is the identity)', () => {
    for (let b = 0; b < 0x10000; b++) {
      const v = fromFloat16Bits(b)
      if (Number.isNaN(v)) continue
      if (toFloat16Bits(v) !== b) throw new Error(`pattern ${hex(b)} → ${v} → ${hex(toFloat16Bits(v))}`)
    }
  })

  it('agrees with a search-based reference on random doubles and float32 values', () => {
    const next = lcg(42)
    for (let i = 0; i < 20000; i++) {
      // Spread over the interesting exponent range, both signs, some exact float32 values.
      const mant = next() / 2 ** 32
      const exp = (next() % 40) - 28
      let x = (1 + mant) * 2 ** exp * ((next() & 1) === 1 ? -1 : 1)
      if (i % 2 === 0) x = Math.fround(x)
      const got = toFloat16Bits(x)
      const want = referenceFloat16(x)
      if (got !== want) throw new Error(`${x}: got ${hex(got)}, want ${hex(want)}`)
    }
  })
})

describe('BF16', () => {
  it.each([
    [0, 0x0000], [-0, 0x8000], [1, 0x3f80], [-2, 0xc000], [Infinity, 0x7f80], [-Infinity, 0xff80],
    [3.140625, 0x4049], [2 ** -133, 0x0001], [2 ** -126, 0x0080],
  ])('encodes %s as the expected pattern', (x, bits) => {
    expect(hex(toBFloat16Bits(x))).toBe(hex(bits))
  })

  it('rounds ties to even and overflows the float32 maximum to infinity', () => {
    expect(hex(toBFloat16Bits(1 + 2 ** -8))).toBe('0x3f80')
    expect(hex(toBFloat16Bits(1 + 3 * 2 ** -8))).toBe('0x3f82')
    expect(hex(toBFloat16Bits(2 ** -134))).toBe('0x0000') // half the smallest subnormal
    expect(hex(toBFloat16Bits(3 * 2 ** -134))).toBe('0x0002')
    expect(hex(toBFloat16Bits(3.4028234663852886e38))).toBe('0x7f80') // FLT_MAX
    expect(hex(toBFloat16Bits((2 - 2 ** -7) * 2 ** 127))).toBe('0x7f7f') // largest finite bf16
    expect(hex(toBFloat16Bits(NaN))).toBe('0x7fc0')
  })

  it('decodes exactly, including subnormals, infinities and NaN', () => {
    expect(fromBFloat16Bits(0x3f80)).toBe(1)
    expect(fromBFloat16Bits(0x0001)).toBe(2 ** -133)
    expect(fromBFloat16Bits(0xff80)).toBe(-Infinity)
    expect(fromBFloat16Bits(0x7fc0)).toBeNaN()
    expect(Object.is(fromBFloat16Bits(0x8000), -0)).toBe(true)
  })

  it('round-trips every finite pattern', () => {
    for (let b = 0; b < 0x10000; b++) {
      const v = fromBFloat16Bits(b)
      if (Number.isNaN(v)) continue
      if (toBFloat16Bits(v) !== b) throw new Error(`pattern ${hex(b)} → ${v} → ${hex(toBFloat16Bits(v))}`)
    }
  })

  it('matches the textbook float32 bit conversion on random float32 patterns', () => {
    const next = lcg(7)
    const view = new DataView(new ArrayBuffer(4))
    for (let i = 0; i < 50000; i++) {
      view.setUint32(0, next())
      const f = view.getFloat32(0)
      if (Number.isNaN(f)) continue
      const got = toBFloat16Bits(f)
      const want = referenceBFloat16FromF32(f)
      if (got !== want) throw new Error(`${f}: got ${hex(got)}, want ${hex(want)}`)
    }
  })
})
