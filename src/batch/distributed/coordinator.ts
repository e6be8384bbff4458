import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import parquet from '@dsnp/parquetjs'
import { type JobsOptions, Queue } from 'bullmq'
import type { CancelSignal } from '../../core/cancellation.js'
import { Errors, InferdError } from '../../errors/index.js'
import { formatOf } from '../formats/index.js'
import type { BatchOptions, BatchProgress, BatchSummary } from '../runner.js'
import { assembleChunks } from './assemble.js'
import { CHUNK_JOB_NAME, type ChunkJob, chunkJob, chunkJobId, DEFAULT_QUEUE_NAME } from './chunk-job.js'
import { type ChunkMeta, ChunkStore } from './chunk-store.js'
import { failureOf } from './chunk-failure.js'
import { queueConnection, redactedUrl } from './queue-connection.js'
import { planRun, readPlan, type RunIdentity, type RunPlan, runFingerprint, writePlan } from './run-plan.js'

export interface DistributedOptions extends Pick<BatchOptions, 'model' | 'version' | 'input' | 'output' | 'rejects' | 'format' | 'outputFormat' | 'batchSize' | 'maxRejects' | 'keep'> {
  /** The Redis the workers take chunks from: `redis://host:port`. */
  readonly queue: string
  /** BullMQ queue name; the workers must use the same. Default 'inferd-batch'. */
  readonly queueName?: string
  /** Rows per chunk (about: CSV and JSONL are cut at line breaks). Default 10 000. */
  readonly chunkRows?: number
  /** How often the coordinator looks for committed chunks, ms. Default 250. */
  readonly pollMs?: number
  /** How long to wait for Redis at the start, ms. Default 10 000. */
  readonly connectTimeoutMs?: number
}

export interface DistributedHooks {
  onProgress? (progress: BatchProgress): void
  onNotice? (message: string): void
  /** Aborting stops the run (BATCH_CANCELLED): chunks not yet taken are withdrawn, committed ones kept. */
  readonly signal?: CancelSignal
}

const DEFAULT_CHUNK_ROWS = 10_000
const DEFAULT_MAX_REJECTS = 1000
/** How often the coordinator asks Redis about chunks that are not committed (failed? lost?), ms. */
const RECONCILE_MS = 1000

/**
 * The coordinator of a distributed batch run: it plans the chunks, puts one BullMQ job per chunk
 * on the queue, waits while `inferd worker` processes take and commit them, then assembles the
 * output in input order from the committed chunk files.
 *
 * The shared file system holds the truth (chunk-store.ts): a chunk is done when its folder is
 * committed, whatever Redis says, so a chunk scored twice (a worker killed after its commit, or a
 * slow worker whose job was taken over) counts once, and a coordinator run again on the same
 * input, model and options resumes from the chunks already committed. Redis carries the work
 * and reports failures: a chunk that fails on every attempt stops the run with its reason.
 *
 * The coordinator loads no model; the workers need the model in their own repositories, and the
 * input, output folder and work folder (`<output>.chunks`) at the same paths.
 */
