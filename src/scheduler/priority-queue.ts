import type { QueuedRequest } from './queued-request.js'

/**
 * The requests of one model version, by priority level, FIFO within a level.
 *
 *   level 1  [ r7 r9 r12 ] + delayed [ r2 ]   ← highest priority, served first
 *   level 2  [ r3 r4 ]     + delayed [ r1 ]
 *   ...
 *
 * A request that times out under timeout_action DELAY moves to its level's delayed list: it is
 * served after every request of its own level that has not timed out, and still before any lower
 * level (Triton's ModelQueuePolicy: "delay the request until all other requests at the same (or
 * higher) priority levels that have not reached their timeouts are processed").
 *
 * Each level has its own bound (max_queue_size, 0 = unbounded), counting its delayed requests as
 * Triton does; `push` refuses past it and the caller answers QUEUE_FULL at once. Items leave
 * through `take` (the batcher picked them) or `sweep` (cancelled, or timed out under REJECT).
 * Removal from the middle is O(n); queues that reach thousands are far past where latency
 * already broke, and the bound keeps them smaller.
 *
 * Below every level sits the background class (batch jobs' micro-batches, `background: true`),
 * whatever levels the model configures: `ordered` shows it only while no online request is
 * queued, so an online request is always the next batch's head, and a batch never mixes the two
 * (job rows would make an online request's batch larger, hence slower). An online request then
 * waits at most for the batch already computing. The class is unbounded: a job keeps only a few
 * micro-batches in flight, and must not take the room max_queue_size keeps for online clients.
 */
export class PriorityQueue {
  readonly #levels: QueuedRequest[][]
  readonly #delayed: QueuedRequest[][]
  readonly #limits: readonly number[]
  #background: QueuedRequest[] = []
  #size = 0

  /** @param limits max_queue_size per level, index 0 = level 1 (0 = unbounded) */
  constructor (limits: readonly number[]) {
    this.#limits = limits
    this.#levels = limits.map(() => [])
    this.#delayed = limits.map(() => [])
  }

  get size (): number { return this.#size }

  /** Adds at the back of its level; false when that level is full (nothing is added). */
  push (item: QueuedRequest): boolean {
    if (item.background === true) {
      this.#background.push(item)
      this.#size++
      return true
    }
    const i = item.priority - 1
    const level = this.#levels[i]
    if (level === undefined) throw new RangeError(`priority level ${item.priority} out of range`)
    const limit = this.#limits[i] ?? 0
    if (limit > 0 && level.length + this.#delayed[i]!.length >= limit) return false
    level.push(item)
    this.#size++
    return true
  }

  /**
   * The items the next batch may take, in service order: level by level, each level's delayed
   * items after its others; the background class only when no online item is queued.
   */
  * ordered (): Generator<QueuedRequest> {
    if (this.#size === this.#background.length) {
      yield * this.#background
      return
    }
    for (let i = 0; i < this.#levels.length; i++) {
      yield * this.#levels[i]!
      yield * this.#delayed[i]!
    }
  }

  /** Removes the given items (those a batch took). */
  take (items: ReadonlySet<QueuedRequest>): void {
    if (items.size === 0) return
    for (const lists of [this.#levels, this.#delayed]) {
      for (let i = 0; i < lists.length; i++) {
        if (lists[i]!.some((r) => items.has(r))) lists[i] = lists[i]!.filter((r) => !items.has(r))
      }
    }
    if (this.#background.some((r) => items.has(r))) this.#background = this.#background.filter((r) => !items.has(r))
    this.#size -= items.size
  }

  /**
   * Drops cancelled requests and applies timeouts at `now`: expired REJECT items are returned for
   * the caller to fail, expired DELAY items move to their level's delayed list.
   */
  sweep (now: number): { cancelled: QueuedRequest[]; expired: QueuedRequest[] } {
    const cancelled: QueuedRequest[] = []
    const expired: QueuedRequest[] = []
    for (let i = 0; i < this.#levels.length; i++) {
      const level = this.#levels[i]!
      if (level.some((r) => r.signal?.aborted === true || r.deadline <= now)) {
        this.#levels[i] = level.filter((r) => {
          if (r.signal?.aborted === true) { cancelled.push(r); return false }
          if (r.deadline <= now) {
            if (r.timeoutAction === 'REJECT') expired.push(r)
            else this.#delayed[i]!.push(r)
            return false
          }
          return true
        })
      }
      const delayed = this.#delayed[i]!
      if (delayed.some((r) => r.signal?.aborted === true)) {
        this.#delayed[i] = delayed.filter((r) => { if (r.signal?.aborted === true) { cancelled.push(r); return false } return true })
      }
    }
    // Background items carry no queue timeout (the engine gives them none): only cancellation.
    if (this.#background.some((r) => r.signal?.aborted === true)) {
      this.#background = this.#background.filter((r) => { if (r.signal?.aborted === true) { cancelled.push(r); return false } return true })
    }
    this.#size -= cancelled.length + expired.length
    return { cancelled, expired }
  }

  /** The earliest deadline among items not yet timed out (delayed ones have passed theirs). */
  nextDeadline (): number {
    let next = Infinity
    for (const level of this.#levels) for (const r of level) if (r.deadline < next) next = r.deadline
    return next
  }

  /** Empties the queue, returning everything that was in it. */
  drain (): QueuedRequest[] {
    const all: QueuedRequest[] = []
    for (let i = 0; i < this.#levels.length; i++) all.push(...this.#levels[i]!, ...this.#delayed[i]!)
    all.push(...this.#background)
    for (const lists of [this.#levels, this.#delayed]) for (const list of lists) list.length = 0
    this.#background = []
    this.#size = 0
    return all
  }
}
