import type { LevelResult, LoadMode } from './results.js'

/**
 * The human table and the CSV of a run. The CSV follows perf_analyzer's `-f` file where the two
 * overlap (column names, latencies in microseconds), so scripts written for one read the other.
 */

const LEVEL_COLUMN: Readonly<Record<LoadMode, string>> = { concurrency: 'Concurrency', request_rate: 'Request Rate' }

/** CSV header and one row per level; latencies in whole microseconds, throughput to 0.01. */
export function formatCsv (results: readonly LevelResult[]): string {
  const mode = results[0]?.mode ?? 'concurrency'
  const header = [
    LEVEL_COLUMN[mode], 'Inferences/Second', 'Requests/Second',
    'p50 latency', 'p90 latency', 'p95 latency', 'p99 latency', 'Avg latency', 'Min latency', 'Max latency',
    'Successful Requests', 'Errors', 'Stable', 'Windows',
  ]
  const rows = results.map((r) => [
    String(r.level), fixed(r.inferencesPerSecond, 2), fixed(r.requestsPerSecond, 2),
    us(r.latencyUs.p50), us(r.latencyUs.p90), us(r.latencyUs.p95), us(r.latencyUs.p99),
    us(r.latencyUs.avg), us(r.latencyUs.min), us(r.latencyUs.max),
    String(r.requests), String(r.errors), String(r.stable), String(r.windows),
  ])
  return [header, ...rows].map((cols) => cols.join(',')).join('\n') + '\n'
}

/** An aligned text table (latencies in milliseconds, three decimals: microsecond resolution). */
export function formatTable (results: readonly LevelResult[]): string {
  const mode = results[0]?.mode ?? 'concurrency'
  const header = [LEVEL_COLUMN[mode], 'infer/s', 'p50 ms', 'p90 ms', 'p95 ms', 'p99 ms', 'avg ms', 'errors', 'stable']
  const rows = results.map((r) => [
    String(r.level), grouped(r.inferencesPerSecond),
    ms(r.latencyUs.p50), ms(r.latencyUs.p90), ms(r.latencyUs.p95), ms(r.latencyUs.p99), ms(r.latencyUs.avg),
    String(r.errors), r.stable ? 'yes' : `no (${r.windows} windows)`,
  ])
  const lines = alignColumns([header, ...rows])
  const failures = results.filter((r) => r.firstError !== undefined).map((r) => `  ${LEVEL_COLUMN[mode].toLowerCase()} ${r.level}: first error: ${r.firstError}`)
  return [...lines, ...failures].join('\n') + '\n'
}

/**
 * Pads every column to its widest cell: right-aligned (numbers), or left-aligned for the column
 * indexes in `leftAligned` (names). The last column is not padded.
 */
export function alignColumns (rows: readonly (readonly string[])[], leftAligned: readonly number[] = []): string[] {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length) })
  const pad = (cell: string, i: number, last: boolean): string =>
    last ? cell : leftAligned.includes(i) ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)
  return rows.map((row) => row.map((cell, i) => pad(cell, i, i === row.length - 1)).join('  ').trimEnd())
}

/** A number with thousands separators and one decimal below 100 (e.g. `12,345`, `42.5`). */
export function grouped (value: number): string {
  if (!Number.isFinite(value)) return '-'
  return value.toLocaleString('en-US', { maximumFractionDigits: value < 100 ? 1 : 0 })
}

function fixed (value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : ''
}

function us (value: number): string {
  return Number.isFinite(value) ? String(Math.round(value)) : ''
}

function ms (valueUs: number): string {
  return Number.isFinite(valueUs) ? (valueUs / 1000).toFixed(3) : '-'
}
