import type { QueuedRequest } from './queued-request.js'

/**
 * The requests of one model version, by priority level, FIFO within a level.
 *
 *   level 1  [ r7 r9 r12 ]      ← highest priority, served first
 *   level 2  [ r3 r4 ]
 *   ...
 *   delayed  [ r1 ]             ← timed out under timeout_action DELAY: served only when every
 *                                 level is empty (Triton moves them behind everything else)
 *
 * Each level has its own bound (max_queue_size, 0 = unbounded); `push` refuses past it and the
 * caller answers QUEUE_FULL at once. Items leave through `take` (the batcher picked them) or
 * `sweep` (cancelled, or timed out under REJECT). Removal from the middle is O(n); queues that
 * reach thousands are far past where latency already broke, and the bound keeps them smaller.
 */
export class PriorityQueue {
  readonly #levels: QueuedRequest[][]
  readonly #limits: readonly number[]
  readonly #delayed: QueuedRequest[] = []
  #size = 0

  /** @param limits max_queue_size per level, index 0 = level 1 (0 = unbounded) */
  constructor (limits: readonly number[]) {
    this.#limits = limits
    this.#levels = limits.map(() => [])
  }

  get size (): number { return this.#size }

  /** Adds at the back of its level; false when that level is full (nothing is added). */
  push (item: QueuedRequest): boolean {
    const level = this.#levels[item.priority - 1]
    if (level === undefined) throw new RangeError(`priority level ${item.priority} out of range`)
    const limit = this.#limits[item.priority - 1] ?? 0
    if (limit > 0 && level.length >= limit) return false
    level.push(item)
    this.#size++
    return true
  }

  /** Every queued item in service order: levels high to low, then the delayed ones. */
  * ordered (): Generator<QueuedRequest> {
    for (const level of this.#levels) yield * level
    yield * this.#delayed
  }

  /** Removes the given items (those a batch took). */
  take (items: ReadonlySet<QueuedRequest>): void {
    if (items.size === 0) return
    for (let i = 0; i < this.#levels.length; i++) this.#levels[i] = this.#levels[i]!.filter((r) => !items.has(r))
    const kept = this.#delayed.filter((r) => !items.has(r))
    this.#delayed.length = 0
    this.#delayed.push(...kept)
    this.#size -= items.size
  }

  /**
   * Drops cancelled requests and applies timeouts at `now`: expired REJECT items are returned for
   * the caller to fail, expired DELAY items move to the delayed queue.
   */
  sweep (now: number): { cancelled: QueuedRequest[]; expired: QueuedRequest[] } {
    const cancelled: QueuedRequest[] = []
    const expired: QueuedRequest[] = []
    for (let i = 0; i < this.#levels.length; i++) {
      const level = this.#levels[i]!
      if (!level.some((r) => r.signal?.aborted === true || r.deadline <= now)) continue
      this.#levels[i] = level.filter((r) => {
        if (r.signal?.aborted === true) { cancelled.push(r); return false }
        if (r.deadline <= now) {
          if (r.timeoutAction === 'REJECT') expired.push(r)
          else this.#delayed.push(r)
          return false
        }
        return true
      })
    }
    if (this.#delayed.some((r) => r.signal?.aborted === true)) {
      const kept = this.#delayed.filter((r) => { if (r.signal?.aborted === true) { cancelled.push(r); return false } return true })
      this.#delayed.length = 0
      this.#delayed.push(...kept)
    }
    this.#size -= cancelled.length + expired.length
    return { cancelled, expired }
  }

  /** The earliest deadline among items still in a level (delayed ones have passed theirs). */
  nextDeadline (): number {
    let next = Infinity
    for (const level of this.#levels) for (const r of level) if (r.deadline < next) next = r.deadline
    return next
  }

  /** Empties the queue, returning everything that was in it. */
  drain (): QueuedRequest[] {
    const all = [...this.ordered()]
    for (const level of this.#levels) level.length = 0
    this.#delayed.length = 0
    this.#size = 0
    return all
  }
}
