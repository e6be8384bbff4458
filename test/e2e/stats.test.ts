import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { ModelStatsJson } from '../../src/observability/statistics.js'
import type { InferdServer } from '../../src/server.js'
import { getJson, postJson } from '../helpers/oip-client.js'
import { FIXTURE_REPO, SCHEDULER_REPO } from '../helpers/paths.js'
import { spyOnSchedulers } from '../helpers/scheduler-spy.js'
import { startServer } from '../helpers/server.js'

/**
 * The statistics extension over real HTTP, against the scheduler fixtures: batched_add_sub
 * ([batch,16] FP32 a+b / a−b, max_batch_size 8, dynamic batching) and slow_identity (one worker
 * thread instance, cost ∝ n³, level 2 queue; requests may shorten their timeout). Counts are
 * checked against what the requests were and against the scheduler's own counters; durations
 * only for sign and internal consistency, never against a clock.
 */

let spy: ReturnType<typeof spyOnSchedulers>
let server: InferdServer
let url: string
beforeAll(async () => {
  spy = spyOnSchedulers()
  server = await startServer(SCHEDULER_REPO)
  url = server.httpUrl
})
afterAll(async () => {
  await server?.close()
  spy?.restore()
})

const until = (check: () => void): Promise<void> => vi.waitFor(check, { timeout: 20_000, interval: 2 })

async function statsOf (path: string): Promise<ModelStatsJson[]> {
  const res = await getJson(`${url}/v2/models${path}/stats`)
  expect(res.status, JSON.stringify(res.json)).toBe(200)
  return res.json.model_stats as ModelStatsJson[]
}

async function one (model: string): Promise<ModelStatsJson> {
  const [s, ...rest] = await statsOf(`/${model}`)
  expect(rest).toEqual([])
  return s!
}

function addSub (rows: number, o: { width?: number; datatype?: string } = {}): unknown {
  const width = o.width ?? 16
  const data = Array.from({ length: rows * width }, (_, k) => k % 13)
  return {
    inputs: [
      { name: 'INPUT0', shape: [rows, width], datatype: o.datatype ?? 'FP32', data },
      { name: 'INPUT1', shape: [rows, width], datatype: o.datatype ?? 'FP32', data },
    ],
  }
}

const inferAddSub = (body: unknown) => postJson(`${url}/v2/models/batched_add_sub/infer`, body)

/** batch_size → executions. */
const executions = (s: ModelStatsJson): Map<number, number> => new Map(s.batch_stats.map((b) => [b.batch_size, b.compute_infer.count]))
const sumBatches = (s: ModelStatsJson, phase: 'compute_input' | 'compute_infer' | 'compute_output'): number => s.batch_stats.reduce((n, b) => n + b[phase].ns, 0)

/** Every duration positive where it counted something, and a request's parts within its whole. */
function expectConsistent (s: ModelStatsJson): void {
  const i = s.inference_stats
  for (const k of ['queue', 'compute_input', 'compute_infer', 'compute_output'] as const) {
    expect(i[k].count, k).toBe(i.success.count) // Triton reports these per successful request
    if (i[k].count > 0) expect(i[k].ns, k).toBeGreaterThan(0)
  }
  if (i.success.count > 0) expect(i.success.ns).toBeGreaterThanOrEqual(i.queue.ns + i.compute_input.ns + i.compute_infer.ns + i.compute_output.ns)
  if (i.fail.count > 0) expect(i.fail.ns).toBeGreaterThan(0)
  for (const b of s.batch_stats) {
    expect(b.compute_input.count).toBe(b.compute_infer.count)
    expect(b.compute_output.count).toBe(b.compute_infer.count)
    expect(b.compute_infer.ns).toBeGreaterThan(0)
  }
  // Every execution's rows are inferences of successful requests (no batch failed here).
  expect(s.batch_stats.reduce((n, b) => n + b.batch_size * b.compute_infer.count, 0)).toBe(s.inference_count)
  expect(s.batch_stats.reduce((n, b) => n + b.compute_infer.count, 0)).toBe(s.execution_count)
}

