import { randomUUID } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { Cancellation } from '../../core/cancellation.js'
import { Errors, InferdError } from '../../errors/index.js'
import type { Logger } from '../../observability/logger.js'
import type { ModelRepository } from '../../repository/repository.js'
import { BATCH_FORMATS } from '../formats/index.js'
import type { RunJob } from './job-runner.js'
import type { JobStore, ListOptions } from './job-store.js'
import { isActive, type JobPatch, jobProgress, type JobProgress, type JobRecord, type JobSpec } from './job.js'
import type { PathAllowList } from './path-allow-list.js'

/** A job as asked for: paths as the client wrote them, checked and resolved by `submit`. */
export type JobRequest = JobSpec

export interface JobManagerOptions {
  readonly store: JobStore
  readonly allow: PathAllowList
  readonly repository: Pick<ModelRepository, 'check' | 'get'>
  readonly run: RunJob
  readonly logger: Logger
  /** Jobs running at once (default 1): each already keeps the model's scheduler fed. */
  readonly concurrency?: number
  /** Least ms between two progress writes of a running job to the store (default 1000). */
  readonly persistEveryMs?: number
  /** Real paths no job may write (the store's own files). */
  readonly reserved?: readonly string[]
}

interface Running {
  readonly cancel: Cancellation
  /** Why the job was told to stop: by its client (cancelled) or by the server closing (resumed later). */
  reason?: 'cancel' | 'shutdown'
  done?: Promise<void>
  progress?: JobProgress
  persistedAt: number
}

/**
 * The server's batch jobs: accepts them (paths inside the allow-list), keeps their state in the
 * store, runs them one after another (or a few at a time), cancels them, and on start takes up
 * the jobs a previous server left queued or running.
 *
 * Stopping: `close()` interrupts running jobs at a micro-batch boundary and leaves them `running`
 * in the store, exactly as a killed server would, so the next server resumes them from the
 * runner's checkpoint. A client's cancel (`cancel`) stops a job the same way but marks it
 * `cancelled`; its checkpoint is kept, so submitting the same job again resumes it.
 *
 * Progress is kept in memory after every micro-batch (what GET shows) and written to the store
 * at most every `persistEveryMs`: the checkpoint, not the store, is what resuming relies on.
 */
export class JobManager {
  readonly #o: JobManagerOptions
  readonly #concurrency: number
  readonly #persistEveryMs: number
  readonly #queue: string[] = []
  readonly #running = new Map<string, Running>()
  #started = false
  #closing = false

  constructor (options: JobManagerOptions) {
    this.#o = options
    this.#concurrency = Math.max(1, options.concurrency ?? 1)
    this.#persistEveryMs = options.persistEveryMs ?? 1000
  }

