import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Queue } from 'bullmq'
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { irisRecord, type IrisRowKind } from '../../../test/helpers/iris-data.js'
import { EXAMPLES_REPO } from '../../../test/helpers/paths.js'
import { startRedis, type TestRedis } from '../../../test/helpers/redis.js'
import { resolveConfig } from '../../config/resolve.js'
import { Cancellation } from '../../core/cancellation.js'
import { InferdError } from '../../errors/index.js'
import { createRuntime, type InferdRuntime } from '../../runtime.js'
import { openRowReader, openRowWriter, type Row } from '../formats/index.js'
import { runBatch } from '../runner.js'
import { chunkJob } from './chunk-job.js'
import { type ChunkWorker, startChunkWorker } from './chunk-worker.js'
import { runDistributed, type DistributedOptions } from './coordinator.js'
import { processChunk } from './process-chunk.js'
import { readPlan } from './run-plan.js'

/**
 * The coordinator and the chunk worker in this process, against a real redis-server and the real
 * iris example: resume after the coordinator stops, a chunk delivered twice, Parquet input (row
 * ranges), the error budget. (The multi-process run with a killed worker is
 * test/e2e/distributed-batch.test.ts.)
 */

let redis: TestRedis
let runtime: InferdRuntime
let dir: string
const workers: ChunkWorker[] = []
let queueCount = 0