export async function runDistributed (options: DistributedOptions, hooks: DistributedHooks = {}): Promise<BatchSummary> {
  const started = performance.now()
  const input = resolve(options.input)
  const output = resolve(options.output)
  const rejectsPath = resolve(options.rejects ?? `${options.output}.rejects.jsonl`)
  const format = formatOf(input, options.format)
  const outputFormat = formatOf(output, options.outputFormat, 'output')
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS
  const maxRejects = options.maxRejects ?? DEFAULT_MAX_REJECTS
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new InferdError(Errors.PARAMETER_INVALID, ['chunkRows', `must be a positive integer, got ${chunkRows}`])
  const connection = queueConnection(options.queue)
  const identity: RunIdentity = {
    input, format, model: options.model, chunkRows,
    ...(options.version === undefined ? {} : { version: options.version }),
    ...(options.keep === undefined ? {} : { keep: options.keep }),
  }
  const store = new ChunkStore(`${output}.chunks`)
  const plan = await loadOrPlan(store, identity, hooks)
  const n = plan.slices.length

  const metas = new Map<number, ChunkMeta>()
  await collectCommitted(store, metas)
  const resumedFrom = sum(metas, (m) => m.rows)
  if (metas.size > 0 && metas.size < n) hooks.onNotice?.(`resuming: ${metas.size} of ${n} chunks (${resumedFrom} rows) were committed by an earlier run`)

  const queue = new Queue(options.queueName ?? DEFAULT_QUEUE_NAME, { connection })
  queue.on('error', () => {}) // connection trouble surfaces as failed commands below; ioredis reconnects
  const job = (index: number): ChunkJob => chunkJob({
    runId: plan.runId, workDir: store.dir, index, input, format, slice: plan.slices[index] as ChunkJob['slice'], model: options.model, maxRejects,
    ...(options.version === undefined ? {} : { version: options.version }),
    ...(options.keep === undefined ? {} : { keep: options.keep }),
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
  })
  const pending = (): number[] => Array.from({ length: n }, (_, i) => i).filter((i) => !metas.has(i))
  const withdraw = async (): Promise<void> => {
    // Jobs not taken yet are removed; one a worker holds finishes and is committed, kept for a resume.
    await Promise.allSettled(pending().map((i) => queue.remove(chunkJobId(plan.runId, i))))
  }
  try {
    await connected(queue, options.queue, options.connectTimeoutMs ?? 10_000)
    await enqueue(queue, plan.runId, pending(), job)
    const workers = await queue.getWorkersCount().catch(() => undefined) // CLIENT LIST: some managed Redis refuse it
    if (workers === 0) hooks.onNotice?.(`no worker is taking chunks from queue '${queue.name}' yet: start \`inferd worker --queue ${redactedUrl(options.queue)}${queue.name === DEFAULT_QUEUE_NAME ? '' : ` --queue-name ${queue.name}`}\` where the model is`)
    let lastReconcile = performance.now()
    for (;;) {
      await collectCommitted(store, metas)
      const rejected = sum(metas, (m) => m.rejected)
      hooks.onProgress?.(progressOf(plan, metas, resumedFrom, started))
      if (rejected > maxRejects) {
        await withdraw()
        throw new InferdError(Errors.BATCH_REJECTS_EXCEEDED, [rejected, maxRejects, `${store.dir}/chunk-*/rejects.jsonl`])
      }
      if (metas.size === n) break
      if (hooks.signal?.aborted === true) {
        await withdraw()
        throw new InferdError(Errors.BATCH_CANCELLED, [sum(metas, (m) => m.rows)])
      }
      if (performance.now() - lastReconcile >= RECONCILE_MS) {
        lastReconcile = performance.now()
        const failure = await reconcile(queue, store, plan.runId, pending(), job)
        if (failure !== undefined) {
          await withdraw()
          throw failure.code === Errors.BATCH_REJECTS_EXCEEDED.code
            ? new InferdError(Errors.BATCH_REJECTS_EXCEEDED, [Math.max(rejected, maxRejects + 1), maxRejects, `${store.dir}/chunk-${failure.index}`])
            : new InferdError(Errors.BATCH_CHUNK_FAILED, [failure.index, failure.reason])
        }
      }
      await sleep(options.pollMs ?? 250)
    }
  } finally {
    await queue.close().catch(() => {})
  }

  const ordered = Array.from({ length: n }, (_, i) => metas.get(i) as ChunkMeta)
  const versions = [...new Set(ordered.map((m) => m.modelVersion))]
  if (versions.length > 1) hooks.onNotice?.(`chunks were scored by different versions of '${options.model}' (${versions.join(', ')}): pin one with --model-version`)
  const counts = await assembleChunks(store, plan.slices, ordered, { output, outputFormat, rejects: rejectsPath })
  await store.destroy()
  const seconds = (performance.now() - started) / 1000
  return {
    rows: counts.rows,
    written: counts.written,
    rejected: counts.rejected,
    seconds,
    rowsPerSecond: seconds > 0 ? (counts.rows - resumedFrom) / seconds : 0,
    modelName: options.model,
    modelVersion: versions.join(',') || (options.version ?? ''),
    resumedFrom,
    output,
    rejects: counts.rejected > 0 ? rejectsPath : undefined,
    inputMtime: new Date(plan.input.mtimeMs).toISOString(),
  }
}

/** The saved plan when it is this run's (a resume), else a new plan in an emptied work folder. */
async function loadOrPlan (store: ChunkStore, identity: RunIdentity, hooks: DistributedHooks): Promise<RunPlan> {
  const { runId } = await runFingerprint(identity).catch((err: NodeJS.ErrnoException) => {
    throw new InferdError(Errors.BATCH_FILE_INVALID, ['input', identity.input, err.code === 'ENOENT' ? 'no such file' : err.message])
  })
  const saved = await readPlan(store.dir)
  if (saved?.runId === runId) return saved
  if (saved !== undefined) hooks.onNotice?.(`the input or the options changed since ${store.dir} was planned: starting over`)
  await store.destroy()
  await store.create()
  const plan = await planRun(identity, countParquetRows)
  await writePlan(store.dir, plan)
  return plan
}

