/**
 * Latency summaries for the load generator: percentiles by the nearest-rank method, plus mean,
 * min and max. Pure functions over microsecond samples, so they are tested with fake data.
 */

/** The latency figures reported for one measurement window or one level, all in microseconds. */
export interface LatencySummary {
  readonly p50: number
  readonly p90: number
  readonly p95: number
  readonly p99: number
  readonly avg: number
  readonly min: number
  readonly max: number
}

/** A summary with no samples: every figure is NaN, which the reports print as empty. */
export const EMPTY_LATENCY: LatencySummary = Object.freeze({ p50: NaN, p90: NaN, p95: NaN, p99: NaN, avg: NaN, min: NaN, max: NaN })

/**
 * The `p`-th percentile of samples that are already sorted ascending, by nearest rank: the
 * smallest sample such that at least p % of the samples are ≤ it. No interpolation: every
 * reported figure is a latency some request really had.
 *
 * @param sorted - samples in ascending order
 * @param p - percentile in (0, 100]
 * @returns NaN when there are no samples
 */
export function percentileOfSorted (sorted: ArrayLike<number>, p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`)
  const n = sorted.length
  if (n === 0) return NaN
  const rank = Math.ceil((p / 100) * n)
  return sorted[Math.min(n, Math.max(1, rank)) - 1] as number
}

/**
 * Sorts a copy of the samples and summarizes them.
 *
 * @param samples - latencies in microseconds, in any order (not modified)
 */
export function summarizeLatencies (samples: ArrayLike<number>): LatencySummary {
  const n = samples.length
  if (n === 0) return EMPTY_LATENCY
  // A Float64Array sorts numerically and in place, without a comparator call per pair.
  const sorted = Float64Array.from(samples as ArrayLike<number>).sort()
  let sum = 0
  for (let i = 0; i < n; i++) sum += sorted[i] as number
  return {
    p50: percentileOfSorted(sorted, 50),
    p90: percentileOfSorted(sorted, 90),
    p95: percentileOfSorted(sorted, 95),
    p99: percentileOfSorted(sorted, 99),
    avg: sum / n,
    min: sorted[0] as number,
    max: sorted[n - 1] as number,
  }
}

/**
 * The latency a stability check or a latency threshold looks at: the mean by default, or a
 * given percentile (perf_analyzer's `--percentile`).
 */
export function pickLatency (summary: LatencySummary, percentile: number | undefined): number {
  if (percentile === undefined) return summary.avg
  switch (percentile) {
    case 50: return summary.p50
    case 90: return summary.p90
    case 95: return summary.p95
    case 99: return summary.p99
    default: throw new RangeError(`--percentile must be one of 50, 90, 95, 99, got ${percentile}`)
  }
}
