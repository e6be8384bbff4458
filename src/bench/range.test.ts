import { describe, expect, it } from 'vitest'
import { parseRange } from './range.js'

describe('parseRange (perf_analyzer start:end:step)', () => {
  const conc = { integer: true }
  const rate = { integer: false }

  it('expands a linear range, end included, step 1 by default', () => {
    expect(parseRange('1:64:2', conc)).toEqual([...Array.from({ length: 32 }, (_, i) => 1 + 2 * i)])
    expect(parseRange('1:4', conc)).toEqual([1, 2, 3, 4])
    expect(parseRange('2:9:3', conc)).toEqual([2, 5, 8])
    expect(parseRange('8', conc)).toEqual([8])
  })

  it('accepts a comma list of levels', () => {
    expect(parseRange('1,16,64,256', conc)).toEqual([1, 16, 64, 256])
  })

  it('takes fractional request rates without drift', () => {
    expect(parseRange('0.1:0.5:0.1', rate)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5])
    expect(parseRange('100:300:100', rate)).toEqual([100, 200, 300])
  })

  it('refuses malformed, non-positive, non-integer and reversed ranges', () => {
    expect(() => parseRange('', conc)).toThrow(/start/)
    expect(() => parseRange('0:4', conc)).toThrow(/start must be a whole number/)
    expect(() => parseRange('1.5', conc)).toThrow(RangeError)
    expect(() => parseRange('8:4', conc)).toThrow(/below start/)
    expect(() => parseRange('1:2:3:4', conc)).toThrow(/start\[:end\[:step\]\]/)
    expect(() => parseRange('1:x', conc)).toThrow(/end/)
    expect(() => parseRange('1:1000000', conc)).toThrow(/at most/)
  })
})
