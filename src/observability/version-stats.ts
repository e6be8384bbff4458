import type { BatchMessage, RequestMessage } from '../core/diagnostics.js'

/** Triton's `$duration_stat`: how many times, and their total duration in ns. */
export interface DurationStat {
  count: number
  ns: number
}

/** Triton's `$inference_stats` (gRPC InferStatistics). */
export interface InferenceStatsJson {
  success: DurationStat
  fail: DurationStat
  queue: DurationStat
  compute_input: DurationStat
  compute_infer: DurationStat
  compute_output: DurationStat
  cache_hit: DurationStat
  cache_miss: DurationStat
}

/** Triton's `$batch_stat` (gRPC InferBatchStatistics): executions of one batch size. */
export interface BatchStatsJson {
  batch_size: number
  compute_input: DurationStat
  compute_infer: DurationStat
  compute_output: DurationStat
}

/** Triton's `$model_stat` (gRPC ModelStatistics) for one model version, as REST writes it. */
export interface ModelStatsJson {
  name: string
  version: string
  /** ms since the epoch of the last successful execution; 0 before the first. */
  last_inference: number
  /** Rows (inferences) of successful requests: a request of batch size 8 adds 8. */
  inference_count: number
  /** Successful executions (batches) of the model. */
  execution_count: number
  inference_stats: InferenceStatsJson
  /** One entry per batch size executed, by ascending batch size. */
  batch_stats: BatchStatsJson[]
  /** Triton reports memory measured at load; inferd measures none (always empty). */
  memory_usage: never[]
  /** Per-response statistics of decoupled models; inferd has none (always empty). */
  response_stats: Record<string, never>
}

interface Totals { count: number; ns: number }
interface BatchTotals { count: number; input: number; infer: number; output: number }

/**
 * The statistics of one served model version, accumulated from the data path's diagnostics
 * messages with Triton's semantics (core InferenceStatsAggregator):
 *
 *   request answered → success (count 1, ns = its whole duration), queue, compute_input,
 *                      compute_infer, compute_output (count 1 each; ns = its queue time and its
 *                      batch's phases, so requests sharing a batch each count that batch's time),
 *                      inference_count += its batch size
 *   request failed   → fail (count 1, ns = its duration until it failed)
 *   batch succeeded  → execution_count += 1, last_inference = now,
 *                      batch_stats[rows] (count 1 each phase; ns = the batch's phases)
 *   batch failed     → nothing: Triton counts successful executions only; its requests count in fail
 *
 * The queue and compute counts therefore equal the success count, as in Triton's output. No
 * response cache exists, so cache_hit and cache_miss stay zero. Totals are JS numbers: exact up
 * to 2^53 ns (104 days of accumulated time), approximate (never wrapping) beyond.
 */
export class VersionStats {
  #lastInference = 0
  #inferenceCount = 0
  #executionCount = 0
  readonly #success: Totals = { count: 0, ns: 0 }
  readonly #fail: Totals = { count: 0, ns: 0 }
  #queueNs = 0
  #inputNs = 0
  #inferNs = 0
  #outputNs = 0
  readonly #batches = new Map<number, BatchTotals>()

  /** Counts one request's outcome. */
  recordRequest (m: RequestMessage): void {
    if (m.error !== undefined || m.times === undefined) {
      this.#fail.count++
      this.#fail.ns += m.durationNs
      return
    }
    this.#success.count++
    this.#success.ns += m.durationNs
    this.#inferenceCount += m.rows
    this.#queueNs += m.times.queueNs
    this.#inputNs += m.times.computeInputNs
    this.#inferNs += m.times.computeInferNs
    this.#outputNs += m.times.computeOutputNs
  }

  /** Counts one execution; failed ones are not executions in Triton's sense. */
  recordBatch (m: BatchMessage, nowMs: number = Date.now()): void {
    if (m.failed) return
    this.#executionCount++
    if (nowMs > this.#lastInference) this.#lastInference = nowMs
    let b = this.#batches.get(m.rows)
    if (b === undefined) {
      b = { count: 0, input: 0, infer: 0, output: 0 }
      this.#batches.set(m.rows, b)
    }
    b.count++
    b.input += m.computeInputNs
    b.infer += m.computeInferNs
    b.output += m.computeOutputNs
  }

  /** The version's `$model_stat` object. */
  toJSON (name: string, version: string): ModelStatsJson {
    const n = this.#success.count
    return {
      name,
      version,
      last_inference: this.#lastInference,
      inference_count: this.#inferenceCount,
      execution_count: this.#executionCount,
      inference_stats: {
        success: { ...this.#success },
        fail: { ...this.#fail },
        queue: { count: n, ns: this.#queueNs },
        compute_input: { count: n, ns: this.#inputNs },
        compute_infer: { count: n, ns: this.#inferNs },
        compute_output: { count: n, ns: this.#outputNs },
        cache_hit: { count: 0, ns: 0 },
        cache_miss: { count: 0, ns: 0 },
      },
      batch_stats: [...this.#batches.entries()].sort((a, b) => a[0] - b[0]).map(([size, b]) => ({
        batch_size: size,
        compute_input: { count: b.count, ns: b.input },
        compute_infer: { count: b.count, ns: b.infer },
        compute_output: { count: b.count, ns: b.output },
      })),
      memory_usage: [],
      response_stats: {},
    }
  }
}

/** The statistics of a version nothing has reached yet: every count zero. */
export function emptyModelStats (name: string, version: string): ModelStatsJson {
  return new VersionStats().toJSON(name, version)
}
