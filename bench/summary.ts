import { alignColumns, grouped, type LevelResult } from '../src/bench/index.js'
import type { RawOrtResult } from './raw-ort.js'

/**
 * The bench's verdict: the per-server table and the ratios the performance targets name, each
 * marked met or missed. Ratios come from one run on one machine, so they compare like with like
 * even when the absolute numbers move between runs (ENGINE.md: ±20 %).
 */

export type ServerName = 'naive' | 'ceiling' | 'inferd'

export interface ServerResults {
  readonly server: ServerName
  readonly results: readonly LevelResult[]
}

export interface Ratio {
  readonly name: string
  readonly value: number
  /** `≥ 3.5` or `≤ 1.1`. */
  readonly target: string
  readonly met: boolean
}

interface TargetSpec { name: string; atLeast?: number; atMost?: number; value: number }

/** The four ratios of the targets. */
export function targetRatios (servers: readonly ServerResults[], binary: LevelResult | undefined, json: LevelResult | undefined): Ratio[] {
  const at = (server: ServerName, c: number): LevelResult | undefined =>
    servers.find((s) => s.server === server)?.results.find((r) => r.level === c)
  const rps = (r: LevelResult | undefined): number => r?.requestsPerSecond ?? NaN
  const specs: TargetSpec[] = [
    { name: 'inferd / naive throughput, c=64', atLeast: 3.5, value: rps(at('inferd', 64)) / rps(at('naive', 64)) },
    { name: 'inferd / HTTP-JSON ceiling throughput, c=64', atLeast: 0.85, value: rps(at('inferd', 64)) / rps(at('ceiling', 64)) },
    { name: 'inferd p50 / naive p50 latency, c=1', atMost: 1.1, value: (at('inferd', 1)?.latencyUs.p50 ?? NaN) / (at('naive', 1)?.latencyUs.p50 ?? NaN) },
    { name: 'binary / JSON throughput, 1×3×224×224 FP32', atLeast: 5, value: rps(binary) / rps(json) },
  ]
  return specs.map((s) => ({
    name: s.name,
    value: s.value,
    target: s.atLeast !== undefined ? `≥ ${s.atLeast}×` : `≤ ${s.atMost}×`,
    met: Number.isFinite(s.value) && (s.atLeast !== undefined ? s.value >= s.atLeast : s.value <= (s.atMost as number)),
  }))
}

/** Raw onnxruntime rows per second by batch size. */
export function formatRawOrt (rows: readonly RawOrtResult[]): string {
  const table = [['batch', 'rows/s', 'µs/run'], ...rows.map((r) => [String(r.batch), grouped(r.rowsPerSecond), r.usPerRun.toFixed(1)])]
  return alignColumns(table).join('\n') + '\n'
}

/** One row per server and concurrency: req/s, p50, p99 (ms), errors, stability. */
export function formatServers (servers: readonly ServerResults[]): string {
  const table = [['server', 'c', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'stable']]
  for (const s of servers) {
    for (const r of s.results) {
      table.push([s.server, String(r.level), grouped(r.requestsPerSecond), ms(r.latencyUs.p50), ms(r.latencyUs.p99), String(r.errors), r.stable ? 'yes' : `no (${r.windows} windows)`])
    }
  }
  return alignColumns(table, [0]).join('\n') + '\n'
}

/** Binary against JSON on the image input. */
export function formatProtocols (binary: LevelResult, json: LevelResult): string {
  const table = [['request', 'req/s', 'p50 ms', 'p99 ms', 'errors'],
    ...([['JSON', json], ['binary', binary]] as const).map(([name, r]) => [name, grouped(r.requestsPerSecond), ms(r.latencyUs.p50), ms(r.latencyUs.p99), String(r.errors)])]
  return alignColumns(table, [0]).join('\n') + '\n'
}

export function formatRatios (ratios: readonly Ratio[]): string {
  const table = [['ratio', 'value', 'target', ''],
    ...ratios.map((r) => [r.name, Number.isFinite(r.value) ? `${r.value.toFixed(2)}×` : 'n/a', r.target, r.met ? 'met' : 'MISSED'])]
  return alignColumns(table, [0]).join('\n') + '\n'
}

function ms (us: number): string {
  return Number.isFinite(us) ? (us / 1000).toFixed(3) : '-'
}
