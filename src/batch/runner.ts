/**
 * runBatch: a data file through a model, into an output file, exactly once per row.
 *
 * Interface as built, against design-6.md ("runner.ts"), for the jobs and distributed helpers:
 * - `runBatch(options, deps, hooks) → Promise<BatchSummary>` as designed.
 * - Added options: `outputFormat` (the design's `format` is the input's), `inFlight` (micro-batches
 *   in flight), `range` ({ start, end? }: score input rows [start, end) only; output `row`
 *   numbers stay the file's: a distributed chunk), `checkpointIntervalMs`, `loadWaitMs`.
 * - Added hooks: `onNotice(message)` (e.g. "input changed since the checkpoint: starting over").
 * - BatchSummary adds `output`, `rejects` (the path, or undefined when no row was rejected: no
 *   file is left then) and `inputMtime` (ISO 8601).
 * - The checkpoint is written after a committed micro-batch at most every `checkpointIntervalMs`
 *   (200 ms) rather than after every one, and always when the run stops: a kill then redoes at
 *   most that much work, and a 1M-row run writes ~100 checkpoints instead of ~4000.
 * - RowReader (formats/row.ts) adds `read(max)`: rows in arrays, one await per batch.
 * - Failures are InferdErrors: BATCH_REJECTS_EXCEEDED (the error budget), BATCH_CANCELLED (the
 *   signal), BATCH_CHECKPOINT_MISMATCH, BATCH_FILE_INVALID, BATCH_OUTPUT_FAILED, or the
 *   engine's own (MODEL_NOT_READY, BACKEND_FAILED …). In every case the checkpoint is kept and
 *   the same call resumes.
 */
import { rm } from 'node:fs/promises'
import type { CancelSignal } from '../core/cancellation.js'
import { Errors, InferdError } from '../errors/index.js'
import type { InferenceEngine } from '../pipeline/inference-engine.js'
import type { ModelRepository, ModelVersion } from '../repository/repository.js'
import { type Checkpoint, removeCheckpoint, writeCheckpoint } from './checkpoint.js'
import { type BatchFormat, openRowReader, openRowWriter, type RowReader, type RowWriter } from './formats/index.js'
import { prepareRun } from './prepare-run.js'
import { type ScoreContext, type ScoredBatch, scoreBatch } from './score-batch.js'

export interface BatchOptions {
  readonly model: string
  /** Default: the model's latest ready version (a resume keeps the version it started with). */
  readonly version?: string
  readonly input: string
  readonly output: string
  /** JSON Lines of { row, error, code, data }. Default `<output>.rejects.jsonl`. */
  readonly rejects?: string
  /** The input's format; default from its extension. */
  readonly format?: BatchFormat | string
  /** The output's format; default from its extension. */
  readonly outputFormat?: BatchFormat | string
  /** Rows per predict call. Default: the model's max_batch_size, at most 256 (32 when it has none). */
  readonly batchSize?: number
  /** Rejected rows allowed before the run stops. Default 1000. */
  readonly maxRejects?: number
  /** Input columns copied into the output, after `row`. */
  readonly keep?: readonly string[]
  /** Default `<output>.checkpoint.json`. */
  readonly checkpoint?: string
  /** Micro-batches being scored at once, so the model's scheduler always has the next one. Default 4. */
  readonly inFlight?: number
  /** Input rows [start, end) only (a distributed chunk). Default: the whole file. */
  readonly range?: { readonly start: number; readonly end?: number }
  /** Least time between two checkpoint writes, ms (each commit writes one at most this often). Default 200. */
  readonly checkpointIntervalMs?: number
  /** How long to wait for the model to become ready, ms. Default 60 000. */
  readonly loadWaitMs?: number
}

export interface BatchDeps {
  readonly engine: InferenceEngine
  readonly repository: ModelRepository
}

export interface BatchProgress {
  /** Rows of the run committed (written or rejected), resumed ones included. */
  readonly rowsDone: number
  readonly written: number
  readonly rejected: number
  /** Rows that were already done when this run started (0 for a fresh run). */
  readonly resumedFrom: number
  readonly bytesRead: number
  readonly totalBytes: number
  /** Known for Parquet input. */
  readonly totalRows?: number
  /** 0…1: rows done over the rows in the run (for CSV and JSON Lines estimated from bytes per row). */
  readonly fraction: number
  readonly elapsedSeconds: number
  /** Rows committed per second by this run. */
  readonly rowsPerSecond: number
  /** Undefined until there is enough to estimate from. */
  readonly etaSeconds?: number
  readonly modelVersion: string
}

export interface BatchHooks {
  /** Called after each committed micro-batch (throttle on your side if it costs). */
  onProgress? (progress: BatchProgress): void
  /** Things the caller should tell the user (a checkpoint discarded because the input changed). */
  onNotice? (message: string): void
  /** Aborting stops the run (BATCH_CANCELLED) with the checkpoint kept. */
  readonly signal?: CancelSignal
  /** Scheduler priority of this run's requests (1 is highest): a job below online traffic. */
  readonly priority?: number
}