beforeAll(async () => {
  redis = await startRedis()
  dir = await mkdtemp(join(tmpdir(), 'inferd-coordinator-'))
  runtime = createRuntime(resolveConfig({ modelRepository: EXAMPLES_REPO, modelControlMode: 'explicit' }), pino({ level: 'silent' }))
  await runtime.repository.scan()
  await runtime.repository.load('iris')
}, 60_000)
afterEach(async () => { await Promise.all(workers.splice(0).map((w) => w.close())) })
afterAll(async () => {
  await runtime?.close()
  await redis?.stop()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

/** A queue of its own per test, so no test sees another's jobs. */
function queueOf (): { queue: string; queueName: string } {
  return { queue: redis.url, queueName: `q${++queueCount}` }
}

function worker (q: { queue: string; queueName: string }): ChunkWorker {
  const w = startChunkWorker(runtime, { ...q, lockDurationMs: 2000, stalledIntervalMs: 1000 })
  workers.push(w)
  return w
}

async function readRows (path: string): Promise<Row[]> {
  const rows: Row[] = []
  for await (const row of await openRowReader(path)) rows.push(row)
  return rows
}

/** JSON Lines of iris records; every `badEvery`-th lacks a measurement (a reject); one line is not JSON. */
async function irisJsonl (path: string, rows: number, badEvery: number): Promise<void> {
  const lines: string[] = []
  for (let i = 0; i < rows; i++) {
    const kind: IrisRowKind = i % badEvery === badEvery - 1 ? 'missing' : 'good'
    lines.push(i === 1234 ? '{"broken": ' : JSON.stringify(irisRecord(i, kind)))
  }
  await writeFile(path, lines.join('\n') + '\n')
}

async function caught (p: Promise<unknown>): Promise<InferdError> {
  const err = await p.then(() => undefined, (e: unknown) => e)
  if (!(err instanceof InferdError)) throw new Error(`expected an InferdError, got ${String(err)}`)
  return err
}

describe('runDistributed', () => {
  it('resumes from the committed chunks after the coordinator stops, and a chunk delivered again counts once', async () => {
    const input = join(dir, 'resume.jsonl')
    await irisJsonl(input, 6000, 250)
    const reference = join(dir, 'resume-single.jsonl')
    await runBatch({ model: 'iris', input, output: reference, keep: ['id'] }, runtime)

    const q = queueOf()
    const output = join(dir, 'resume.parquet')
    const options: DistributedOptions = { ...q, model: 'iris', input, output, keep: ['id'], chunkRows: 400, pollMs: 20 }
    // First run: stopped once a few chunks are committed.
    const w = worker(q)
    const cancel = new Cancellation()
    const stopped = await caught(runDistributed(options, { signal: cancel, onProgress: (p) => { if (p.rowsDone >= 1200) cancel.cancel() } }))
    expect(stopped.code).toBe('INFERD_ERR_BATCH_CANCELLED')
    await w.close()
    expect(existsSync(output)).toBe(false)

    // A committed chunk delivered again (its worker died after the commit, before the ack): nothing changes.
    const plan = await readPlan(`${output}.chunks`)
    expect(plan).toBeDefined()
    const slice = plan!.slices[0]!
    const again = chunkJob({ runId: plan!.runId, workDir: `${output}.chunks`, index: 0, input, format: 'jsonl', slice, model: 'iris', keep: ['id'] })
    const before = await readFile(join(`${output}.chunks`, 'chunk-000000', 'rows.jsonl'), 'utf8')
    expect(await processChunk(again, runtime)).toEqual({ kind: 'already' })
    expect(await readFile(join(`${output}.chunks`, 'chunk-000000', 'rows.jsonl'), 'utf8')).toBe(before)
    // A job of another run (the plan was redone since) is dropped, not scored.
    expect(await processChunk({ ...again, runId: 'r-other', index: 1 }, runtime)).toEqual({ kind: 'obsolete' })

    // Second run, same command: only the rest is scored.
    worker(q)
    const summary = await runDistributed(options)
    expect(summary.resumedFrom).toBeGreaterThanOrEqual(1200)
    expect(summary).toMatchObject({ rows: 6000, modelName: 'iris', modelVersion: '1' })
    expect(summary.rejected).toBe(6000 / 250 + 1) // the missing measurements and the line that is not JSON
    expect(await readRows(output)).toEqual(await readRows(reference))
    expect(await readFile(`${output}.rejects.jsonl`, 'utf8')).toBe(await readFile(`${reference}.rejects.jsonl`, 'utf8'))
    expect(existsSync(`${output}.chunks`)).toBe(false)
  }, 60_000)

  it('splits a Parquet input by row ranges and keeps its row numbers', async () => {
    const input = join(dir, 'in.parquet')
    const writer = await openRowWriter(input, { columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'id'] })
    await writer.write(Array.from({ length: 3000 }, (_, i) => irisRecord(i, i % 700 === 699 ? 'missing' : 'good')))
    await writer.close()
    await rm(`${input}.part.jsonl`, { force: true })
    const reference = join(dir, 'parquet-single.csv')
    await runBatch({ model: 'iris', input, output: reference, keep: ['id'] }, runtime)

    const q = queueOf()
    worker(q)
    worker(q) // two workers in one process: chunks interleave
    const output = join(dir, 'parquet.csv')
    const summary = await runDistributed({ ...q, model: 'iris', input, output, keep: ['id'], chunkRows: 500, pollMs: 20 })
    expect(summary).toMatchObject({ rows: 3000, rejected: 4, resumedFrom: 0 })
    expect(await readFile(output, 'utf8')).toBe(await readFile(reference, 'utf8'))
    expect(await readFile(`${output}.rejects.jsonl`, 'utf8')).toBe(await readFile(`${reference}.rejects.jsonl`, 'utf8'))
  }, 60_000)

  it('stops at the error budget, summed over the chunks, and withdraws the chunks not taken', async () => {
    const input = join(dir, 'budget.jsonl')
    await irisJsonl(input, 4000, 50) // 80 bad rows, 10 to a chunk of 500
    const q = queueOf()
    worker(q)
    const output = join(dir, 'budget.csv')
    const err = await caught(runDistributed({ ...q, model: 'iris', input, output, chunkRows: 500, maxRejects: 25, pollMs: 20 }))
    expect(err.code).toBe('INFERD_ERR_BATCH_REJECTS_EXCEEDED')
    expect(existsSync(output)).toBe(false)
    const queue = new Queue(q.queueName, { connection: { url: redis.url } })
    try {
      expect(await queue.getJobCounts('waiting', 'delayed', 'prioritized')).toEqual({ waiting: 0, delayed: 0, prioritized: 0 })
    } finally {
      await queue.close()
    }
    // A chunk alone over the budget fails on its worker, at once (no retry), and stops the run the same way.
    const q2 = queueOf()
    worker(q2)
    const err2 = await caught(runDistributed({ ...q2, model: 'iris', input, output: join(dir, 'budget2.csv'), chunkRows: 2000, maxRejects: 5, pollMs: 20 }))
    expect(err2.code).toBe('INFERD_ERR_BATCH_REJECTS_EXCEEDED')
  }, 60_000)

  it('fails with the worker\'s reason when a chunk fails on every attempt', async () => {
    const input = join(dir, 'nomodel.jsonl')
    await irisJsonl(input, 100, 1000)
    const q = queueOf()
    worker(q)
    const err = await caught(runDistributed({ ...q, model: 'no_such_model', input, output: join(dir, 'nomodel.csv'), chunkRows: 100, pollMs: 20 }))
    expect(err.code).toBe('INFERD_ERR_BATCH_CHUNK_FAILED')
    expect(err.message).toMatch(/no_such_model/)
  }, 60_000)

  it('says so when Redis does not answer', async () => {
    const input = join(dir, 'noredis.jsonl')
    await irisJsonl(input, 10, 1000)
    const err = await caught(runDistributed({ queue: 'redis://127.0.0.1:1', model: 'iris', input, output: join(dir, 'noredis.csv'), connectTimeoutMs: 500 }))
    expect(err.code).toBe('INFERD_ERR_BATCH_QUEUE_UNAVAILABLE')
  })
})
