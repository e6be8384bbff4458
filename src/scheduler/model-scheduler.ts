import { batchChannel, type ComputeTimes, type ModelIdentity } from '../core/diagnostics.js'
import type { Tensor } from '../core/tensor.js'
import { Errors, InferdError } from '../errors/index.js'
import { concatInputs, splitOutputs } from './batch-tensors.js'
import { type BatcherOptions, formBatch } from './dynamic-batcher.js'
import type { ExecutionInstance, RunMarks } from './execution-instance.js'
import { PriorityQueue } from './priority-queue.js'
import type { QueuedRequest, RequestTiming } from './queued-request.js'

/**
 * One batch's record, for statistics (Triton's per-batch-size execution counts). `computeNs` is
 * the whole batch, the sum of its three phases (see {@link ComputeTimes}).
 */
export interface BatchRecord extends ComputeTimes {
  readonly rows: number
  readonly requests: number
  readonly computeNs: number
  readonly failed: boolean
}

export interface ModelSchedulerOptions {
  readonly model: string
  readonly version: string
  readonly batcher: BatcherOptions
  /** max_queue_size per priority level, index 0 = level 1 (0 = unbounded). */
  readonly queueLimits: readonly number[]
  /** Deliver results in the order requests were dispatched (Triton preserve_ordering). */
  readonly preserveOrdering: boolean
  readonly instances: readonly ExecutionInstance[]
  readonly onBatch?: (record: BatchRecord) => void
  /**
   * The version as `inferd:scheduler:batch` messages name it (core/diagnostics.ts): the served
   * version's own object, so that subscribers can tell versions and servers apart. Default: a
   * new `{ name: model, version }`.
   */
  readonly identity?: ModelIdentity
}

/**
 * The scheduler of one model version: a priority queue, the dynamic batcher, and a pool of
 * execution instances.
 *
 *   enqueue ──► PriorityQueue ──(once per event-loop turn, or when an instance frees)──►
 *      formBatch ──► concat inputs ──► idle instance.run ──► split outputs ──► resolve each
 *
 * Ownership: `enqueue` either takes the request (and later settles it exactly once) or throws
 * at once: QUEUE_FULL when its level is at max_queue_size, MODEL_UNLOADING after `close`. A
 * batch that fails fails each of its requests with the batch's error; none is left unanswered.
 * A request whose client went away (signal aborted) is dropped from the queue and never computed.
 * The read-only counters `batches`, `requests` and `rows` say what was handed to instances, so
 * statistics (and tests) can tell a batch formed, or a dropped request never ran. Each batch is
 * also published on `inferd:scheduler:batch` (core/diagnostics.ts) with its compute phases, and
 * each request answered gets its own queue time and its batch's phases ({@link RequestTiming}).
 *
 * Shutdown: `close()` stops intake, lets queued requests run, and resolves when the queue is
 * empty and no batch is in flight; `destroy(err)` fails everything queued with `err` at once.
 * Both are idempotent.
 */
export class ModelScheduler {
  readonly #o: ModelSchedulerOptions
  readonly #identity: ModelIdentity
  readonly #queue: PriorityQueue
  readonly #idle: ExecutionInstance[]
  /** Instances computing a batch now (an instance is in `#idle` or here, never both). */
  readonly #computing = new Set<ExecutionInstance>()
  #batches = 0
  #requests = 0
  #rows = 0
  #scheduled = false
  #delayTimer: NodeJS.Timeout | undefined
  #delayAt = Infinity
  #deadlineTimer: NodeJS.Timeout | undefined
  #deadlineAt = Infinity
  #closing = false
  #drained: (() => void) | undefined
  #closed: Promise<void> | undefined
  /** preserve_ordering: batches settle in dispatch order; finished ones wait for their elders. */
  #dispatchSeq = 0
  #deliverSeq = 0
  readonly #held = new Map<number, () => void>()