async function countParquetRows (path: string): Promise<number> {
  const reader = await parquet.ParquetReader.openFile(path).catch((err: Error) => {
    throw new InferdError(Errors.BATCH_FILE_INVALID, ['input', path, `not a readable Parquet file: ${err.message}`])
  })
  try { return Number(reader.getRowCount()) } finally { await reader.close() }
}

async function connected (queue: Queue, url: string, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new InferdError(Errors.BATCH_QUEUE_UNAVAILABLE, [redactedUrl(url), `no answer within ${timeoutMs} ms`])), timeoutMs)
  })
  try {
    await Promise.race([queue.waitUntilReady(), timeout])
  } finally {
    clearTimeout(timer)
  }
}

const JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'fixed', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: { age: 7 * 24 * 3600 },
}

/** Puts the chunks on the queue; a job of the same id still waiting or held is left as it is, a finished one is replaced. */
async function enqueue (queue: Queue, runId: string, indexes: readonly number[], job: (i: number) => ChunkJob): Promise<void> {
  const add: number[] = []
  for (const i of indexes) {
    const id = chunkJobId(runId, i)
    const state = await queue.getJobState(id)
    if (state === 'completed' || state === 'failed') await queue.remove(id)
    else if (state !== 'unknown') continue
    add.push(i)
  }
  for (let at = 0; at < add.length; at += 500) {
    await queue.addBulk(add.slice(at, at + 500).map((i) => ({ name: CHUNK_JOB_NAME, data: job(i), opts: { ...JOB_OPTIONS, jobId: chunkJobId(runId, i) } })))
  }
}

/**
 * Asks Redis about the chunks not committed yet: a failed one is the run's failure; one Redis no
 * longer knows (removed by hand, or completed as obsolete) is queued again.
 */
async function reconcile (queue: Queue, store: ChunkStore, runId: string, indexes: readonly number[], job: (i: number) => ChunkJob): Promise<{ index: number; reason: string; code: string | undefined } | undefined> {
  const lost: number[] = []
  for (const i of indexes) {
    const id = chunkJobId(runId, i)
    const state = await queue.getJobState(id)
    if (state === 'failed') {
      const failed = await queue.getJob(id)
      return { index: i, ...failureOf(failed?.failedReason ?? 'unknown reason') }
    }
    // Checked after the state: a worker commits before it completes its job.
    if (state === 'unknown' && await store.committed(i) === undefined) lost.push(i)
  }
  if (lost.length > 0) await enqueue(queue, runId, lost, job)
  return undefined
}

async function collectCommitted (store: ChunkStore, metas: Map<number, ChunkMeta>): Promise<void> {
  for (const i of await store.committedIndexes()) {
    if (metas.has(i)) continue
    const meta = await store.committed(i)
    if (meta !== undefined) metas.set(i, meta)
  }
}

function sum (metas: Map<number, ChunkMeta>, f: (m: ChunkMeta) => number): number {
  let total = 0
  for (const m of metas.values()) total += f(m)
  return total
}

function progressOf (plan: RunPlan, metas: Map<number, ChunkMeta>, resumedFrom: number, started: number): BatchProgress {
  // Committed chunks' share of the input: bytes for CSV and JSONL, rows for Parquet.
  let done = 0
  let total = 0
  for (let i = 0; i < plan.slices.length; i++) {
    const s = plan.slices[i] as RunPlan['slices'][number]
    const size = s.kind === 'bytes' ? s.end - s.start : s.count
    total += size
    if (metas.has(i)) done += size
  }
  const rowsDone = sum(metas, (m) => m.rows)
  const elapsedSeconds = (performance.now() - started) / 1000
  const rowsPerSecond = elapsedSeconds > 0 ? (rowsDone - resumedFrom) / elapsedSeconds : 0
  const fraction = total > 0 ? done / total : 1
  const byRows = plan.format === 'parquet'
  // Rows still to do: known for Parquet, else extrapolated from the rows per byte seen so far.
  const remaining = byRows ? total - rowsDone : (done > 0 ? rowsDone / done * (total - done) : undefined)
  return {
    rowsDone,
    written: sum(metas, (m) => m.written),
    rejected: sum(metas, (m) => m.rejected),
    resumedFrom,
    bytesRead: byRows ? Math.round(plan.input.size * fraction) : done,
    totalBytes: byRows ? plan.input.size : total,
    ...(byRows ? { totalRows: total } : {}),
    fraction,
    elapsedSeconds,
    rowsPerSecond,
    ...(remaining !== undefined && rowsPerSecond > 0 ? { etaSeconds: remaining / rowsPerSecond } : {}),
    modelVersion: metas.values().next().value?.modelVersion ?? '',
  }
}