describe('statistics extension', () => {
  it('lists every loaded version with zeros before any traffic, and advertises the extension', async () => {
    const all = await statsOf('')
    expect(all.map((s) => [s.name, s.version])).toEqual([['batched_add_sub', '1'], ['slow_identity', '1']])
    for (const s of all) {
      expect(s).toMatchObject({ last_inference: 0, inference_count: 0, execution_count: 0, batch_stats: [] })
      for (const d of Object.values(s.inference_stats)) expect(d).toEqual({ count: 0, ns: 0 })
    }
    expect((await getJson(`${url}/v2`)).json.extensions).toContain('statistics')
  })

  it('counts sequential requests of mixed batch sizes as one execution each, by batch size', async () => {
    const scheduler = spy.of(server, 'batched_add_sub')
    const sizes = [1, 3, 8, 3, 2, 1]
    const before = Date.now()
    for (const rows of sizes) {
      const res = await inferAddSub(addSub(rows))
      expect(res.status, res.text).toBe(200)
    }
    const s = await one('batched_add_sub')
    expect(s.inference_count).toBe(18)
    expect(s.execution_count).toBe(6)
    expect({ success: s.inference_stats.success.count, fail: s.inference_stats.fail.count }).toEqual({ success: 6, fail: 0 })
    expect(executions(s)).toEqual(new Map([[1, 2], [2, 1], [3, 2], [8, 1]]))
    expect(s.batch_stats.map((b) => b.batch_size)).toEqual([1, 2, 3, 8])
    expect({ executions: s.execution_count, rows: s.inference_count }).toEqual({ executions: scheduler.batches, rows: scheduler.rows })
    expect(s.last_inference).toBeGreaterThanOrEqual(before)
    expect(s.last_inference).toBeLessThanOrEqual(Date.now())
    expectConsistent(s)
    // One request per batch: each request's compute time is exactly its batch's.
    for (const phase of ['compute_input', 'compute_infer', 'compute_output'] as const) expect(s.inference_stats[phase].ns, phase).toBe(sumBatches(s, phase))
  })

  it('stays consistent under a concurrent burst, where requests share batches', async () => {
    const scheduler = spy.of(server, 'batched_add_sub')
    const before = await one('batched_add_sub')
    const batchesBefore = scheduler.batches
    const sizes = Array.from({ length: 32 }, (_, i) => 1 + (i % 4))
    const answers = await Promise.all(sizes.map((rows) => inferAddSub(addSub(rows))))
    for (const a of answers) expect(a.status, a.text).toBe(200)
    const s = await one('batched_add_sub')
    expect(s.inference_count - before.inference_count).toBe(sizes.reduce((a, b) => a + b, 0))
    expect(s.inference_stats.success.count - before.inference_stats.success.count).toBe(sizes.length)
    expect(s.execution_count - before.execution_count).toBe(scheduler.batches - batchesBefore)
    expectConsistent(s)
    // Requests sharing a batch each count that batch's time, so per-request sums can only exceed the batches'.
    const inferDelta = s.inference_stats.compute_infer.ns - before.inference_stats.compute_infer.ns
    expect(inferDelta).toBeGreaterThanOrEqual(sumBatches(s, 'compute_infer') - sumBatches(before, 'compute_infer'))
  })

  it('counts failures of a known version in fail, and nothing for a model that does not exist', async () => {
    const before = await one('batched_add_sub')
    const wrongShape = await inferAddSub(addSub(1, { width: 15 }))
    expect(wrongShape.status).toBe(400)
    const wrongType = await inferAddSub(addSub(2, { datatype: 'INT32' }))
    expect(wrongType.status).toBe(400)
    const unknown = await postJson(`${url}/v2/models/nope/infer`, addSub(1))
    expect(unknown.status).toBe(404)
    const s = await one('batched_add_sub')
    expect(s.inference_stats.fail.count - before.inference_stats.fail.count).toBe(2)
    expect(s.inference_stats.fail.ns).toBeGreaterThan(before.inference_stats.fail.ns)
    expect(s.inference_stats.success).toEqual(before.inference_stats.success)
    expect({ executions: s.execution_count, inferences: s.inference_count, batches: s.batch_stats })
      .toEqual({ executions: before.execution_count, inferences: before.inference_count, batches: before.batch_stats })
    expect((await statsOf('')).map((x) => x.name)).toEqual(['batched_add_sub', 'slow_identity'])
  })

  it('counts a queue timeout in fail while the request it waited behind succeeds; a worker batch splits its time honestly', async () => {
    const scheduler = spy.of(server, 'slow_identity')
    const row = (n: number): unknown => ({ inputs: [{ name: 'x', shape: [1, n], datatype: 'FP32', data: Array.from({ length: n }, (_, k) => k % 7) }] })
    // A blocker computing about a second on the only instance, then a request that may wait 1 ms.
    const blocker = postJson(`${url}/v2/models/slow_identity/infer`, row(1280))
    await until(() => expect(scheduler.running).toBe(1))
    const late = await postJson(`${url}/v2/models/slow_identity/infer`, { ...(row(8) as object), parameters: { timeout: 1000 } })
    expect(late.status).toBe(504)
    expect(late.json.code).toBe('INFERD_ERR_QUEUE_TIMEOUT')
    expect((await blocker).status).toBe(200)
    const [s, ...rest] = await statsOf('/slow_identity/versions/1')
    expect(rest).toEqual([])
    expect(s).toMatchObject({ name: 'slow_identity', version: '1', inference_count: 1, execution_count: 1 })
    expect({ success: s!.inference_stats.success.count, fail: s!.inference_stats.fail.count }).toEqual({ success: 1, fail: 1 })
    expect(executions(s!)).toEqual(new Map([[1, 1]]))
    expectConsistent(s!)
    // In a worker thread the input and output phases include the transfers between threads, and
    // the session's run (about a second here) is counted as infer, not as either transfer.
    const [b] = s!.batch_stats
    expect(b!.compute_input.ns).toBeGreaterThan(0)
    expect(b!.compute_output.ns).toBeGreaterThan(0)
    expect(b!.compute_infer.ns).toBeGreaterThan(b!.compute_input.ns + b!.compute_output.ns)
  })

  it('answers per model and per version, 404 for unknown models and versions; the server object answers the same', async () => {
    expect((await statsOf('/batched_add_sub/versions/1')).map((s) => [s.name, s.version])).toEqual([['batched_add_sub', '1']])
    const missing = await getJson(`${url}/v2/models/nope/stats`)
    expect(missing.status).toBe(404)
    expect(missing.json).toMatchObject({ code: 'INFERD_ERR_MODEL_NOT_FOUND', error: "model 'nope' not found" })
    const noVersion = await getJson(`${url}/v2/models/slow_identity/versions/9/stats`)
    expect(noVersion.status).toBe(404)
    expect(noVersion.json.code).toBe('INFERD_ERR_MODEL_VERSION_NOT_FOUND')
    // What the gRPC ModelStatistics RPC reads: the same objects REST writes.
    expect(server.statistics.modelStats()).toEqual(await statsOf(''))
  })
})

