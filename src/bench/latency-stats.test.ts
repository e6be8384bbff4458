import { describe, expect, it } from 'vitest'
import { percentileOfSorted, pickLatency, summarizeLatencies } from './latency-stats.js'

describe('percentileOfSorted (nearest rank)', () => {
  const hundred = Float64Array.from({ length: 100 }, (_, i) => i + 1) // 1..100

  it('returns the sample at rank ceil(p·n)', () => {
    expect(percentileOfSorted(hundred, 50)).toBe(50)
    expect(percentileOfSorted(hundred, 90)).toBe(90)
    expect(percentileOfSorted(hundred, 99)).toBe(99)
    expect(percentileOfSorted(hundred, 100)).toBe(100)
    expect(percentileOfSorted(hundred, 0.5)).toBe(1)
  })

  it('never interpolates: every answer is one of the samples', () => {
    const two = [10, 20]
    expect(percentileOfSorted(two, 50)).toBe(10)
    expect(percentileOfSorted(two, 51)).toBe(20)
    expect(percentileOfSorted([7], 99)).toBe(7)
  })

  it('is NaN without samples and refuses percentiles outside (0, 100]', () => {
    expect(percentileOfSorted([], 50)).toBeNaN()
    expect(() => percentileOfSorted([1], 0)).toThrow(RangeError)
    expect(() => percentileOfSorted([1], 101)).toThrow(RangeError)
  })
})

describe('summarizeLatencies', () => {
  it('sorts a copy and reports percentiles, mean, min and max', () => {
    const samples = Float64Array.from({ length: 1000 }, (_, i) => ((i * 617) % 1000) + 1) // 1..1000, shuffled
    const before = Float64Array.from(samples)
    const s = summarizeLatencies(samples)
    expect(s).toEqual({ p50: 500, p90: 900, p95: 950, p99: 990, avg: 500.5, min: 1, max: 1000 })
    expect(samples).toEqual(before) // input untouched
  })

  it('keeps a long tail visible', () => {
    const samples = [...Array.from({ length: 98 }, () => 100), 5000, 9000]
    const s = summarizeLatencies(samples)
    expect(s.p50).toBe(100)
    expect(s.p99).toBe(5000)
    expect(s.max).toBe(9000)
  })

  it('gives NaN figures for no samples', () => {
    expect(Number.isNaN(summarizeLatencies([]).p50)).toBe(true)
  })
})

describe('pickLatency', () => {
  const s = summarizeLatencies([1, 2, 3, 4, 100])
  it('is the mean by default and the named percentile otherwise', () => {
    expect(pickLatency(s, undefined)).toBe(22)
    expect(pickLatency(s, 50)).toBe(3)
    expect(pickLatency(s, 99)).toBe(100)
    expect(() => pickLatency(s, 42)).toThrow(/50, 90, 95, 99/)
  })
})
