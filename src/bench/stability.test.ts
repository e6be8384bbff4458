import { describe, expect, it } from 'vitest'
import { isStable, withinSpread } from './stability.js'

describe('withinSpread', () => {
  it('accepts values whose max/min is within the percentage', () => {
    expect(withinSpread([100, 105, 110], 10)).toBe(true)
    expect(withinSpread([100, 105, 110.5], 10)).toBe(false)
    expect(withinSpread([1000, 1000, 1000], 0.1)).toBe(true)
  })

  it('treats all-equal as agreeing (zeros too) and a zero beside a non-zero as not', () => {
    expect(withinSpread([0, 0, 0], 10)).toBe(true)
    expect(withinSpread([0, 5, 5], 10)).toBe(false)
  })

  it('handles NaN (no latency in a window): all NaN agree, a mix does not', () => {
    expect(withinSpread([NaN, NaN, NaN], 10)).toBe(true)
    expect(withinSpread([NaN, 5, 5], 10)).toBe(false)
    expect(withinSpread([], 10)).toBe(false)
  })
})

describe('isStable (perf_analyzer: the last 3 windows agree in throughput and latency)', () => {
  const w = (throughput: number, latency: number) => ({ throughput, latency })

  it('needs three windows', () => {
    expect(isStable([w(100, 1), w(100, 1)])).toBe(false)
    expect(isStable([w(100, 1), w(100, 1), w(100, 1)])).toBe(true)
  })

  it('looks only at the last three windows', () => {
    const warmingUp = [w(10, 50), w(60, 9), w(100, 1), w(104, 1.02), w(98, 1.01)]
    expect(isStable(warmingUp)).toBe(true)
    expect(isStable(warmingUp.slice(0, 4))).toBe(false)
  })

  it('requires throughput and latency to agree', () => {
    expect(isStable([w(100, 1), w(100, 1), w(120, 1)])).toBe(false)
    expect(isStable([w(100, 1), w(100, 1), w(100, 1.2)])).toBe(false)
  })

  it('follows the given percentage and window count', () => {
    const windows = [w(100, 1), w(115, 1), w(110, 1)]
    expect(isStable(windows, { percentage: 10, windows: 3 })).toBe(false)
    expect(isStable(windows, { percentage: 20, windows: 3 })).toBe(true)
    expect(isStable(windows, { percentage: 10, windows: 2 })).toBe(true)
    expect(() => isStable(windows, { percentage: 10, windows: 0 })).toThrow(RangeError)
  })
})
