import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { InferenceRequest } from '../../src/core/inference.js'
import type { InferenceEngine } from '../../src/pipeline/inference-engine.js'
import type { ModelScheduler } from '../../src/scheduler/model-scheduler.js'
import { openEngine, type TestEngine } from '../helpers/engine.js'
import { SCHEDULER_REPO } from '../helpers/paths.js'

/**
 * Online requests against job micro-batches on one model, through the real engine and
 * onnxruntime: slow_identity (y = x, cost ∝ n³, one instance in a worker thread, two priority
 * levels of which level 2 is the default and holds 8 queued requests). The instance is first
 * occupied by a long blocker; job batches (background) and online requests then queue behind it.
 * Assertions are on the order in which answers come back, never on time.
 */
const BLOCKER_N = 1280

let core: TestEngine
let engine: InferenceEngine
let scheduler: ModelScheduler
beforeAll(async () => {
  core = await openEngine(SCHEDULER_REPO, ['slow_identity'])
  engine = core.engine
  scheduler = core.schedulers.get(core.repository.get('slow_identity'))!.scheduler
})
afterAll(async () => {
  await core?.close()
})

const request = (tag: number, n: number): InferenceRequest => ({
  modelName: 'slow_identity',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1, n], data: new Float32Array(n).fill(tag) }],
})

describe('online requests keep priority over job batches on the same model', () => {
  it('answers online requests queued after job batches first, and alone', async () => {
    const blocker = engine.infer(request(0, BLOCKER_N))
    await vi.waitFor(() => expect(scheduler.running).toBe(1), { timeout: 20_000, interval: 2 })
    const batchesBefore = scheduler.batches
    const order: string[] = []
    const track = (name: string, p: Promise<{ outputs: readonly { data: unknown }[] }>, tag: number): Promise<void> => p.then((r) => {
      expect(Array.from(r.outputs[0]!.data as Float32Array)).toEqual(new Array(64).fill(tag)) // its own rows came back
      order.push(name)
    })
    // Ten job batches: more than the level's max_queue_size (8), which they do not take up.
    const jobs = Array.from({ length: 10 }, (_, i) => track(`job${i}`, engine.infer(request(100 + i, 64), { background: true }), 100 + i))
    const online = [track('online0', engine.infer(request(1, 64)), 1), track('online1', engine.infer(request(2, 64)), 2)]
    expect(scheduler.queued).toBe(12)
    await Promise.all([blocker, ...jobs, ...online])
    // Same shape, so all twelve could share batches; the online two still come back first, in a
    // batch of their own, and the job batches after them in their order.
    expect(order).toEqual(['online0', 'online1', ...Array.from({ length: 10 }, (_, i) => `job${i}`)])
    expect(scheduler.batches - batchesBefore).toBe(3) // [online0, online1], [job0..job7], [job8, job9]
  })
})
