import type { Tensor } from '../core/tensor.js'

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
  run (inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]>
  /** Called with no argument once the instance can take work again (after a restart). */
  onReady (listener: () => void): void
  close (): Promise<void>
}
