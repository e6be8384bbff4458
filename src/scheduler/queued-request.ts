import type { CancelSignal } from '../core/cancellation.js'
import type { RequestTimes } from '../core/diagnostics.js'
import type { Tensor } from '../core/tensor.js'
import type { InferdError } from '../errors/index.js'

/** What the scheduler needs to know of a timeout once it fires (Triton ModelQueuePolicy.timeout_action). */
export type TimeoutAction = 'REJECT' | 'DELAY'

/**
 * One request waiting in a model's queue. The scheduler owns it from a successful `enqueue` until
 * it calls exactly one of `resolve` / `reject`.
 */
export interface QueuedRequest {
  /** Validated inputs; when the model batches, dimension 0 is this request's batch. */
  readonly inputs: readonly Tensor[]
  /** Outputs this request wants computed. */
  readonly outputNames: readonly string[]
  /** Rows this request adds to a batch (1 for a model that does not batch). */
  readonly rows: number
  /** Requests share a batch only when their keys are equal (batch-tensors.ts `batchKey`). */
  readonly key: string
  /** 1 is the highest level; a model without priority levels uses 1 for everyone. */
  readonly priority: number
  /**
   * Background work (a batch job's micro-batch): served only when no online request of any
   * level is queued, never batched with online requests, and not counted against max_queue_size
   * (the job bounds its own requests in flight). See PriorityQueue.
   */
  readonly background?: boolean
  /** performance.now() at enqueue, ms. */
  readonly enqueuedAt: number
  /** performance.now() past which the queue policy's timeout applies, ms; Infinity for none. */
  readonly deadline: number
  readonly timeoutAction: TimeoutAction
  /** Aborted when the client goes away: a queued request is then dropped without being computed. */
  readonly signal?: CancelSignal
  resolve (outputs: Tensor[], timing: RequestTiming): void
  reject (err: InferdError): void
}

/**
 * Where a request's time went, for statistics: ns spent queued, and its batch's compute time,
 * whole (`computeNs`) and by phase (core/diagnostics.ts {@link RequestTimes}).
 */
export interface RequestTiming extends RequestTimes {
  readonly computeNs: number
  readonly batchRows: number
}
