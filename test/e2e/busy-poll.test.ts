import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BusyPoll } from '../../src/core/busy-poll.js'
import type { InferenceRequest } from '../../src/core/inference.js'
import type { InferenceEngine } from '../../src/pipeline/inference-engine.js'
import { openEngine, type TestEngine } from '../helpers/engine.js'
import { SCHEDULER_REPO } from '../helpers/paths.js'

/**
 * Which requests open a busy-polling window (core/busy-poll.ts), through the real engine and
 * onnxruntime: only an online request that finds no other in flight (a lone client's). Requests
 * arriving while others are in flight are concurrent load, which keeps the loop busy by itself;
 * job batches are background work. The poller is a real BusyPoll that also counts its windows.
 */
class CountingPoll extends BusyPoll {
  touches = 0
  override touch (): void {
    this.touches++
    super.touch()
  }
}

let core: TestEngine
let engine: InferenceEngine
const poll = new CountingPoll(200)
beforeAll(async () => {
  core = await openEngine(SCHEDULER_REPO, ['batched_add_sub'], { busyPoll: poll })
  engine = core.engine
})
afterAll(async () => {
  poll.close()
  await core?.close()
})

const request = (k: number): InferenceRequest => ({
  modelName: 'batched_add_sub',
  inputs: [
    { name: 'INPUT0', datatype: 'FP32', shape: [1, 16], data: new Float32Array(16).fill(k) },
    { name: 'INPUT1', datatype: 'FP32', shape: [1, 16], data: new Float32Array(16).fill(1) },
  ],
})

describe('busy-polling windows', () => {
  it('a lone request opens one; requests sent while it is in flight do not', async () => {
    const before = poll.touches
    const answers = await Promise.all([1, 2, 3, 4].map((k) => engine.infer(request(k))))
    expect(answers.map((a) => (a.outputs[0]!.data as Float32Array)[0])).toEqual([2, 3, 4, 5])
    expect(poll.touches - before).toBe(1)
    await engine.infer(request(5))
    expect(poll.touches - before).toBe(2)
  })

  it('a background (job) request opens none', async () => {
    const before = poll.touches
    await engine.infer(request(6), { background: true })
    expect(poll.touches).toBe(before)
  })
})