  constructor (options: ModelSchedulerOptions) {
    this.#o = options
    this.#identity = options.identity ?? { name: options.model, version: options.version }
    this.#queue = new PriorityQueue(options.queueLimits)
    this.#idle = options.instances.filter((i) => i.ready())
    for (const instance of options.instances) {
      // Also while closing: what is still queued needs an instance to drain through.
      instance.onReady(() => {
        if (!this.#idle.includes(instance) && !this.#computing.has(instance)) { this.#idle.push(instance); this.#kick() }
      })
    }
  }

  /** Requests waiting in the queue. */
  get queued (): number { return this.#queue.size }
  /** Batches computing now. */
  get running (): number { return this.#computing.size }
  /** Batches handed to an instance since the scheduler started (failed ones included). */
  get batches (): number { return this.#batches }
  /** Requests handed to an instance in those batches; a request dropped from the queue never counts. */
  get requests (): number { return this.#requests }
  /** Rows (sum of the requests' batch sizes) handed to an instance in those batches. */
  get rows (): number { return this.#rows }

  /** @throws InferdError QUEUE_FULL or MODEL_UNLOADING, synchronously, when it does not take the request */
  enqueue (req: QueuedRequest): void {
    if (this.#closing) throw new InferdError(Errors.MODEL_UNLOADING, [this.#o.model, this.#o.version])
    if (!this.#queue.push(req)) {
      throw new InferdError(Errors.QUEUE_FULL, [this.#o.model, req.priority, this.#o.queueLimits[req.priority - 1] ?? 0])
    }
    req.signal?.addEventListener('abort', () => this.#kick(), { once: true })
    if (req.deadline < this.#deadlineAt) this.#armDeadline(req.deadline)
    this.#kick()
  }

  /** Runs the batcher once the current event-loop turn has queued everything it received. */
  #kick (): void {
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => { this.#scheduled = false; this.#dispatch() })
  }

  #dispatch (): void {
    this.#sweep()
    while (this.#idle.length > 0 && this.#queue.size > 0) {
      const now = performance.now()
      const decision = formBatch(this.#queue.ordered(), this.#o.batcher, now)
      if (decision.kind === 'idle') break
      if (decision.kind === 'wait') { this.#armDelay(decision.until); break }
      this.#queue.take(new Set(decision.items))
      this.#run(this.#idle.pop()!, decision.items, decision.rows, now)
    }
    this.#checkDrained()
  }

  #run (instance: ExecutionInstance, items: readonly QueuedRequest[], rows: number, now: number): void {
    this.#computing.add(instance)
    this.#batches++
    this.#requests += items.length
    this.#rows += rows
    const seq = this.#dispatchSeq++
    const names = new Set<string>()
    for (const r of items) for (const n of r.outputNames) names.add(n)
    // Compute phases (statistics): started → handed (inputs concatenated) → the instance's run
    // (marks) → returned → split. Instances that leave the marks empty count their whole run as infer.
    const started = process.hrtime.bigint()
    let handed = started
    const marks: RunMarks = {}
    // A synchronous throw (from concatenation, or an instance that throws instead of rejecting)
    // must fail this batch like a rejection does, not escape the event-loop callback and leave
    // the batch's requests unanswered.
    let running: Promise<Tensor[]>
    try {
      const inputs = concatInputs(items.map((r) => r.inputs))
      handed = process.hrtime.bigint()
      running = instance.run(inputs, [...names], marks)
    } catch (err) {
      running = Promise.reject(err)
    }
    const fail = (err: unknown): void => {
      const ended = process.hrtime.bigint()
      const times = phases(started, marks.inferStart ?? handed, marks.inferEnd ?? ended, ended)
      this.#settle(seq, () => {
        this.#record(rows, items.length, times, true)
        const e = err instanceof InferdError ? err : new InferdError(Errors.BACKEND_FAILED, [this.#o.model, (err as Error).message], { cause: err })
        for (const r of items) r.reject(e)
      })
    }
    running.then((outputs) => {
      const returned = process.hrtime.bigint()
      const parts = this.#split(outputs, items, rows)
      if (parts instanceof InferdError) { fail(parts); return }
      const times = phases(started, marks.inferStart ?? handed, marks.inferEnd ?? returned, process.hrtime.bigint())
      this.#settle(seq, () => {
        const computeNs = this.#record(rows, items.length, times, false)
        items.forEach((r, k) => {
          const mine = parts[k]!.filter((t) => r.outputNames.includes(t.name))
          const timing: RequestTiming = { queueNs: Math.round((now - r.enqueuedAt) * 1e6), computeNs, batchRows: rows, ...times }
          r.resolve(mine, timing)
        })
      })
    }, fail).finally(() => {
      this.#computing.delete(instance)
      if (instance.ready() && !this.#idle.includes(instance)) this.#idle.push(instance)
      this.#dispatch()
    })
  }

  /** Tells onBatch and the `inferd:scheduler:batch` channel about a batch; returns its compute ns. */
  #record (rows: number, requests: number, times: ComputeTimes, failed: boolean): number {
    const computeNs = times.computeInputNs + times.computeInferNs + times.computeOutputNs
    this.#o.onBatch?.({ rows, requests, computeNs, failed, ...times })
    if (batchChannel.hasSubscribers) batchChannel.publish({ model: this.#identity, rows, requests, failed, ...times })
    return computeNs
  }

  /**
   * Each request's share of a batch's outputs. When several requests shared the batch, every
   * output must have exactly the batch's rows: anything else would hand one request another's
   * results, so the batch fails instead.
   */
  #split (outputs: Tensor[], items: readonly QueuedRequest[], rows: number): Tensor[][] | InferdError {
    if (this.#o.batcher.maxBatchSize === 0 || items.length === 1) return [outputs]
    const bad = outputs.find((t) => t.shape[0] !== rows)
    if (bad !== undefined) {
      return new InferdError(Errors.BACKEND_FAILED, [this.#o.model, `output '${bad.name}' has ${bad.shape[0] ?? 'no'} rows for a batch of ${rows}; it cannot be split between the batch's ${items.length} requests`])
    }
    return splitOutputs(outputs, items.map((r) => r.rows))
  }

  /** Delivers a batch's results now, or (preserve_ordering) once every earlier batch has. */
  #settle (seq: number, deliver: () => void): void {
    if (!this.#o.preserveOrdering) { deliver(); return }
    this.#held.set(seq, deliver)
    for (let next = this.#held.get(this.#deliverSeq); next !== undefined; next = this.#held.get(this.#deliverSeq)) {
      this.#held.delete(this.#deliverSeq++)
      next()
    }
  }

  #sweep (): void {
    const { cancelled, expired } = this.#queue.sweep(performance.now())
    for (const r of cancelled) r.reject(new InferdError(Errors.REQUEST_CANCELLED))
    for (const r of expired) r.reject(new InferdError(Errors.QUEUE_TIMEOUT, [this.#o.model, Math.round((r.deadline - r.enqueuedAt) * 1000)]))
    const next = this.#queue.nextDeadline()
    if (next !== this.#deadlineAt) this.#armDeadline(next)
  }

  #armDelay (until: number): void {
    if (this.#delayTimer !== undefined && this.#delayAt <= until) return
    clearTimeout(this.#delayTimer)
    this.#delayAt = until
    this.#delayTimer = setTimeout(() => { this.#delayTimer = undefined; this.#delayAt = Infinity; this.#dispatch() }, Math.max(0, until - performance.now()))
  }

  #armDeadline (at: number): void {
    clearTimeout(this.#deadlineTimer)
    this.#deadlineTimer = undefined
    this.#deadlineAt = at
    if (at === Infinity) return
    this.#deadlineTimer = setTimeout(() => { this.#deadlineTimer = undefined; this.#deadlineAt = Infinity; this.#dispatch() }, Math.max(0, at - performance.now()))
  }

  #checkDrained (): void {
    if (this.#closing && this.#queue.size === 0 && this.#computing.size === 0) {
      clearTimeout(this.#delayTimer)
      clearTimeout(this.#deadlineTimer)
      this.#drained?.()
    }
  }

  /** Stops intake; resolves when everything queued has run and no batch is in flight. */
  close (): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#closing = true
      this.#drained = resolve
      this.#dispatch()
    })
    return this.#closed
  }

  /** Fails everything still queued with `err` (batches in flight finish on their own). */
  destroy (err: InferdError): void {
    for (const r of this.#queue.drain()) r.reject(err)
    void this.close()
    // close() may have been called before, while the queue was waiting for an instance that
    // never comes back: with the queue now empty, nothing else would tell it so.
    this.#checkDrained()
  }
}

/**
 * The three compute phases of a batch from its four instants. Clamped into order, so that an
 * instance reporting marks outside the batch's own interval cannot make a phase negative.
 */
function phases (started: bigint, inferStart: bigint, inferEnd: bigint, ended: bigint): ComputeTimes {
  const a = inferStart < started ? started : inferStart > ended ? ended : inferStart
  const b = inferEnd < a ? a : inferEnd > ended ? ended : inferEnd
  return { computeInputNs: Number(a - started), computeInferNs: Number(b - a), computeOutputNs: Number(ended - b) }
}
