import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Tensor } from '../core/tensor.js'
import type { InferdError } from '../errors/index.js'
import { compute, requestInput, ScriptedInstance } from '../../test/helpers/scripted-instance.js'
import { batchKey } from './batch-tensors.js'
import { ModelScheduler } from './model-scheduler.js'
import type { QueuedRequest } from './queued-request.js'

// The background class (batch jobs' micro-batches) against online requests, on a scripted
// instance that computes only when told: assertions are on which batch ran when, never on time.
beforeEach(() => { vi.useFakeTimers({ toFake: ['setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'performance'] }) })
afterEach(() => { vi.useRealTimers() })

const turn = (ms = 0): Promise<unknown> => vi.advanceTimersByTimeAsync(ms)

interface Tracked { readonly id: number; readonly req: QueuedRequest; outputs?: Tensor[]; error?: InferdError }

function request (id: number, o: { rows?: number; priority?: number; background?: boolean; signal?: AbortSignal } = {}): Tracked {
  const inputs = [requestInput(id, o.rows ?? 1)]
  const t: Tracked = {
    id,
    req: {
      inputs,
      outputNames: ['y', 's'],
      rows: o.rows ?? 1,
      key: batchKey(inputs),
      priority: o.priority ?? 1,
      enqueuedAt: performance.now(),
      deadline: Infinity,
      timeoutAction: 'REJECT',
      ...(o.background === true ? { background: true } : {}),
      ...(o.signal === undefined ? {} : { signal: o.signal }),
      resolve: (outputs) => { t.outputs = outputs },
      reject: (err) => { t.error = err },
    },
  }
  return t
}

function setup (limits: number[] = [0]): { s: ModelScheduler; one: ScriptedInstance; submit: (id: number, o?: Parameters<typeof request>[1]) => Tracked } {
  const one = new ScriptedInstance('i0')
  const s = new ModelScheduler({
    model: 'm',
    version: '1',
    batcher: { maxBatchSize: 8, preferredBatchSizes: [], maxQueueDelayMs: 0 },
    queueLimits: limits,
    preserveOrdering: false,
    instances: [one],
  })
  const submit = (id: number, o: Parameters<typeof request>[1] = {}): Tracked => {
    const t = request(id, o)
    s.enqueue(t.req)
    return t
  }
  return { s, one, submit }
}

const batchIds = (i: ScriptedInstance): number[][] => i.batches.map((b) => [...b.ids])

describe('background requests (batch jobs) under online traffic', () => {
  it('online requests queued after job batches overtake them, and are never batched with them', async () => {
    const { one, submit } = setup([0, 0])
    submit(1, { rows: 2, background: true }) // a job batch computing when online traffic arrives
    await turn()
    const jobs = [submit(2, { rows: 2, background: true }), submit(3, { rows: 2, background: true })]
    const online = [submit(4, { priority: 2 }), submit(5, { priority: 1 })]
    one.finish()
    await turn()
    // The next batch is the online requests alone (level 1 first), although the job rows would fit.
    expect(batchIds(one)).toEqual([[1], [5, 4]])
    submit(6, { priority: 2 }) // more online traffic while that batch computes
    one.finish()
    await turn()
    expect(batchIds(one)).toEqual([[1], [5, 4], [6]])
    one.finish()
    await turn()
    // No online request left: the job batches run, together.
    expect(batchIds(one)).toEqual([[1], [5, 4], [6], [2, 3]])
    one.finish()
    await turn()
    for (const t of [...jobs, ...online]) {
      expect(t.error).toBeUndefined()
      expect(t.outputs).toEqual(compute(t.req.inputs))
    }
  })

  it('runs job batches at once when no online request waits, whatever the model\'s levels', async () => {
    const { one, submit } = setup([0, 0, 0])
    submit(1, { background: true })
    submit(2, { background: true })
    await turn()
    expect(batchIds(one)).toEqual([[1, 2]])
  })

  it('does not count job batches against max_queue_size, which stays the online clients\' room', async () => {
    const { s, submit } = setup([1])
    submit(1) // computing
    await turn()
    for (let id = 2; id < 6; id++) submit(id, { background: true })
    expect(s.queued).toBe(4)
    submit(6) // the level's one queued place is still free
    expect(() => submit(7)).toThrow(expect.objectContaining({ code: 'INFERD_ERR_QUEUE_FULL' }))
  })

  it('drops a cancelled job batch without computing it', async () => {
    const { one, submit } = setup()
    submit(1)
    await turn()
    const ac = new AbortController()
    const dropped = submit(2, { background: true, signal: ac.signal })
    const kept = submit(3, { background: true })
    ac.abort()
    one.finish()
    await turn()
    expect(batchIds(one)).toEqual([[1], [3]])
    expect(dropped.error?.code).toBe('INFERD_ERR_REQUEST_CANCELLED')
    one.finish()
    await turn()
    expect(kept.outputs).toEqual(compute(kept.req.inputs))
  })
})
