import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Tensor } from '../core/tensor.js'
import { Errors, InferdError } from '../errors/index.js'
import { catchInferdError } from '../../test/helpers/catch-inferd-error.js'
import { compute, requestInput, ScriptedInstance } from '../../test/helpers/scripted-instance.js'
import { batchKey } from './batch-tensors.js'
import { ModelScheduler } from './model-scheduler.js'
import type { QueuedRequest, TimeoutAction } from './queued-request.js'

// Every delay and timeout path runs on fake timers: the scheduler's own setImmediate (one batcher
// run per event-loop turn), setTimeout (max_queue_delay, queue timeouts) and performance.now().
beforeEach(() => { vi.useFakeTimers({ toFake: ['setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'performance'] }) })
afterEach(() => { vi.useRealTimers() })

/** Lets the scheduler's next event-loop turn (and every promise it settles) run, `ms` later. */
const turn = (ms = 0): Promise<unknown> => vi.advanceTimersByTimeAsync(ms)

interface Tracked {
  readonly id: number
  readonly rows: number
  readonly width: number
  readonly req: QueuedRequest
  settles: number
  outputs?: Tensor[]
  error?: InferdError
  /** Position among all settlements of the test, from 1. */
  settledAs?: number
}

interface RequestOptions {
  rows?: number
  width?: number
  priority?: number
  timeoutMs?: number
  action?: TimeoutAction
  signal?: AbortSignal
  outputNames?: string[]
}

let settled = 0
const everyone: Tracked[] = []

function request (id: number, o: RequestOptions = {}): Tracked {
  const rows = o.rows ?? 1
  const width = o.width ?? 2
  const inputs = [requestInput(id, rows, width)]
  const now = performance.now()
  const t: Tracked = {
    id,
    rows,
    width,
    settles: 0,
    req: {
      inputs,
      outputNames: o.outputNames ?? ['y', 's'],
      rows,
      key: batchKey(inputs),
      priority: o.priority ?? 1,
      enqueuedAt: now,
      deadline: o.timeoutMs === undefined ? Infinity : now + o.timeoutMs,
      timeoutAction: o.action ?? 'REJECT',
      ...(o.signal === undefined ? {} : { signal: o.signal }),
      resolve: (outputs) => { t.settles++; t.outputs = outputs; t.settledAs ??= ++settled },
      reject: (err) => { t.settles++; t.error = err; t.settledAs ??= ++settled },
    },
  }
  everyone.push(t)
  return t
}

function submit (s: ModelScheduler, id: number, o: RequestOptions = {}): Tracked {
  const t = request(id, o)
  s.enqueue(t.req)
  return t
}

interface Setup {
  maxBatchSize?: number
  preferred?: number[]
  delayMs?: number
  limits?: number[]
  preserveOrdering?: boolean
  instances?: number
}

function setup (o: Setup = {}): { s: ModelScheduler; inst: ScriptedInstance[]; one: ScriptedInstance } {
  const inst = Array.from({ length: o.instances ?? 1 }, (_, i) => new ScriptedInstance(`i${i}`))
  const s = new ModelScheduler({
    model: 'm',
    version: '1',
    batcher: { maxBatchSize: o.maxBatchSize ?? 8, preferredBatchSizes: o.preferred ?? [], maxQueueDelayMs: o.delayMs ?? 0 },
    queueLimits: o.limits ?? [0],
    preserveOrdering: o.preserveOrdering ?? false,
    instances: inst,
  })
  return { s, inst, one: inst[0]! }
}

/** Request ids of each batch the instances received, in the order they received them. */
const batchIds = (...inst: ScriptedInstance[]): number[][] => inst.flatMap((i) => i.batches).map((b) => [...b.ids])

function expectOwnResult (t: Tracked): void {
  expect(t.error, `request ${t.id} failed`).toBeUndefined()
  expect(t.settles).toBe(1)
  expect(t.outputs).toEqual(compute([requestInput(t.id, t.rows, t.width)], t.req.outputNames))
}

function expectError (t: Tracked, code: string): InferdError {
  expect(t.settles).toBe(1)
  expect(t.outputs).toBeUndefined()
  expect(t.error?.code).toBe(code)
  return t.error!
}

beforeEach(() => { settled = 0; everyone.length = 0 })
afterEach(() => {
  // The hostile instances never saw run() while busy or not ready; nobody settled twice.
  for (const t of everyone) expect(t.settles, `request ${t.id} settled ${t.settles} times`).toBeLessThanOrEqual(1)
})

describe('ModelScheduler: forming batches', () => {
  it('runs a lone request at once (the next turn), and returns its own outputs', async () => {
    const { s, one } = setup()
    const a = submit(s, 1)
    expect(s.queued).toBe(1)
    await turn()
    expect(batchIds(one)).toEqual([[1]])
    expect(s.running).toBe(1)
    one.finish()
    await turn()
    expectOwnResult(a)
    expect(s.running).toBe(0)
    expect(one.violations).toEqual([])
  })

  it('gathers the requests queued while the instance is busy into the next batch, and splits the outputs back', async () => {
    const { s, one } = setup()
    const a = submit(s, 1)
    await turn()
    const rest = [submit(s, 2, { rows: 3 }), submit(s, 3), submit(s, 4, { rows: 2, outputNames: ['s'] })]
    await turn()
    expect(batchIds(one)).toEqual([[1]]) // still busy: nothing more handed over
    one.finish()
    await turn()
    expect(batchIds(one)).toEqual([[1], [2, 3, 4]])
    expect(one.current?.rows).toBe(6)
    one.finish()
    await turn()
    for (const t of [a, ...rest]) expectOwnResult(t)
    expect(rest[2]!.outputs!.map((o) => o.name)).toEqual(['s'])
    expect(one.violations).toEqual([])
  })

  it('never exceeds max_batch_size, skipping a request too big for the space left', async () => {
    const { s, one } = setup({ maxBatchSize: 4 })
    submit(s, 1)
    await turn()
    const queued = [submit(s, 2, { rows: 2 }), submit(s, 3, { rows: 3 }), submit(s, 4, { rows: 2 }), submit(s, 5, { rows: 1 }), submit(s, 6, { rows: 4 })]
    for (let i = 0; i < 4; i++) { one.finish(); await turn() }
    expect(batchIds(one)).toEqual([[1], [2, 4], [3, 5], [6]])
    expect(one.batches.map((b) => b.rows)).toEqual([1, 4, 4, 4])
    for (const t of queued) expectOwnResult(t)
  })

  it('does not mix shapes, and does not starve the shape behind the head', async () => {
    const { s, one } = setup()
    submit(s, 1)
    await turn()
    submit(s, 2, { width: 2 })
    submit(s, 3, { width: 3 })
    submit(s, 4, { width: 2 })
    submit(s, 5, { width: 3 })
    one.finish()
    await turn()
    // More of the head's shape keeps arriving while [2, 4] runs; 3 and 5 are older and go next.
    submit(s, 6, { width: 2 })
    submit(s, 7, { width: 2 })
    for (let i = 0; i < 3; i++) { one.finish(); await turn() }
    expect(batchIds(one)).toEqual([[1], [2, 4], [3, 5], [6, 7]])
    for (const b of one.batches) expect(new Set(b.inputs.map((t) => t.shape[1])).size).toBe(1)
    for (const t of everyone) expectOwnResult(t)
  })

  it('dispatches a preferred batch size without waiting, and waits max_queue_delay for the rest', async () => {
    const { s, one } = setup({ preferred: [4], delayMs: 100 })
    submit(s, 1, { rows: 2 })
    submit(s, 2, { rows: 2 })
    submit(s, 3, { rows: 1 })
    await turn()
    expect(batchIds(one)).toEqual([[1, 2]]) // prefix 2 + 2 = 4 is preferred: no delay
    one.finish()
    await turn(99)
    expect(batchIds(one)).toEqual([[1, 2]]) // 3 alone waits for company until 100 ms after it arrived
    await turn(1)
    expect(batchIds(one)).toEqual([[1, 2], [3]])
    one.finish()
    await turn()
    for (const t of everyone) expectOwnResult(t)
  })

  it('holds a request for max_queue_delay so that later ones join it, then runs them together', async () => {
    const { s, one } = setup({ delayMs: 50 })
    submit(s, 1)
    await turn(20)
    expect(one.batches).toHaveLength(0)
    submit(s, 2)
    await turn(29)
    expect(one.batches).toHaveLength(0)
    await turn(1)
    expect(batchIds(one)).toEqual([[1, 2]])
    one.finish()
    // A full batch does not wait.
    submit(s, 3, { rows: 8 })
    await turn()
    expect(batchIds(one)).toEqual([[1, 2], [3]])
    one.finish()
    await turn()
    for (const t of everyone) expectOwnResult(t)
  })

  it('runs each request alone when the model does not batch (max_batch_size 0)', async () => {
    const { s, one } = setup({ maxBatchSize: 0 })
    submit(s, 1)
    submit(s, 2)
    await turn()
    one.finish()
    await turn()
    one.finish()
    await turn()
    expect(batchIds(one)).toEqual([[1], [2]])
    for (const t of everyone) expectOwnResult(t)
  })

  it('counts the batches, requests and rows it hands to instances', async () => {
    const { s, one } = setup()
    submit(s, 1, { rows: 2 })
    await turn()
    submit(s, 2, { rows: 3 })
    submit(s, 3, { rows: 1 })
    const gone = new AbortController()
    submit(s, 4, { rows: 4, signal: gone.signal })
    gone.abort()
    one.finish()
    await turn()
    one.finish()
    await turn()
    expect({ batches: s.batches, requests: s.requests, rows: s.rows }).toEqual({ batches: 2, requests: 3, rows: 6 })
  })
})

describe('ModelScheduler: priorities and queue policies', () => {
  it('serves level 1 before level 2, FIFO within a level', async () => {
    const { s, one } = setup({ maxBatchSize: 1, limits: [0, 0] })
    submit(s, 1, { priority: 2 })
    await turn()
    submit(s, 2, { priority: 2 })
    submit(s, 3, { priority: 1 })
    submit(s, 4, { priority: 2 })
    submit(s, 5, { priority: 1 })
    for (let i = 0; i < 5; i++) { one.finish(); await turn() }
    expect(batchIds(one)).toEqual([[1], [3], [5], [2], [4]])
  })

  it('puts level 1 first inside a shared batch too', async () => {
    const { s, one } = setup({ limits: [0, 0] })
    submit(s, 1, { priority: 2 })
    await turn()
    submit(s, 2, { priority: 2 })
    submit(s, 3, { priority: 1 })
    one.finish()
    await turn()
    expect(batchIds(one)).toEqual([[1], [3, 2]])
  })

  it('refuses past max_queue_size of a level at once with QUEUE_FULL, and the caller keeps the request', async () => {
    const { s, one } = setup({ limits: [1, 2] })
    submit(s, 1, { priority: 2 })
    await turn() // 1 is running, not queued
    submit(s, 2, { priority: 1 })
    const full1 = request(3, { priority: 1 })
    const e1 = catchInferdError(() => s.enqueue(full1.req))
    expect(e1.code).toBe(Errors.QUEUE_FULL.code)
    expect(e1.retryable).toBe(true)
    submit(s, 4, { priority: 2 })
    submit(s, 5, { priority: 2 })
    const full2 = request(6, { priority: 2 })
    expect(catchInferdError(() => s.enqueue(full2.req)).code).toBe(Errors.QUEUE_FULL.code)
    expect(s.queued).toBe(3)
    for (let i = 0; i < 2; i++) { one.finish(); await turn() }
    expect(full1.settles + full2.settles).toBe(0) // refused: never the scheduler's to settle
    expect(batchIds(one).flat()).not.toContain(3)
    // Room again once the level drained.
    submit(s, 7, { priority: 1 })
    await turn()
    expect(batchIds(one)).toEqual([[1], [2, 4, 5], [7]])
  })

  it('rejects a request past its timeout with QUEUE_TIMEOUT (REJECT), without ever computing it', async () => {
    const { s, one } = setup()
    submit(s, 1)
    await turn()
    const late = submit(s, 2, { timeoutMs: 10 })
    const patient = submit(s, 3)
    await turn(9)
    expect(late.settles).toBe(0)
    await turn(1)
    expect(expectError(late, Errors.QUEUE_TIMEOUT.code).canonical).toBe('DEADLINE_EXCEEDED')
    expect(s.queued).toBe(1)
    one.finish()
    await turn()
    one.finish()
    await turn()
    expect(batchIds(one)).toEqual([[1], [3]])
    expectOwnResult(patient)
  })

  it('moves a timed-out request behind the others of its level (DELAY), and still serves it', async () => {
    const { s, one } = setup({ maxBatchSize: 1 })
    submit(s, 1)
    await turn()
    const delayed = submit(s, 2, { timeoutMs: 10, action: 'DELAY' })
    submit(s, 3)
    submit(s, 4)
    await turn(10)
    expect(delayed.settles).toBe(0)
    for (let i = 0; i < 4; i++) { one.finish(); await turn() }
    expect(batchIds(one)).toEqual([[1], [3], [4], [2]])
    for (const t of everyone) expectOwnResult(t)
  })

  it('serves a delayed level-1 request before level 2 (Triton: behind its own level only)', async () => {
    const { s, one } = setup({ maxBatchSize: 1, limits: [0, 0] })
    submit(s, 1, { priority: 2 })
    await turn()
    submit(s, 2, { priority: 1, timeoutMs: 10, action: 'DELAY' })
    submit(s, 3, { priority: 2 })
    submit(s, 4, { priority: 1 })
    await turn(10)
    for (let i = 0; i < 4; i++) { one.finish(); await turn() }
    expect(batchIds(one)).toEqual([[1], [4], [2], [3]])
  })

  it('counts delayed requests against their level\'s max_queue_size', async () => {
    const { s } = setup({ limits: [1] })
    submit(s, 1)
    await turn()
    submit(s, 2, { timeoutMs: 5, action: 'DELAY' })
    await turn(5)
    expect(catchInferdError(() => s.enqueue(request(3).req)).code).toBe(Errors.QUEUE_FULL.code)
  })
})

describe('ModelScheduler: cancellation and failures', () => {
  it('drops a request whose client went away, answers REQUEST_CANCELLED at once, and never computes it', async () => {
    const { s, one } = setup()
    submit(s, 1)
    await turn()
    const controller = new AbortController()
    const gone = submit(s, 2, { signal: controller.signal })
    submit(s, 3)
    controller.abort()
    await turn()
    expect(expectError(gone, Errors.REQUEST_CANCELLED.code).canonical).toBe('CANCELLED')
    expect(s.queued).toBe(1) // dropped while the instance was still busy
    one.finish()
    await turn()
    one.finish()
    await turn()
    expect(batchIds(one)).toEqual([[1], [3]])
  })

  it('drops a request aborted before it was even enqueued, or while it waits out max_queue_delay', async () => {
    const { s, one } = setup({ delayMs: 50 })
    const early = submit(s, 1, { signal: AbortSignal.abort() })
    const controller = new AbortController()
    const waiting = submit(s, 2, { signal: controller.signal })
    await turn(10)
    controller.abort()
    await turn(100)
    expectError(early, Errors.REQUEST_CANCELLED.code)
    expectError(waiting, Errors.REQUEST_CANCELLED.code)
    expect(one.batches).toEqual([])
    expect(s.queued).toBe(0)
  })

  it('fails every request of a failed batch with the same error, then keeps working', async () => {
    const { s, one } = setup()
    submit(s, 1)
    await turn()
    const batch = [submit(s, 2), submit(s, 3, { rows: 2 })]
    one.finish()
    await turn()
    const boom = new InferdError(Errors.BACKEND_FAILED, ['m', 'boom'])
    one.fail(boom)
    await turn()
    for (const t of batch) expect(t.error).toBe(boom)
    // A foreign error is wrapped once, and the same wrapper goes to every request of the batch.
    const next = [submit(s, 4), submit(s, 5)]
    await turn()
    one.fail(new RangeError('native failure'))
    await turn()
    expect(expectError(next[0]!, Errors.BACKEND_FAILED.code)).toBe(next[1]!.error)
    expect(next[0]!.error!.message).toContain('native failure')
    const after = submit(s, 6)
    await turn()
    one.finish()
    await turn()
    expectOwnResult(after)
    expect(s.running).toBe(0)
  })

  it('fails the batch when the instance throws instead of rejecting, and keeps working', async () => {
    const { s, one } = setup()
    one.throwOnNextRun = new InferdError(Errors.BACKEND_FAILED, ['m', 'thrown'])
    const a = submit(s, 1)
    await turn()
    expectError(a, Errors.BACKEND_FAILED.code)
    const b = submit(s, 2)
    await turn()
    one.finish()
    await turn()
    expectOwnResult(b)
  })

  it('fails a shared batch whose outputs do not have the batch\'s rows, instead of handing out wrong rows', async () => {
    const { s, one } = setup()
    submit(s, 1)
    await turn()
    const batch = [submit(s, 2), submit(s, 3)]
    one.finish()
    await turn()
    one.finish([{ name: 'y', datatype: 'FP32', shape: [1, 2], data: new Float32Array(2) }])
    await turn()
    for (const t of batch) expect(expectError(t, Errors.BACKEND_FAILED.code).message).toMatch(/output 'y' has 1 rows for a batch of 2/)
  })

  it('takes a crashed instance back once it has restarted', async () => {
    const { s, one } = setup()
    const a = submit(s, 1)
    await turn()
    const b = submit(s, 2)
    one.crash(new InferdError(Errors.BACKEND_CRASHED, ['m', 'exit code 1']))
    await turn()
    expectError(a, Errors.BACKEND_CRASHED.code)
    expect(one.batches).toHaveLength(1) // not ready: nothing handed to it
    one.restart()
    await turn()
    one.finish()
    await turn()
    expectOwnResult(b)
    expect(one.violations).toEqual([])
  })
})

describe('ModelScheduler: several instances and ordering', () => {
  it('keeps every instance busy with its own batch, never two at once on one', async () => {
    const { s, inst } = setup({ maxBatchSize: 1, instances: 2 })
    for (let id = 1; id <= 5; id++) submit(s, id)
    await turn()
    expect(inst.map((i) => i.busy)).toEqual([true, true])
    expect(s.running).toBe(2)
    while (inst.some((i) => i.busy)) {
      for (const i of inst) if (i.busy) i.finish()
      await turn()
    }
    expect(batchIds(...inst).flat().sort()).toEqual([1, 2, 3, 4, 5])
    for (const t of everyone) expectOwnResult(t)
    expect(inst.flatMap((i) => i.violations)).toEqual([])
  })

  it.each([true, false])('preserve_ordering %s: results are delivered in dispatch order only when asked', async (preserve) => {
    const { s, inst } = setup({ maxBatchSize: 1, instances: 2, preserveOrdering: preserve })
    const first = submit(s, 1)
    const second = submit(s, 2)
    await turn()
    const ranFirst = inst.find((i) => i.current?.ids[0] === 1)!
    const ranSecond = inst.find((i) => i.current?.ids[0] === 2)!
    ranSecond.finish()
    await turn()
    expect(second.settles).toBe(preserve ? 0 : 1)
    ranFirst.finish()
    await turn()
    expectOwnResult(first)
    expectOwnResult(second)
    expect([first.settledAs, second.settledAs]).toEqual(preserve ? [1, 2] : [2, 1])
  })

  it('preserve_ordering holds a failed batch\'s errors behind earlier batches too', async () => {
    const { s, inst } = setup({ maxBatchSize: 1, instances: 2, preserveOrdering: true })
    const first = submit(s, 1)
    const second = submit(s, 2)
    await turn()
    inst.find((i) => i.current?.ids[0] === 2)!.fail(new Error('late failure'))
    await turn()
    expect(second.settles).toBe(0)
    inst.find((i) => i.current?.ids[0] === 1)!.finish()
    await turn()
    expect([first.settledAs, second.settledAs]).toEqual([1, 2])
    expectError(second, Errors.BACKEND_FAILED.code)
  })
})

describe('ModelScheduler: close and destroy', () => {
  it('close() stops intake with MODEL_UNLOADING, runs what is queued, and resolves once idle', async () => {
    const { s, one } = setup()
    const a = submit(s, 1)
    await turn()
    const b = submit(s, 2)
    let closed = false
    const closing = s.close().then(() => { closed = true })
    expect(s.close()).toBe(s.close()) // idempotent
    expect(catchInferdError(() => s.enqueue(request(3).req)).code).toBe(Errors.MODEL_UNLOADING.code)
    one.finish()
    await turn()
    expect(closed).toBe(false) // b is running now
    one.finish()
    await closing
    expectOwnResult(a)
    expectOwnResult(b)
    expect(closed).toBe(true)
  })

  it('close() resolves at once when nothing is queued or running', async () => {
    const { s } = setup()
    await s.close()
  })

  it('close() still drains through an instance that restarts after a crash', async () => {
    const { s, one } = setup()
    submit(s, 1)
    await turn()
    const queued = submit(s, 2)
    let closed = false
    const closing = s.close().then(() => { closed = true })
    one.crash(new Error('thread died'))
    await turn()
    expect(closed).toBe(false)
    one.restart()
    await turn()
    expect(batchIds(one)).toEqual([[1], [2]])
    one.finish()
    await closing
    expectOwnResult(queued)
  })

  it('destroy(err) fails everything queued with err; the batch in flight still finishes', async () => {
    const { s, one } = setup()
    const running = submit(s, 1)
    await turn()
    const queued = [submit(s, 2), submit(s, 3, { priority: 1 })]
    const err = new InferdError(Errors.MODEL_UNLOADING, ['m', '1'])
    let closed = false
    void s.close().then(() => { closed = true })
    s.destroy(err)
    s.destroy(err) // idempotent
    for (const t of queued) expect(t.error).toBe(err)
    expect(closed).toBe(false)
    one.finish()
    await turn()
    expectOwnResult(running)
    expect(closed).toBe(true)
    expect(batchIds(one)).toEqual([[1]])
  })

  it('destroy(err) ends a close() that waited for an instance that never came back', async () => {
    const { s, one } = setup()
    submit(s, 1)
    await turn()
    const queued = submit(s, 2)
    let closed = false
    void s.close().then(() => { closed = true })
    one.crash(new Error('thread died'))
    await turn()
    expect(closed).toBe(false)
    s.destroy(new InferdError(Errors.SHUTTING_DOWN))
    await turn()
    expectError(queued, Errors.SHUTTING_DOWN.code)
    expect(closed).toBe(true)
  })
})

describe('ModelScheduler: every request settles exactly once', () => {
  /** A small deterministic PRNG (mulberry32), so a failure replays. */
  function prng (seed: number): () => number {
    let a = seed
    return () => {
      a = (a + 0x6d2b79f5) | 0
      let t = Math.imul(a ^ (a >>> 15), 1 | a)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
  }

  it.each([1, 2, 3, 4, 5])('under a random mix of sizes, shapes, priorities, timeouts, aborts and failures (seed %i)', async (seed) => {
    const random = prng(seed)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
    const { s, inst } = setup({ maxBatchSize: 6, limits: [0, 8], instances: 3, preserveOrdering: random() < 0.5, delayMs: pick([0, 0, 2]) })
    const refused: Tracked[] = []
    const aborts = new Map<number, AbortController>()
    let id = 0
    for (let step = 0; step < 300; step++) {
      const action = random()
      if (action < 0.45) {
        const controller = random() < 0.15 ? new AbortController() : undefined
        const t = request(++id, {
          rows: 1 + Math.floor(random() * 4),
          width: pick([2, 2, 3]),
          priority: pick([1, 2]),
          ...(random() < 0.3 ? { timeoutMs: 1 + Math.floor(random() * 6), action: pick(['REJECT', 'DELAY'] as const) } : {}),
          ...(controller === undefined ? {} : { signal: controller.signal }),
          outputNames: pick([['y', 's'], ['s'], ['y']]),
        })
        if (controller !== undefined) aborts.set(id, controller)
        try { s.enqueue(t.req) } catch (err) { expect((err as InferdError).code).toBe(Errors.QUEUE_FULL.code); refused.push(t) }
      } else if (action < 0.55 && aborts.size > 0) {
        const [key, controller] = pick([...aborts])
        controller.abort()
        aborts.delete(key)
      } else if (action < 0.85) {
        const busy = inst.filter((i) => i.busy)
        if (busy.length > 0) {
          const i = pick(busy)
          if (random() < 0.1) i.fail(new Error('random failure'))
          else i.finish()
        }
      } else {
        await turn(pick([0, 0, 1, 3]))
      }
    }
    // Drain: finish everything still running until nothing is queued or in flight.
    await turn(10)
    const closing = s.close()
    while (s.running > 0 || s.queued > 0) {
      for (const i of inst) if (i.busy) i.finish()
      await turn(10)
    }
    await closing

    const accepted = everyone.filter((t) => !refused.includes(t))
    for (const t of refused) expect(t.settles).toBe(0)
    for (const t of accepted) expect(t.settles, `request ${t.id}`).toBe(1)
    const computed = new Map<number, number>()
    for (const b of inst.flatMap((i) => i.batches)) {
      expect(b.rows).toBeLessThanOrEqual(6)
      expect(new Set(b.inputs.map((t) => t.shape[1])).size).toBe(1)
      for (const i of b.ids) computed.set(i, (computed.get(i) ?? 0) + 1)
    }
    for (const t of accepted) {
      if (t.outputs !== undefined) {
        expectOwnResult(t)
        expect(computed.get(t.id)).toBe(1)
      } else if (t.error!.code === Errors.REQUEST_CANCELLED.code || t.error!.code === Errors.QUEUE_TIMEOUT.code) {
        expect(computed.has(t.id), `request ${t.id} was dropped, yet computed`).toBe(false)
      } else {
        expect(t.error!.code).toBe(Errors.BACKEND_FAILED.code)
        expect(computed.get(t.id)).toBe(1)
      }
    }
    expect(s.requests).toBe(computed.size)
    expect(inst.flatMap((i) => i.violations)).toEqual([])
  })
})
