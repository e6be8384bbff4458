/**
 * When a load level's measurement counts: perf_analyzer's rule. The last `windows` measurement
 * windows are stable when, for throughput and for latency alike, the largest value is within
 * `percentage` % of the smallest (max / min ≤ 1 + percentage / 100). Until then, windows keep
 * coming, up to a maximum, after which the level is reported as unstable.
 */

/** What the stability rule looks at in one measurement window. */
export interface WindowFigures {
  /** Successful inferences per second. */
  readonly throughput: number
  /** Mean (or chosen percentile) latency, microseconds; NaN when the window had no success. */
  readonly latency: number
}

export interface StabilityOptions {
  /** Allowed spread, in percent of the smallest value. perf_analyzer's default is 10. */
  readonly percentage: number
  /** How many consecutive windows must agree. perf_analyzer uses 3. */
  readonly windows: number
}

export const DEFAULT_STABILITY: StabilityOptions = Object.freeze({ percentage: 10, windows: 3 })

/**
 * True when the values agree within `percentage` %: max / min ≤ 1 + percentage / 100.
 * Values that are all equal agree (also all zero); a zero next to a non-zero value, or a NaN
 * next to a number, does not.
 */
export function withinSpread (values: readonly number[], percentage: number): boolean {
  if (values.length === 0) return false
  if (values.every((v) => Number.isNaN(v))) return true
  if (values.some((v) => !Number.isFinite(v) || v < 0)) return false
  const max = Math.max(...values)
  const min = Math.min(...values)
  if (max === min) return true
  if (min === 0) return false
  return max / min <= 1 + percentage / 100
}

/**
 * Whether the last `options.windows` windows are stable in both throughput and latency.
 *
 * @param windows - every window measured so far at this level, oldest first
 */
export function isStable (windows: readonly WindowFigures[], options: StabilityOptions = DEFAULT_STABILITY): boolean {
  if (options.windows < 1) throw new RangeError(`stability needs at least 1 window, got ${options.windows}`)
  if (windows.length < options.windows) return false
  const last = windows.slice(-options.windows)
  return withinSpread(last.map((w) => w.throughput), options.percentage) &&
    withinSpread(last.map((w) => w.latency), options.percentage)
}
