import type { Tensor } from '../core/tensor.js'

/**
 * When the backend session's run began and ended for one batch, on the process-wide monotonic
 * clock (`process.hrtime.bigint()`, the same in every thread). An instance fills this in, if it
 * was given one, before `run` resolves; the scheduler splits the batch's time around it into
 * compute input / infer / output (statistics). An instance that leaves it empty gets its whole
 * `run` counted as infer.
 */
export interface RunMarks {
  inferStart?: bigint
  inferEnd?: bigint
}

/**
 * One executor of batches for a model version.
 *
 * Contract: the pool calls `run` only while the instance is idle (one batch at a time) and
 * `ready()` is true. `run` resolves with the outputs asked for or rejects with an InferdError
 * (BACKEND_FAILED for the model's own failure, BACKEND_CRASHED when the executing thread died,
 * after which the instance restarts itself). `close` waits for a run in flight, then frees the
 * instance; it is idempotent.
 */
export interface ExecutionInstance {
  readonly kind: 'inline' | 'worker'
  ready (): boolean
  run (inputs: readonly Tensor[], outputNames: readonly string[], marks?: RunMarks): Promise<Tensor[]>
  /** Called with no argument once the instance can take work again (after a restart). */
  onReady (listener: () => void): void
  close (): Promise<void>
}