  /**
   * Checks and records a job; it runs once the jobs before it have.
   * @throws InferdError MODEL_NOT_FOUND (…), JOB_PATH_INVALID, JOB_PATH_FORBIDDEN, JOB_OUTPUT_BUSY, PARAMETER_INVALID
   */
  async submit (req: JobRequest): Promise<JobRecord> {
    if (this.#closing) throw new InferdError(Errors.SHUTTING_DOWN)
    this.#o.repository.check(req.model, req.version)
    if (req.format !== undefined && !(BATCH_FORMATS as readonly string[]).includes(req.format)) {
      throw new InferdError(Errors.PARAMETER_INVALID, ['format', `expected one of ${BATCH_FORMATS.join(', ')}, got '${req.format}'`])
    }
    const input = await this.#o.allow.readable('input', req.input)
    const output = await this.#o.allow.writable('output', req.output)
    const rejects = req.rejects === undefined ? undefined : await this.#o.allow.writable('rejects', req.rejects)
    const writes = rejects === undefined ? [output] : [output, rejects]
    for (const [what, path] of [['output', output], ['rejects', rejects]] as const) {
      if (path === input) throw new InferdError(Errors.JOB_PATH_INVALID, [what, path, 'the same file as the input'])
      if (path !== undefined && (this.#o.reserved ?? []).includes(path)) throw new InferdError(Errors.JOB_PATH_INVALID, [what, path, "the server's job store"])
    }
    if (rejects === output) throw new InferdError(Errors.JOB_PATH_INVALID, ['rejects', rejects, 'the same file as the output'])
    if (this.#closing) throw new InferdError(Errors.SHUTTING_DOWN) // the checks awaited
    // Two jobs writing one file would interleave; a job reading another's output would read half of it.
    for (const other of this.#o.store.active()) {
      const theirs = [other.output, ...(other.rejects === undefined ? [] : [other.rejects])]
      const clash = writes.find((p) => theirs.includes(p)) ?? (theirs.includes(input) ? input : undefined)
      if (clash !== undefined) throw new InferdError(Errors.JOB_OUTPUT_BUSY, [clash, other.id, other.state])
    }
    const now = Date.now()
    const job: JobRecord = {
      id: randomUUID(),
      state: 'queued',
      model: req.model,
      ...(req.version === undefined ? {} : { version: req.version }),
      input,
      output,
      ...(rejects === undefined ? {} : { rejects }),
      ...(req.format === undefined ? {} : { format: req.format }),
      ...(req.batchSize === undefined ? {} : { batchSize: req.batchSize }),
      ...(req.maxRejects === undefined ? {} : { maxRejects: req.maxRejects }),
      ...(req.keep === undefined ? {} : { keep: req.keep }),
      ...(req.schedule === undefined ? {} : { schedule: req.schedule }),
      createdAt: now,
      updatedAt: now,
      rowsDone: 0, written: 0, rejected: 0, bytesRead: 0, totalBytes: 0, rowsPerSecond: 0,
      starts: 0,
    }
    this.#o.store.insert(job)
    this.#o.logger.info({ job: job.id, model: job.model, input, output }, `job ${job.id} queued`)
    this.#queue.push(job.id)
    this.#pump()
    return job
  }

  /**
   * A job as it stands now (a running one with its latest progress).
   * @throws InferdError JOB_NOT_FOUND
   */
  get (id: string): JobRecord {
    const job = this.#o.store.get(id)
    if (job === undefined) throw new InferdError(Errors.JOB_NOT_FOUND, [id])
    return this.#live(job)
  }

  /** Newest first. */
  list (options: ListOptions): JobRecord[] {
    return this.#o.store.list(options).map((j) => this.#live(j))
  }

  /**
   * Cancels a queued job at once, or a running one at its next micro-batch boundary (resolving
   * once it stopped; its checkpoint is kept).
   * @throws InferdError JOB_NOT_FOUND, JOB_FINISHED
   */
  async cancel (id: string): Promise<JobRecord> {
    const job = this.get(id)
    const running = this.#running.get(id)
    if (running !== undefined) {
      running.reason ??= 'cancel'
      running.cancel.cancel()
      await running.done
      return this.get(id)
    }
    if (!isActive(job.state)) throw new InferdError(Errors.JOB_FINISHED, [id, job.state])
    const i = this.#queue.indexOf(id)
    if (i >= 0) this.#queue.splice(i, 1)
    const now = Date.now()
    this.#o.logger.info({ job: id }, `job ${id} cancelled before it ran`)
    return this.#o.store.update(id, { state: 'cancelled', finishedAt: now, updatedAt: now })
  }

  /** Takes up the jobs left queued or running (oldest first), then runs what is submitted. */
  start (): void {
    if (this.#started || this.#closing) return
    this.#started = true
    // The store has them all, oldest first: those a previous server left, and those submitted
    // since this one opened (the queue so far).
    const active = this.#o.store.active()
    this.#queue.splice(0, this.#queue.length, ...active.map((j) => j.id))
    for (const job of active) {
      if (job.state === 'running') this.#o.logger.info({ job: job.id }, `job ${job.id} was running when the server stopped: resuming it`)
    }
    this.#pump()
  }

  /** Jobs running now. */
  get running (): number { return this.#running.size }

  /** Stops intake, interrupts running jobs at a micro-batch boundary (left to resume), and waits for them. */
  async close (): Promise<void> {
    this.#closing = true
    this.#queue.length = 0
    for (const r of this.#running.values()) {
      r.reason ??= 'shutdown'
      r.cancel.cancel()
    }
    await Promise.all([...this.#running.values()].map((r) => r.done))
  }

  #pump (): void {
    while (this.#started && !this.#closing && this.#running.size < this.#concurrency && this.#queue.length > 0) {
      const id = this.#queue.shift() as string
      const r: Running = { cancel: new Cancellation(), persistedAt: 0 }
      this.#running.set(id, r)
      r.done = this.#execute(id, r).catch((err: unknown) => {
        // Only the store can fail here (the run's own errors are the job's): the job keeps its
        // last recorded state, and a restart takes it up again.
        this.#o.logger.error({ err, job: id }, `job ${id}: could not record its state`)
      }).finally(() => {
        this.#running.delete(id)
        this.#pump()
      })
    }
  }

  async #execute (id: string, r: Running): Promise<void> {
    const store = this.#o.store
    const job = store.get(id)
    if (job === undefined || !isActive(job.state)) return
    const input = await stat(job.input).catch(() => undefined)
    let served: string | undefined
    try { served = this.#o.repository.get(job.model, job.version).version } catch { served = undefined }
    const now = Date.now()
    store.update(id, {
      state: 'running',
      startedAt: job.startedAt ?? now,
      updatedAt: now,
      starts: job.starts + 1,
      ...(input === undefined ? {} : { inputMtime: Math.round(input.mtimeMs), inputSize: input.size }),
      ...(served === undefined ? {} : { modelVersion: served }),
    })
    this.#o.logger.info({ job: id, model: job.model, start: job.starts + 1 }, `job ${id} started`)
    try {
      const outcome = await this.#o.run(job, { signal: r.cancel, onProgress: (p) => { this.#progress(id, r, p) } })
      const total = r.progress?.totalBytes ?? input?.size ?? 0
      r.progress = { ...outcome, bytesRead: total, totalBytes: total }
      this.#stopped(id, r, () => ({ state: 'succeeded' }))
    } catch (err) {
      this.#stopped(id, r, () => ({ state: 'failed', error: jobError(err) }))
    }
  }

  /**
   * Records how a run ended. A run that completed succeeded, even if a stop was asked too late
   * to matter. A run that stopped early was cancelled (by its client) or interrupted (by the
   * server closing: left `running`, to resume on the next start); otherwise it failed.
   */
  #stopped (id: string, r: Running, ended: () => JobPatch): void {
    const now = Date.now()
    const progress = r.progress === undefined ? {} : jobProgress(r.progress)
    const outcome = ended()
    if (outcome.state !== 'succeeded' && r.reason === 'shutdown') {
      this.#o.store.update(id, { ...progress, updatedAt: now })
      this.#o.logger.info({ job: id }, `job ${id} interrupted by shutdown: it resumes when the server starts again`)
      return
    }
    const patch: JobPatch = outcome.state !== 'succeeded' && r.reason === 'cancel' ? { state: 'cancelled' } : outcome
    const job = this.#o.store.update(id, { ...progress, ...patch, finishedAt: now, updatedAt: now })
    const log = job.state === 'failed' ? this.#o.logger.warn.bind(this.#o.logger) : this.#o.logger.info.bind(this.#o.logger)
    log({ job: id, state: job.state, rows: job.rowsDone, rejected: job.rejected, ...(job.error === undefined ? {} : { error: job.error }) }, `job ${id} ${job.state}`)
  }

  #progress (id: string, r: Running, p: JobProgress): void {
    r.progress = p
    const now = Date.now()
    if (now - r.persistedAt < this.#persistEveryMs) return
    r.persistedAt = now
    this.#o.store.update(id, { ...jobProgress(p), updatedAt: now })
  }

  #live (job: JobRecord): JobRecord {
    const p = this.#running.get(job.id)?.progress
    return p === undefined || job.state !== 'running' ? job : { ...job, ...jobProgress(p) }
  }
}

function jobError (err: unknown): { code: string; message: string } {
  if (err instanceof InferdError) return { code: err.code, message: err.message }
  if (err instanceof Error) return { code: (err as NodeJS.ErrnoException).code ?? err.name, message: err.message }
  return { code: 'Error', message: String(err) }
}