export interface BatchSummary {
  /** Input rows covered by the output, this and earlier runs of the same checkpoint. */
  readonly rows: number
  readonly written: number
  readonly rejected: number
  /** This run's wall time. */
  readonly seconds: number
  /** This run's rows per second (rows resumed from a checkpoint not counted). */
  readonly rowsPerSecond: number
  readonly modelName: string
  readonly modelVersion: string
  readonly resumedFrom: number
  readonly output: string
  /** The rejects file, or undefined when no row was rejected (no file is left then). */
  readonly rejects: string | undefined
  /** The input's modification time when it was read (ISO 8601): how fresh the scores are. */
  readonly inputMtime: string
}

const DEFAULT_MAX_REJECTS = 1000
const DEFAULT_IN_FLIGHT = 4
const BATCH_CAP = 256

/**
 * Streams `options.input` through the model in micro-batches (through `engine.predict`, so
 * pre- and post-processing are the model's own) and writes one output row per good input row,
 * in input order, and one rejects line per bad one.
 *
 *   reader ─► micro-batch ─► scoreBatch (a few in flight) ─► commit in order:
 *     output rows, rejects, then the checkpoint that counts them
 *
 * Memory holds `inFlight` micro-batches plus the streams' buffers, whatever the file's size.
 */
export async function runBatch (options: BatchOptions, deps: BatchDeps, hooks: BatchHooks = {}): Promise<BatchSummary> {
  const started = performance.now()
  const job = await prepareRun(options, deps, hooks)
  const { checkpointPath: cpPath, mapping, model } = job
  let cp = job.checkpoint
  const resumedFrom = cp.rowsDone
  const maxRejects = options.maxRejects ?? DEFAULT_MAX_REJECTS
  const inFlight = Math.max(1, options.inFlight ?? DEFAULT_IN_FLIGHT)
  const batchSize = options.batchSize ?? defaultBatchSize(model)
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InferdError(Errors.PARAMETER_INVALID, ['batchSize', `must be a positive integer, got ${batchSize}`])
  const interval = options.checkpointIntervalMs ?? 200
  const rangeEnd = options.range?.end ?? Infinity
  const first = cp.range.start

  let reader: RowReader | undefined
  let output: RowWriter | undefined
  let rejects: RowWriter | undefined
  const window: Array<Promise<ScoredBatch>> = []
  const cancelled = (): boolean => hooks.signal?.aborted === true
  try {
    reader = await openRowReader(options.input, options.format === undefined ? {} : { format: options.format })
    const skip = first + cp.rowsDone
    if (await reader.skip(skip) < skip && cp.rowsDone > 0) {
      throw new InferdError(Errors.BATCH_CHECKPOINT_MISMATCH, [cpPath, `the input has fewer than the ${skip} rows it records`])
    }
    const fresh = cp.rowsDone === 0 && cp.outputBytes === 0
    output = await openRowWriter(options.output, { format: cp.outputFormat, columns: mapping.columns, ...(fresh ? {} : { resumeAt: cp.outputBytes }) })
    rejects = await openRowWriter(job.rejectsPath, { format: 'jsonl', ...(fresh ? {} : { resumeAt: cp.rejectsBytes }) })
    cp = { ...cp, outputBytes: output.bytes, rejectsBytes: rejects.bytes, updatedAt: new Date().toISOString() }
    await writeCheckpoint(cpPath, cp) // the header and the pinned version are on record before any row

    const ctx: ScoreContext = {
      engine: deps.engine,
      mapping,
      modelName: model.name,
      modelVersion: model.version,
      ...(hooks.priority === undefined ? {} : { parameters: { priority: hooks.priority } }),
      ...(hooks.signal === undefined ? {} : { signal: hooks.signal }),
    }
    let lastSaved = performance.now()
    const commit = async (batch: ScoredBatch): Promise<void> => {
      const rejected = cp.rejects + batch.rejects.length
      if (rejected > maxRejects) {
        throw new InferdError(Errors.BATCH_REJECTS_EXCEEDED, [rejected, maxRejects, job.rejectsPath])
      }
      await (output as RowWriter).write(batch.output)
      if (batch.rejects.length > 0) await (rejects as RowWriter).write(batch.rejects as never[])
      cp = {
        ...cp,
        rowsDone: cp.rowsDone + batch.rows,
        written: cp.written + batch.output.length,
        rejects: rejected,
        outputBytes: (output as RowWriter).bytes,
        rejectsBytes: (rejects as RowWriter).bytes,
      }
      const now = performance.now()
      if (now - lastSaved >= interval) {
        lastSaved = now
        cp = { ...cp, updatedAt: new Date().toISOString() }
        await writeCheckpoint(cpPath, cp)
      }
      hooks.onProgress?.(progressOf(cp, resumedFrom, next - first, (reader as RowReader).progress(), started, model.version))
    }

    let next = first + cp.rowsDone
    for (;;) {
      if (cancelled()) throw new InferdError(Errors.BATCH_CANCELLED, [cp.rowsDone])
      const want = Math.min(batchSize, rangeEnd - next)
      const rows = want > 0 ? await reader.read(want) : []
      if (rows.length === 0) break
      const scoring = scoreBatch(ctx, next, rows)
      scoring.catch(() => {}) // awaited in order below; this only keeps an early failure from going unhandled
      window.push(scoring)
      next += rows.length
      if (window.length >= inFlight) await commit(await (window.shift() as Promise<ScoredBatch>))
    }
    while (window.length > 0) await commit(await (window.shift() as Promise<ScoredBatch>))
    if (cancelled()) throw new InferdError(Errors.BATCH_CANCELLED, [cp.rowsDone])

    await writeCheckpoint(cpPath, { ...cp, updatedAt: new Date().toISOString() })
    await reader.close()
    await rejects.close()
    if (output.format === 'parquet') hooks.onNotice?.(`all rows scored; writing ${options.output} from ${output.dataPath}`)
    await output.close() // Parquet: converted and renamed into place here
    await removeCheckpoint(cpPath)
    if (output.dataPath !== options.output) await rm(output.dataPath, { force: true }) // Parquet's part file, after the checkpoint
    if (cp.rejects === 0) await rm(job.rejectsPath, { force: true })
  } catch (err) {
    await Promise.allSettled(window)
    if (cp.rowsDone > 0 || cp.outputBytes > 0) await writeCheckpoint(cpPath, { ...cp, updatedAt: new Date().toISOString() }).catch(() => {})
    await reader?.close().catch(() => {})
    await output?.abort().catch(() => {})
    await rejects?.abort().catch(() => {})
    // Requests cut short by the signal fail with REQUEST_CANCELLED; the run's answer is BATCH_CANCELLED.
    if (cancelled() && !(err instanceof InferdError && err.code === Errors.BATCH_REJECTS_EXCEEDED.code)) throw new InferdError(Errors.BATCH_CANCELLED, [cp.rowsDone])
    throw err
  }
  const seconds = (performance.now() - started) / 1000
  const done = cp.rowsDone - resumedFrom
  return {
    rows: cp.rowsDone,
    written: cp.written,
    rejected: cp.rejects,
    seconds,
    rowsPerSecond: seconds > 0 ? done / seconds : 0,
    modelName: model.name,
    modelVersion: model.version,
    resumedFrom,
    output: options.output,
    rejects: cp.rejects > 0 ? job.rejectsPath : undefined,
    inputMtime: new Date(cp.inputMtime).toISOString(),
  }
}

