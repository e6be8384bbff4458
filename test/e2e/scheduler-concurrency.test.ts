import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelScheduler } from '../../src/scheduler/model-scheduler.js'
import type { InferdServer } from '../../src/server.js'
import { postBinary, postJson, toBytes } from '../helpers/oip-client.js'
import { SCHEDULER_REPO } from '../helpers/paths.js'
import { spyOnSchedulers } from '../helpers/scheduler-spy.js'
import { startServer } from '../helpers/server.js'

/**
 * Many concurrent requests through real HTTP into batched_add_sub (OUTPUT0 = a + b,
 * OUTPUT1 = a - b, [batch, 16] FP32, max_batch_size 8, two priority levels), each with inputs
 * no other request has: every answer must be computed from its own request's rows, exactly once.
 */
const TOTAL = 480
const IN_FLIGHT = 64
const WIDTH = 16

interface Plan {
  readonly i: number
  readonly id: string
  readonly rows: number
  readonly a: Float32Array
  readonly b: Float32Array
  readonly binary: boolean
  /** INPUT1 sent before INPUT0. */
  readonly reversed: boolean
  readonly outputs: readonly ('OUTPUT0' | 'OUTPUT1')[]
  readonly parameters: Record<string, number>
}

/** Request i's rows: a[r][j] = 64·i + 16·r + j and b[r][j] = (i mod 97)/2 + r − j, exact in float32. */
function plan (i: number): Plan {
  const rows = 1 + ((i * 7) % 4)
  const a = new Float32Array(rows * WIDTH)
  const b = new Float32Array(rows * WIDTH)
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < WIDTH; j++) {
      a[r * WIDTH + j] = 64 * i + 16 * r + j
      b[r * WIDTH + j] = (i % 97) / 2 + r - j
    }
  }
  const parameters: Record<string, number> = {}
  if (i % 3 !== 2) parameters.priority = 1 + (i % 2) // the rest take the default level (2)
  if (i % 5 === 0) parameters.timeout = 30_000_000 // µs: shorter than the model's 60 s, never reached
  return {
    i, id: `req-${i}`, rows, a, b,
    binary: i % 3 === 0,
    reversed: i % 4 === 1,
    outputs: i % 7 === 3 ? ['OUTPUT1'] : i % 7 === 5 ? ['OUTPUT0'] : ['OUTPUT0', 'OUTPUT1'],
    parameters,
  }
}

const expected = (p: Plan, name: string): number[] =>
  Array.from(p.a, (x, k) => (name === 'OUTPUT0' ? x + p.b[k]! : x - p.b[k]!))

const floats = (buf: Buffer): number[] => Array.from(new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)))

interface Answer { readonly status: number; readonly id: unknown; readonly outputs: Map<string, { shape: number[]; data: number[] }>; readonly body: unknown }

async function send (url: string, p: Plan): Promise<Answer> {
  const shape = [p.rows, WIDTH]
  const header = {
    id: p.id,
    ...(Object.keys(p.parameters).length > 0 ? { parameters: p.parameters } : {}),
    outputs: p.outputs.map((name) => ({ name, ...(p.binary ? { parameters: { binary_data: true } } : {}) })),
  }
  if (p.binary) {
    const inputs = [
      { name: 'INPUT0', shape, datatype: 'FP32', parameters: { binary_data_size: p.a.byteLength } },
      { name: 'INPUT1', shape, datatype: 'FP32', parameters: { binary_data_size: p.b.byteLength } },
    ]
    const chunks = [toBytes(p.a), toBytes(p.b)]
    const res = await postBinary(url, { ...header, inputs: p.reversed ? inputs.reverse() : inputs }, p.reversed ? chunks.reverse() : chunks)
    const outputs = new Map<string, { shape: number[]; data: number[] }>()
    for (const o of res.json?.outputs ?? []) outputs.set(o.name, { shape: o.shape, data: floats(res.binary.get(o.name)!) })
    return { status: res.status, id: res.json?.id, outputs, body: res.json }
  }
  const inputs = [
    { name: 'INPUT0', shape, datatype: 'FP32', data: Array.from(p.a) },
    { name: 'INPUT1', shape, datatype: 'FP32', data: Array.from(p.b) },
  ]
  const res = await postJson(url, { ...header, inputs: p.reversed ? inputs.reverse() : inputs })
  const outputs = new Map<string, { shape: number[]; data: number[] }>()
  for (const o of res.json?.outputs ?? []) outputs.set(o.name, { shape: o.shape, data: o.data })
  return { status: res.status, id: res.json?.id, outputs, body: res.json }
}

describe.each(['inline', 'worker'] as const)('the scheduler under concurrent HTTP load (%s execution)', (executionMode) => {
  let spy: ReturnType<typeof spyOnSchedulers>
  let server: InferdServer
  let scheduler: ModelScheduler
  beforeAll(async () => {
    spy = spyOnSchedulers()
    server = await startServer(SCHEDULER_REPO, { executionMode })
    scheduler = spy.of(server, 'batched_add_sub')
  })
  afterAll(async () => {
    await server?.close()
    spy?.restore()
  })

  it(`answers ${TOTAL} concurrent requests, each with its own result, none lost and none twice`, async () => {
    const url = `${server.httpUrl}/v2/models/batched_add_sub/infer`
    const before = { batches: scheduler.batches, requests: scheduler.requests, rows: scheduler.rows }
    const plans = Array.from({ length: TOTAL }, (_, i) => plan(i))
    const answers: Array<{ plan: Plan; answer: Answer }> = []
    let next = 0
    // IN_FLIGHT clients, each sending its next request as soon as its last one is answered.
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      for (let p = plans[next++]; p !== undefined; p = plans[next++]) answers.push({ plan: p, answer: await send(url, p) })
    }))

    expect(answers).toHaveLength(TOTAL)
    const seen = new Set<unknown>()
    for (const { plan: p, answer } of answers) {
      expect(answer.status, `${p.id}: ${JSON.stringify(answer.body)}`).toBe(200)
      expect(answer.id).toBe(p.id)
      expect(seen.has(answer.id), `${p.id} answered twice`).toBe(false)
      seen.add(answer.id)
      expect([...answer.outputs.keys()].sort()).toEqual([...p.outputs].sort())
      for (const name of p.outputs) {
        expect(answer.outputs.get(name)!.shape, `${p.id} ${name}`).toEqual([p.rows, WIDTH])
        expect(answer.outputs.get(name)!.data, `${p.id} ${name}`).toEqual(expected(p, name))
      }
    }
    expect(seen.size).toBe(TOTAL)

    // Every request went through the scheduler once, and under this load batches formed.
    expect(scheduler.requests - before.requests).toBe(TOTAL)
    expect(scheduler.rows - before.rows).toBe(plans.reduce((n, p) => n + p.rows, 0))
    expect(scheduler.batches - before.batches).toBeLessThan(TOTAL)
    expect(scheduler.queued).toBe(0)
    expect(scheduler.running).toBe(0)
  })
})
