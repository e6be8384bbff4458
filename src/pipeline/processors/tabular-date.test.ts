import { describe, expect, it } from 'vitest'
import { isoDateToYear } from './tabular-date.js'

describe('isoDateToYear', () => {
  it('gives New Year as the whole year and other instants as the elapsed share of their year', () => {
    expect(isoDateToYear('1982-01-01')).toBe(1982)
    // 2001 has 365 days: noon on 2 July is exactly halfway.
    expect(isoDateToYear('2001-07-02T12:00:00Z')).toBe(2001.5)
    // 2000 is a leap year: 1 March is day 60, 60/366 of the way through.
    expect(isoDateToYear('2000-03-01')).toBeCloseTo(2000 + 60 / 366, 12)
    expect(isoDateToYear('1999-12-31T23:59:59.999Z')).toBeLessThan(2000)
  })

  it('reads a time without a zone as UTC and applies zone offsets, across New Year if need be', () => {
    expect(isoDateToYear('2001-07-02 12:00')).toBe(2001.5)
    expect(isoDateToYear('2001-07-02T14:00:00+02:00')).toBe(2001.5)
    expect(isoDateToYear('2001-07-02T07:30-0430')).toBe(2001.5)
    expect(isoDateToYear('2002-01-01T01:00:00+02:00')).toBeLessThan(2002)
  })

  it('keeps years below 100 as written', () => {
    expect(isoDateToYear('0050-01-01')).toBe(50)
  })

  it('refuses layouts that are not ISO 8601 and days or times that do not exist', () => {
    for (const text of ['01/02/1982', '1982/01/02', '1982-1-2', '82-01-02', '1982-01-02T', '1982-01-02T10', 'x1982-01-02', '1982-01-02Z',
      '1982-13-01', '1982-00-10', '1982-02-29', '1982-04-31', '1982-01-00', '1982-01-02T24:00', '1982-01-02T10:60', '1982-01-02T10:00+25:00']) {
      expect(isoDateToYear(text), text).toBeUndefined()
    }
    expect(isoDateToYear('1984-02-29')).toBeDefined()
  })
})