function defaultBatchSize (model: ModelVersion): number {
  const max = model.signature.maxBatchSize
  return max > 0 ? Math.min(max, BATCH_CAP) : 32
}

function progressOf (
  cp: Checkpoint,
  resumedFrom: number,
  rowsRead: number,
  read: { bytesRead: number; totalBytes: number; totalRows?: number },
  started: number,
  modelVersion: string,
): BatchProgress {
  const elapsedSeconds = (performance.now() - started) / 1000
  const rowsPerSecond = elapsedSeconds > 0 ? (cp.rowsDone - resumedFrom) / elapsedSeconds : 0
  // Rows in the run: known for Parquet; else estimated from the bytes per row read so far
  // (streams read ahead of the rows handed out, so this errs low early and closes in).
  const known = read.totalRows === undefined ? undefined : Math.min(read.totalRows, cp.range.end ?? Infinity) - cp.range.start
  const estimated = known ?? (read.bytesRead > 0 && rowsRead > 0 ? Math.max(rowsRead, Math.round(rowsRead * read.totalBytes / read.bytesRead)) : undefined)
  const total = estimated === undefined ? undefined : Math.min(estimated, (cp.range.end ?? Infinity) - cp.range.start)
  const fraction = total === undefined ? 0 : total > 0 ? Math.min(1, cp.rowsDone / total) : 1
  const etaSeconds = total !== undefined && rowsPerSecond > 0 ? Math.max(0, total - cp.rowsDone) / rowsPerSecond : undefined
  return {
    rowsDone: cp.rowsDone,
    written: cp.written,
    rejected: cp.rejects,
    resumedFrom,
    bytesRead: read.bytesRead,
    totalBytes: read.totalBytes,
    ...(known === undefined ? {} : { totalRows: known }),
    fraction,
    elapsedSeconds,
    rowsPerSecond,
    ...(etaSeconds === undefined ? {} : { etaSeconds }),
    modelVersion,
  }
}
