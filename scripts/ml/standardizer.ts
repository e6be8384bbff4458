/** Per-feature mean and standard deviation, fitted on training rows only. */
export interface Standardizer {
  readonly mean: readonly number[]
  readonly std: readonly number[]
}

/**
 * Fits a standardizer: `(x - mean) / std` per feature, using the population standard deviation.
 * A constant feature gets std 1 so that the transform stays finite (it maps to 0).
 */
export function fitStandardizer (rows: readonly (readonly number[])[]): Standardizer {
  const first = rows[0]
  if (first === undefined) throw new RangeError('cannot fit a standardizer on zero rows')
  const width = first.length
  const mean = new Array<number>(width).fill(0)
  const std = new Array<number>(width).fill(0)
  for (const row of rows) for (let j = 0; j < width; j++) mean[j] = (mean[j] as number) + (row[j] as number) / rows.length
  for (const row of rows) {
    for (let j = 0; j < width; j++) std[j] = (std[j] as number) + ((row[j] as number) - (mean[j] as number)) ** 2 / rows.length
  }
  return { mean, std: std.map((v) => (v > 0 ? Math.sqrt(v) : 1)) }
}

/** Applies a fitted standardizer to rows. */
export function standardize (s: Standardizer, rows: readonly (readonly number[])[]): number[][] {
  return rows.map((row) => row.map((x, j) => (x - (s.mean[j] as number)) / (s.std[j] as number)))
}
