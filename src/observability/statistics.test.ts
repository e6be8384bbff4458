import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { FIXTURE_REPO } from '../../test/helpers/paths.js'
import { catchInferdError } from '../../test/helpers/catch-inferd-error.js'
import { defaultBackends } from '../backends/registry.js'
import { batchChannel, type BatchMessage, type ModelIdentity, requestChannel, type RequestMessage } from '../core/diagnostics.js'
import { ModelRepository } from '../repository/repository.js'
import { Statistics } from './statistics.js'

/**
 * Statistics over a real repository (simple v1; add_sub_fp32 serving v2 and v3; broken, which
 * fails to load), fed by messages published on the data path's channels exactly as the engine and
 * the scheduler publish them. The e2e test (test/e2e/stats.test.ts) checks the real data path.
 */

let dir: string
let repository: ModelRepository
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inferd-stats-'))
  for (const m of ['simple', 'add_sub_fp32', 'broken']) await cp(join(FIXTURE_REPO, m), join(dir, m), { recursive: true })
  const backends = defaultBackends()
  repository = new ModelRepository({ root: dir, backends: (n) => backends.get(n), defaultMaxBatchSize: 8, logger: pino({ level: 'silent' }) })
  await repository.loadAll()
})
afterAll(async () => {
  await repository?.close()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

let stats: Statistics
beforeEach(() => { stats = new Statistics(repository) })
afterEach(() => { stats.close() })

const times = { queueNs: 100, computeInputNs: 10, computeInferNs: 200, computeOutputNs: 30 }
const succeeded = (model: ModelIdentity, rows: number, durationNs = 1000): RequestMessage => ({ model, rows, durationNs, times })
const failed = (model: ModelIdentity, durationNs = 50): RequestMessage => ({ model, rows: 0, durationNs, error: new Error('x') })
const batch = (model: ModelIdentity, rows: number, requests = 1, isFailed = false): BatchMessage => (
  { model, rows, requests, failed: isFailed, computeInputNs: 10, computeInferNs: 200, computeOutputNs: 30 }
)
const zero = { count: 0, ns: 0 }

describe('Statistics', () => {
  it('lists every READY version with zeros before any traffic, by name then version', () => {
    const all = stats.modelStats()
    expect(all.map((s) => [s.name, s.version])).toEqual([['add_sub_fp32', '2'], ['add_sub_fp32', '3'], ['simple', '1']])
    expect(all[2]).toEqual({
      name: 'simple',
      version: '1',
      last_inference: 0,
      inference_count: 0,
      execution_count: 0,
      inference_stats: { success: zero, fail: zero, queue: zero, compute_input: zero, compute_infer: zero, compute_output: zero, cache_hit: zero, cache_miss: zero },
      batch_stats: [],
      memory_usage: [],
      response_stats: {},
    })
  })

  it('filters by model and by version; an empty string means absent, as gRPC sends it', () => {
    expect(stats.modelStats('add_sub_fp32').map((s) => s.version)).toEqual(['2', '3'])
    expect(stats.modelStats('add_sub_fp32', '3').map((s) => s.version)).toEqual(['3'])
    expect(stats.modelStats('', '').length).toBe(3)
    expect(stats.modelStats('simple', '').map((s) => s.version)).toEqual(['1'])
  })

  it('refuses unknown models, unknown versions and models that serve nothing, with the registry codes', () => {
    expect(catchInferdError(() => stats.modelStats('nope')).code).toBe('INFERD_ERR_MODEL_NOT_FOUND')
    expect(catchInferdError(() => stats.modelStats('simple', '7')).code).toBe('INFERD_ERR_MODEL_VERSION_NOT_FOUND')
    expect(catchInferdError(() => stats.modelStats('broken')).code).toBe('INFERD_ERR_MODEL_NOT_READY')
    // add_sub_fp32 v1 exists on disk but the version policy does not serve it.
    expect(catchInferdError(() => stats.modelStats('add_sub_fp32', '1')).code).toBe('INFERD_ERR_MODEL_VERSION_NOT_FOUND')
  })

  it('counts requests and executions with Triton\'s semantics', () => {
    const simple = repository.get('simple')
    const before = Date.now()
    // Two requests (3 rows and 1 row) shared one batch of 4; a request of 2 rows ran alone; one failed.
    requestChannel.publish(succeeded(simple, 3, 5000))
    requestChannel.publish(succeeded(simple, 1, 4000))
    batchChannel.publish(batch(simple, 4, 2))
    requestChannel.publish(succeeded(simple, 2, 3000))
    batchChannel.publish(batch(simple, 2))
    requestChannel.publish(failed(simple, 70))
    const [s] = stats.modelStats('simple')
    expect(s!.inference_count).toBe(6) // rows of successful requests
    expect(s!.execution_count).toBe(2) // batches
    expect(s!.last_inference).toBeGreaterThanOrEqual(before)
    expect(s!.last_inference).toBeLessThanOrEqual(Date.now())
    expect(s!.inference_stats).toEqual({
      success: { count: 3, ns: 12000 },
      fail: { count: 1, ns: 70 },
      // queue and compute count per successful request; each request counts its whole batch's phases
      queue: { count: 3, ns: 300 },
      compute_input: { count: 3, ns: 30 },
      compute_infer: { count: 3, ns: 600 },
      compute_output: { count: 3, ns: 90 },
      cache_hit: zero,
      cache_miss: zero,
    })
    expect(s!.batch_stats).toEqual([
      { batch_size: 2, compute_input: { count: 1, ns: 10 }, compute_infer: { count: 1, ns: 200 }, compute_output: { count: 1, ns: 30 } },
      { batch_size: 4, compute_input: { count: 1, ns: 10 }, compute_infer: { count: 1, ns: 200 }, compute_output: { count: 1, ns: 30 } },
    ])
  })

  it('does not count a failed batch as an execution (its requests count as failures)', () => {
    const v3 = repository.get('add_sub_fp32', '3')
    batchChannel.publish(batch(v3, 5, 2, true))
    requestChannel.publish(failed(v3))
    requestChannel.publish(failed(v3))
    const [s] = stats.modelStats('add_sub_fp32', '3')
    expect(s).toMatchObject({ execution_count: 0, last_inference: 0, inference_count: 0, batch_stats: [] })
    expect(s!.inference_stats.fail).toEqual({ count: 2, ns: 100 })
    expect(s!.inference_stats.success).toEqual(zero)
  })

  it('keeps versions apart by their own object: another version, or a look-alike from another server, counts elsewhere', () => {
    const v2 = repository.get('add_sub_fp32', '2')
    const lookalike: ModelIdentity = { name: 'add_sub_fp32', version: '2' }
    requestChannel.publish(succeeded(lookalike, 1))
    batchChannel.publish(batch(lookalike, 1))
    expect(stats.modelStats('add_sub_fp32', '2')[0]!.inference_count).toBe(0)
    requestChannel.publish(succeeded(v2, 1))
    expect(stats.modelStats('add_sub_fp32', '2')[0]!.inference_count).toBe(1)
    expect(stats.modelStats('add_sub_fp32', '3')[0]!.inference_count).toBe(0)
  })

  it('stops counting once closed; close is idempotent', () => {
    const simple = repository.get('simple')
    stats.close()
    stats.close()
    requestChannel.publish(succeeded(simple, 1))
    expect(stats.modelStats('simple')[0]!.inference_stats.success.count).toBe(0)
  })
})
