import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ModelScheduler } from '../../src/scheduler/model-scheduler.js'
import type { InferdServer } from '../../src/server.js'
import { SCHEDULER_REPO } from '../helpers/paths.js'
import { spyOnSchedulers } from '../helpers/scheduler-spy.js'
import { startServer } from '../helpers/server.js'

/**
 * Queue policies over real HTTP, against slow_identity (y = x for x f32[batch, n], cost ∝ n³,
 * one instance in a worker thread; level 1 holds one queued request, level 2 eight; default
 * level 2). Each test first occupies the instance with a long "blocker" request and waits, by
 * watching the scheduler's state rather than the clock, until the blocker computes; what it sends
 * next is then queued behind it. Assertions are on answers, order and counters, never on time.
 */

/** Row length of the blocker: about a second of computing on this machine, far longer than a test's steps. */
const BLOCKER_N = 1280

let spy: ReturnType<typeof spyOnSchedulers>
let server: InferdServer
let scheduler: ModelScheduler
let url: string
beforeAll(async () => {
  spy = spyOnSchedulers()
  server = await startServer(SCHEDULER_REPO)
  scheduler = spy.of(server, 'slow_identity')
  url = `${server.httpUrl}/v2/models/slow_identity/infer`
})
afterAll(async () => {
  await server?.close()
  spy?.restore()
})

const until = (check: () => void): Promise<void> => vi.waitFor(check, { timeout: 20_000, interval: 2 })

beforeEach(async () => {
  await until(() => expect({ running: scheduler.running, queued: scheduler.queued }).toEqual({ running: 0, queued: 0 }))
})

/** Rows of request `tag`: element (r, c) = tag·10000 + r·1000 + c, so an echo shows whose rows came back. */
function rowsOf (tag: number, rows: number, n: number): number[] {
  return Array.from({ length: rows * n }, (_, k) => tag * 10000 + Math.floor(k / n) * 1000 + (k % n) % 1000)
}

interface Sent { readonly tag: number; readonly rows: number; readonly n: number; readonly response: Promise<Response> }

function infer (tag: number, o: { rows?: number; n?: number; parameters?: Record<string, number>; signal?: AbortSignal } = {}): Sent {
  const rows = o.rows ?? 1
  const n = o.n ?? 8
  const body = {
    id: `t${tag}`,
    inputs: [{ name: 'x', shape: [rows, n], datatype: 'FP32', data: rowsOf(tag, rows, n) }],
    ...(o.parameters === undefined ? {} : { parameters: o.parameters }),
  }
  const response = fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(o.signal === undefined ? {} : { signal: o.signal }),
  })
  return { tag, rows, n, response }
}

/** Sends the blocker and resolves once the instance is computing it. */
async function block (): Promise<Sent> {
  const sent = infer(0, { n: BLOCKER_N })
  await until(() => expect(scheduler.running).toBe(1))
  return sent
}

/** The request succeeded and its answer is its own rows (the model is the identity). */
async function expectEcho (sent: Sent): Promise<void> {
  const res = await sent.response
  const body = await res.json() as { id: string; outputs: Array<{ name: string; shape: number[]; data: number[] }> }
  expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(200)
  expect(body.id).toBe(`t${sent.tag}`)
  expect(body.outputs[0]!.shape).toEqual([sent.rows, sent.n])
  expect(body.outputs[0]!.data).toEqual(rowsOf(sent.tag, sent.rows, sent.n))
}

async function expectFailure (sent: Sent, status: number, code: string): Promise<Response> {
  const res = await sent.response
  const body = await res.json() as { code: string; error: string }
  expect(res.status, JSON.stringify(body)).toBe(status)
  expect(body.code).toBe(code)
  return res
}

describe('queue policies over HTTP', () => {
  it('answers a request past max_queue_size 503 with Retry-After at once, while the queue has not moved', async () => {
    const blocker = await block()
    const queued = infer(1, { parameters: { priority: 1 } })
    await until(() => expect(scheduler.queued).toBe(1))
    const refused = infer(2, { parameters: { priority: 1 } })
    const res = await expectFailure(refused, 503, 'INFERD_ERR_QUEUE_FULL')
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    // Answered without waiting for room: the blocker still computes, the queued one still waits.
    expect({ running: scheduler.running, queued: scheduler.queued }).toEqual({ running: 1, queued: 1 })
    // The bound is per level: level 2 (eight places) still takes requests.
    const other = infer(3, { parameters: { priority: 2 } })
    await until(() => expect(scheduler.queued).toBe(2))
    await expectEcho(blocker)
    await expectEcho(queued)
    await expectEcho(other)
  })

  it('answers a request past its timeout 504 QUEUE_TIMEOUT, without computing it', async () => {
    const before = scheduler.requests
    const blocker = await block()
    const late = infer(1, { parameters: { timeout: 1000 } }) // µs
    await expectFailure(late, 504, 'INFERD_ERR_QUEUE_TIMEOUT')
    expect(scheduler.running).toBe(1) // the answer came from the queue, the blocker still computes
    await expectEcho(blocker)
    expect(scheduler.requests - before).toBe(1) // the blocker alone
  })

  it('drops a request whose client disconnected while it was queued: it is never computed', async () => {
    const before = { batches: scheduler.batches, requests: scheduler.requests, rows: scheduler.rows }
    const blocker = await block()
    const controller = new AbortController()
    const gone = infer(1, { rows: 3, signal: controller.signal })
    await until(() => expect(scheduler.queued).toBe(1))
    controller.abort()
    await expect(gone.response).rejects.toThrow()
    await until(() => expect(scheduler.queued).toBe(0))
    await expectEcho(blocker)
    const after = infer(2, { rows: 2 })
    await expectEcho(after)
    // Two batches ran: the blocker (1 row) and `after` (2 rows); the 3 rows of `gone` never did.
    expect({
      batches: scheduler.batches - before.batches,
      requests: scheduler.requests - before.requests,
      rows: scheduler.rows - before.rows,
    }).toEqual({ batches: 2, requests: 2, rows: 3 })
  })

  it('serves priority 1 before the default level 2, whatever the arrival order', async () => {
    const blocker = await block()
    // Different row lengths, so the two cannot share one batch and must run one after the other.
    const low = infer(1, { n: 256 }) // no priority: the model's default level, 2
    await until(() => expect(scheduler.queued).toBe(1))
    const high = infer(2, { n: 16, parameters: { priority: 1 } })
    await until(() => expect(scheduler.queued).toBe(2))
    const order: string[] = []
    await Promise.all([
      low.response.then(() => order.push('low')),
      high.response.then(() => order.push('high')),
      expectEcho(blocker),
    ])
    expect(order).toEqual(['high', 'low'])
    await expectEcho(low)
    await expectEcho(high)
  })

  it('refuses a priority beyond the model\'s levels with 400 before queueing it', async () => {
    await expectFailure(infer(1, { parameters: { priority: 3 } }), 400, 'INFERD_ERR_PARAMETER_INVALID')
  })
})
