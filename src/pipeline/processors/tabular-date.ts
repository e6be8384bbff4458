/**
 * Dates in tabular records. A model cannot take "1982-01-01" as is, and a client should not have
 * to convert it, so a `date` feature turns an ISO 8601 string into one number: the fractional
 * year (1982.0 for New Year's Day 1982, about 1982.5 at midsummer). Years keep the scale
 * statistics saved with the model readable (mean 1976.0, std 3.7) and cover any span of data.
 */

// YYYY-MM-DD, optionally followed by T or a space, hh:mm[:ss[.fff]] and a zone (Z or ±hh[:]mm).
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/

/**
 * Parses an ISO 8601 calendar date or date-time and returns its fractional year, or undefined
 * when the string is not one (wrong layout, or a day or time that does not exist: 2021-02-30,
 * 24:00). A time without a zone is read as UTC, never as the server's local time, so the same
 * record gives the same number on every machine.
 *
 * @example
 * isoDateToYear('1982-01-01')           // 1982
 * isoDateToYear('2001-07-02T12:00:00Z') // 2001.5
 */
export function isoDateToYear (text: string): number | undefined {
  const m = ISO_DATE.exec(text)
  if (m === null) return undefined
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number]
  const fraction = m[7] === undefined ? 0 : Number(`0.${m[7]}`)
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined
  // Dates roll 02-30 over into March; reading the day back catches days a month lacks.
  const midnight = utcMidnight(year, month - 1, day)
  if (day < 1 || new Date(midnight).getUTCDate() !== day) return undefined
  let ms = midnight + ((hour * 60 + minute) * 60 + second + fraction) * 1000
  const zone = m[8]
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone.replace(':', '')
    const offset = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5))
    if (Number(digits.slice(1, 3)) > 23 || Number(digits.slice(3, 5)) > 59) return undefined
    // 10:00+02:00 is 08:00 UTC: subtract east-of-Greenwich offsets.
    ms -= (digits[0] === '+' ? 1 : -1) * offset * 60_000
  }
  // The instant's own UTC year, which a zone offset can move across New Year.
  const utcYear = new Date(ms).getUTCFullYear()
  const start = utcMidnight(utcYear, 0, 1)
  return utcYear + (ms - start) / (utcMidnight(utcYear + 1, 0, 1) - start)
}

/** Milliseconds at UTC midnight; unlike Date.UTC, years 0–99 are not taken as 1900–1999. */
function utcMidnight (year: number, monthIndex: number, day: number): number {
  const d = new Date(0)
  return d.setUTCFullYear(year, monthIndex, day)
}
