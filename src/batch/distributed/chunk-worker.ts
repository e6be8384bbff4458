import { hostname } from 'node:os'
import { type Job, UnrecoverableError, Worker } from 'bullmq'
import type { BatchDeps } from '../runner.js'
import { CHUNK_JOB_NAME, DEFAULT_QUEUE_NAME, parseChunkJob } from './chunk-job.js'
import { chunkFailure } from './chunk-failure.js'
import { type ChunkOutcome, processChunk } from './process-chunk.js'
import { queueConnection } from './queue-connection.js'

export interface ChunkWorkerOptions {
  /** `redis://host:port` */
  readonly queue: string
  /** Default 'inferd-batch' (the coordinator's default). */
  readonly queueName?: string
  /** Chunks processed at once by this process. Default 1 (each chunk already keeps several micro-batches in flight). */
  readonly concurrency?: number
  /**
   * How long a chunk stays this worker's without a lock renewal, ms (BullMQ lockDuration; renewed
   * at half of it while the process lives). A killed worker's chunk goes to another worker about
   * this long after the kill. Default 30 000.
   */
  readonly lockDurationMs?: number
  /** How often this worker looks for chunks whose worker died, ms (BullMQ stalledInterval). Default 30 000. */
  readonly stalledIntervalMs?: number
  /** How many times a chunk may lose its worker before it fails. Default 5. */
  readonly maxStalledCount?: number
  /** This worker's name in Redis. Default `<host>:<pid>`. */
  readonly name?: string
  /** Prepares the model a chunk names (load it if needed); called before each chunk. */
  readonly ensureModel?: (name: string, version: string | undefined) => Promise<void>
}

export interface ChunkWorkerHooks {
  onChunk? (event: { readonly jobId: string; readonly index: number; readonly outcome: ChunkOutcome; readonly seconds: number }): void
  onFailed? (event: { readonly jobId: string; readonly index: number | undefined; readonly error: Error; readonly final: boolean }): void
  /** A chunk whose worker died (its lock expired) was found by this worker and put back on the queue. */
  onStalled? (jobId: string): void
  onError? (error: Error): void
}

export interface ChunkWorker {
  /** Stops taking chunks and waits for the ones in hand to be committed. */
  close (): Promise<void>
  /** Stops at once: chunks in hand are dropped uncommitted and go to another worker once their locks expire. */
  kill (): Promise<void>
}

/**
 * Takes chunk jobs off the queue and processes them against this process's engine
 * (process-chunk.ts). BullMQ holds a lock on each job while the worker is alive; a worker that
 * dies (SIGKILL, a lost machine) stops renewing it, and another worker's stalled-job check puts
 * the chunk back on the queue. Whatever happens, a chunk is committed at most once, so the
 * output holds each row once.
 */
export function startChunkWorker (deps: BatchDeps, options: ChunkWorkerOptions, hooks: ChunkWorkerHooks = {}): ChunkWorker {
  const processor = async (job: Job): Promise<ChunkOutcome> => {
    if (job.name !== CHUNK_JOB_NAME) throw new UnrecoverableError(`not an inferd chunk job: '${job.name}'`)
    let data
    try {
      data = parseChunkJob(job.data)
    } catch (err) {
      throw new UnrecoverableError((err as Error).message)
    }
    const started = performance.now()
    try {
      await options.ensureModel?.(data.model, data.version)
      const outcome = await processChunk(data, deps)
      hooks.onChunk?.({ jobId: String(job.id), index: data.index, outcome, seconds: (performance.now() - started) / 1000 })
      return outcome
    } catch (err) {
      throw chunkFailure(err)
    }
  }
  const worker = new Worker(options.queueName ?? DEFAULT_QUEUE_NAME, processor, {
    // Recorded on each job it takes (processedBy), to see in Redis which worker holds a chunk.
    name: options.name ?? `${hostname()}:${process.pid}`,
    connection: queueConnection(options.queue),
    concurrency: options.concurrency ?? 1,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 5,
    // Finished jobs are the coordinator's to remove or keep (its job options say which).
  })
  worker.on('failed', (job, error) => {
    if (job === undefined) return
    const index = typeof (job.data as { index?: unknown } | undefined)?.index === 'number' ? (job.data as { index: number }).index : undefined
    const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1)
    hooks.onFailed?.({ jobId: String(job.id), index, error, final })
  })
  worker.on('stalled', (jobId) => hooks.onStalled?.(jobId))
  worker.on('error', (error) => hooks.onError?.(error))
  return {
    close: () => worker.close(),
    kill: () => worker.close(true),
  }
}