describe('statistics and warmup', () => {
  // simple (INT32 a+b, a−b) with a model_warmup of 3 runs at batch size 2, done before READY.
  const WARM_CONFIG = `backend: onnxruntime
max_batch_size: 8
model_warmup:
  - name: zeros
    batch_size: 2
    count: 3
    inputs:
      INPUT0: { data_type: TYPE_INT32, dims: [16], zero_data: true }
      INPUT1: { data_type: TYPE_INT32, dims: [16], zero_data: true }
`
  let dir: string
  let warm: InferdServer
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inferd-stats-warm-'))
    await cp(join(FIXTURE_REPO, 'simple'), join(dir, 'simple_warm'), { recursive: true })
    await writeFile(join(dir, 'simple_warm', 'config.yaml'), WARM_CONFIG)
    warm = await startServer(dir)
  })
  afterAll(async () => {
    await warm?.close()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('does not count warmup runs: they are no inference requests', async () => {
    const [before] = warm.statistics.modelStats('simple_warm')
    expect(before).toMatchObject({ inference_count: 0, execution_count: 0, batch_stats: [] })
    const data = Array.from({ length: 16 }, (_, j) => j)
    const res = await postJson(`${warm.httpUrl}/v2/models/simple_warm/infer`, {
      inputs: [{ name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data }, { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data }],
    })
    expect(res.status, res.text).toBe(200)
    const [after] = warm.statistics.modelStats('simple_warm')
    expect(after).toMatchObject({ inference_count: 1, execution_count: 1 })
    expect(after!.batch_stats.map((b) => [b.batch_size, b.compute_infer.count])).toEqual([[1, 1]])
  })
})
