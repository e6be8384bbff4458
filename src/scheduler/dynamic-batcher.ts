import type { QueuedRequest } from './queued-request.js'

/** The batching knobs of one model version (Triton's dynamic_batching, resolved). */
export interface BatcherOptions {
  /** Most rows a batch may hold; 0 means the model does not batch (every request runs alone). */
  readonly maxBatchSize: number
  /** Ascending. Batch sizes worth dispatching at once, even before the delay runs out. */
  readonly preferredBatchSizes: readonly number[]
  /** How long the oldest request may wait for others to join it, ms (0 = gather what is queued). */
  readonly maxQueueDelayMs: number
}

export type BatchDecision =
  | { readonly kind: 'run'; readonly items: readonly QueuedRequest[]; readonly rows: number }
  | { readonly kind: 'wait'; readonly until: number }
  | { readonly kind: 'idle' }

/**
 * Forms the next batch from the queue, in service order (priority level, then arrival).
 *
 *   queue (service order):  A(2 rows, key k) B(1, k') C(3, k) D(1, k) E(4, k) ...
 *                            │         skip     │      │
 *   candidate batch:         A ───────────────► C ───► D      rows 2+3+1 = 6 ≤ max_batch_size
 *   prefix sums:             2                  5      6
 *
 *   1. The head is the first request in service order; it fixes the batch key (input names,
 *      datatypes and non-batch dims). Requests with another key are skipped, not blocked: they
 *      stay queued and lead a later batch, so no shape can starve the others.
 *   2. Requests with the head's key join while the rows fit in max_batch_size. A request too big
 *      for the space left is skipped (a later, smaller one may still fit).
 *   3. Dispatch now when
 *        - some prefix of the candidates sums to a preferred batch size (the largest such prefix
 *          is taken, the rest stays queued), or
 *        - the candidates fill max_batch_size, or
 *        - there is no delay to wait (max_queue_delay 0), or the head has waited it out.
 *      Otherwise wait until the head's delay runs out (new arrivals re-run this first).
 *
 * With the default delay of 0 this is "gather what is already queued": the scheduler runs it once
 * per event-loop turn, so at low load a lone request runs at once, and under load the requests
 * that piled up while an instance was busy form the next batch. A model that does not batch
 * (max_batch_size 0) runs its head alone.
 */
export function formBatch (queue: Iterable<QueuedRequest>, opts: BatcherOptions, now: number): BatchDecision {
  let head: QueuedRequest | undefined
  const items: QueuedRequest[] = []
  let rows = 0
  const limit = Math.max(opts.maxBatchSize, 1)
  for (const r of queue) {
    if (r.signal?.aborted === true) continue
    if (head === undefined) {
      head = r
      items.push(r)
      rows = r.rows
      if (opts.maxBatchSize === 0) return { kind: 'run', items, rows }
      continue
    }
    if (rows >= limit) break
    if (r.key !== head.key || rows + r.rows > limit) continue
    items.push(r)
    rows += r.rows
  }
  if (head === undefined) return { kind: 'idle' }

  if (opts.preferredBatchSizes.length > 0) {
    const preferred = new Set(opts.preferredBatchSizes)
    let sum = 0
    let best = -1
    items.forEach((r, i) => { sum += r.rows; if (preferred.has(sum)) best = i })
    if (best >= 0) {
      const taken = items.slice(0, best + 1)
      return { kind: 'run', items: taken, rows: taken.reduce((n, r) => n + r.rows, 0) }
    }
  }
  const until = head.enqueuedAt + opts.maxQueueDelayMs
  if (rows >= limit || opts.maxQueueDelayMs <= 0 || now >= until) return { kind: 'run', items, rows }
  return { kind: 'wait', until }
}
