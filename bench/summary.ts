import { alignColumns, grouped, type LevelResult } from '../src/bench/index.js'
import type { RawOrtResult } from './raw-ort.js'

/**
 * The bench's verdict: the per-server table and the ratios the performance targets name, each
 * marked met or missed.
 *
 * Every server is measured at every level in several short rounds, the servers in turn
 * within a round. A ratio is taken within each round (its two figures come from windows a second
 * or two apart) and the median over the rounds is the one judged; the range shows how far the
 * rounds spread. The table gives each server's median figures over the rounds.
 */

export type ServerName = 'naive' | 'ceiling' | 'batcher' | 'inferd'

/** One measurement of one server at one level, with the server's CPU per request when known. */
export interface Measured {
  readonly result: LevelResult
  readonly cpuUsPerRequest: number | undefined
  /** inferd only: mean rows per batch it formed during the measurement (its statistics). */
  readonly meanBatch?: number | undefined
}

/** A server at one level: one measurement per round, in round order. */
export interface ServerLevel {
  readonly server: ServerName
  readonly level: number
  readonly rounds: readonly Measured[]
}

export interface Ratio {
  readonly name: string
  /** Median over the rounds. */
  readonly value: number
  readonly min: number
  readonly max: number
  /** `≥ 3.5×` or `≤ 1.1×`; undefined for a ratio shown to explain the others. */
  readonly target: string | undefined
  readonly met: boolean | undefined
}

interface RatioSpec {
  readonly name: string
  readonly atLeast?: number
  readonly atMost?: number
  /** One value per round. */
  readonly values: readonly number[]
}

/** The ratios of the targets, then the ones that explain them. */
export function targetRatios (levels: readonly ServerLevel[], binary: LevelResult | undefined, json: LevelResult | undefined): Ratio[] {
  const rounds = (server: ServerName, c: number): readonly Measured[] => levels.find((l) => l.server === server && l.level === c)?.rounds ?? []
  const perRound = (a: ServerName, b: ServerName, c: number, f: (m: Measured) => number): number[] => {
    const ra = rounds(a, c)
    const rb = rounds(b, c)
    return ra.slice(0, rb.length).map((m, i) => f(m) / f(rb[i]!))
  }
  const rps = (m: Measured): number => m.result.requestsPerSecond
  const p50 = (m: Measured): number => m.result.latencyUs.p50
  const cpu = (m: Measured): number => m.cpuUsPerRequest ?? NaN
  const specs: RatioSpec[] = [
    { name: 'inferd / naive throughput, c=64', atLeast: 3.5, values: perRound('inferd', 'naive', 64, rps) },
    { name: 'inferd / HTTP-JSON ceiling throughput, c=64', atLeast: 0.85, values: perRound('inferd', 'ceiling', 64, rps) },
    { name: 'inferd p50 / naive p50 latency, c=1', atMost: 1.1, values: perRound('inferd', 'naive', 1, p50) },
    { name: 'binary / JSON throughput, 1×3×224×224 FP32', atLeast: 5, values: [(binary?.requestsPerSecond ?? NaN) / (json?.requestsPerSecond ?? NaN)] },
    // Not targets. The first bounds what any server on this framework and machine can reach
    // against the naive one; the second is what inferd costs against the ceiling in CPU time;
    // the last two split inferd's distance to the ceiling into what batching itself costs here
    // (the least a batching server does) and what inferd adds to that.
    { name: 'ceiling / naive throughput, c=64 (the most any server can reach)', values: perRound('ceiling', 'naive', 64, rps) },
    { name: 'ceiling / inferd server CPU per request, c=64', values: perRound('ceiling', 'inferd', 64, cpu) },
    { name: 'minimal batcher / ceiling throughput, c=64', values: perRound('batcher', 'ceiling', 64, rps) },
    { name: 'inferd / minimal batcher throughput, c=64', values: perRound('inferd', 'batcher', 64, rps) },
  ]
  return specs.map((s) => {
    const value = median(s.values)
    const finite = s.values.filter(Number.isFinite)
    const target = s.atLeast !== undefined ? `≥ ${s.atLeast}×` : s.atMost !== undefined ? `≤ ${s.atMost}×` : undefined
    const met = target === undefined ? undefined : Number.isFinite(value) && (s.atLeast !== undefined ? value >= s.atLeast : value <= (s.atMost as number))
    return { name: s.name, value, min: Math.min(...finite), max: Math.max(...finite), target, met }
  })
}

/** Median of the finite values (NaN when there are none). */
export function median (values: readonly number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (v.length === 0) return NaN
  const mid = v.length >> 1
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2
}

/** The batch size inferd formed at each level (median over the rounds of the mean rows per batch, rounded). */
export function formedBatches (levels: readonly ServerLevel[]): Map<number, number> {
  const formed = new Map<number, number>()
  for (const l of levels) {
    if (l.server !== 'inferd') continue
    const mean = median(l.rounds.map((m) => m.meanBatch ?? NaN))
    if (Number.isFinite(mean)) formed.set(l.level, Math.max(1, Math.round(mean)))
  }
  return formed
}

/** Raw onnxruntime rows per second by batch size, each size inferd formed marked with its level. */
export function formatRawOrt (rows: readonly RawOrtResult[], formed: ReadonlyMap<number, number> = new Map()): string {
  const at = (batch: number): string => [...formed].filter(([, b]) => b === batch).map(([c]) => `c=${c}`).join(', ')
  const table = [['batch', 'rows/s', 'µs/run', 'inferd formed it at'], ...rows.map((r) => [String(r.batch), grouped(r.rowsPerSecond), r.usPerRun.toFixed(1), at(r.batch)])]
  return alignColumns(table).join('\n') + '\n'
}

/**
 * One row per server and concurrency, medians over the rounds: req/s (and the rounds' range),
 * p50 and p99 (ms), server CPU per request (µs), rows per batch inferd formed, errors over all
 * rounds.
 */
export function formatServers (levels: readonly ServerLevel[]): string {
  const table = [['server', 'c', 'req/s', 'range', 'p50 ms', 'p99 ms', 'CPU µs/req', 'rows/batch', 'errors']]
  for (const l of levels) {
    const rps = l.rounds.map((m) => m.result.requestsPerSecond)
    const cpu = median(l.rounds.map((m) => m.cpuUsPerRequest ?? NaN))
    const batch = median(l.rounds.map((m) => m.meanBatch ?? NaN))
    table.push([
      l.server,
      String(l.level),
      grouped(median(rps)),
      Math.min(...rps) === Math.max(...rps) ? '' : `${grouped(Math.min(...rps))}–${grouped(Math.max(...rps))}`,
      ms(median(l.rounds.map((m) => m.result.latencyUs.p50))),
      ms(median(l.rounds.map((m) => m.result.latencyUs.p99))),
      Number.isFinite(cpu) ? cpu.toFixed(1) : '-',
      Number.isFinite(batch) ? batch.toFixed(1) : '-',
      String(l.rounds.reduce((n, m) => n + m.result.errors, 0)),
    ])
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
  const x = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}×` : 'n/a')
  const table = [['ratio', 'median', 'rounds', 'target', ''],
    ...ratios.map((r) => [
      r.name,
      x(r.value),
      r.min === r.max || !Number.isFinite(r.min) ? '' : `${x(r.min)}–${x(r.max)}`,
      r.target ?? '',
      r.met === undefined ? '' : r.met ? 'met' : 'MISSED',
    ])]
  return alignColumns(table, [0]).join('\n') + '\n'
}

function ms (us: number): string {
  return Number.isFinite(us) ? (us / 1000).toFixed(3) : '-'
}
