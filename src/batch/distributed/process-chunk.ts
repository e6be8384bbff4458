import { createReadStream, createWriteStream } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { CancelSignal } from '../../core/cancellation.js'
import { Errors, InferdError } from '../../errors/index.js'
import { defaultPipeline } from '../../pipeline/build-pipeline.js'
import { createRowMapping } from '../row-mapping.js'
import { type BatchDeps, runBatch } from '../runner.js'
import type { ChunkJob } from './chunk-job.js'
import { ChunkStore } from './chunk-store.js'
import { readPlan } from './run-plan.js'

/** What became of a chunk job on this worker. */
export type ChunkOutcome =
  /** Scored here and committed by this attempt. */
  | { readonly kind: 'committed'; readonly rows: number; readonly rejected: number }
  /** Already committed (by an earlier attempt, here or elsewhere): nothing written. */
  | { readonly kind: 'already' }
  /** The job belongs to a run that no longer exists (finished, cancelled, restarted with other options). */
  | { readonly kind: 'obsolete' }

/**
 * One chunk, on a worker: its rows through `runBatch` (the single-process runner: same
 * mapping, micro-batches, bad-row isolation and error budget), into a private attempt folder,
 * then committed with one rename (chunk-store.ts).
 *
 * A byte-range chunk (CSV, JSONL) is first copied out of the input into the attempt folder (with
 * the CSV header in front) and scored as a file of its own, so the worker reads only its share
 * of the input; its `row` numbers are then chunk-local, and the coordinator adds the rows of the
 * chunks before it when it assembles the output. A Parquet chunk is read through the runner's
 * row range, which keeps the file's row numbers.
 *
 * Output columns are recorded with the chunk so that the assembled file has exactly the header a
 * single-process run writes.
 */
export async function processChunk (job: ChunkJob, deps: BatchDeps, signal?: CancelSignal): Promise<ChunkOutcome> {
  const store = new ChunkStore(job.workDir)
  const plan = await readPlan(job.workDir)
  if (plan?.runId !== job.runId) return { kind: 'obsolete' }
  if (await store.committed(job.index) !== undefined) return { kind: 'already' }
  const now = await stat(job.input)
  if (now.size !== plan.input.size || now.mtimeMs !== plan.input.mtimeMs) {
    throw new InferdError(Errors.BATCH_FILE_INVALID, ['input', job.input, 'it changed after the run was planned (size or modification time differ): run the command again to start over'])
  }

  const attempt = await store.begin(job.index)
  const started = performance.now()
  try {
    let input = job.input
    let range: { start: number; end: number } | undefined
    if (job.slice.kind === 'bytes') {
      input = join(attempt.dir, `input.${job.format}`)
      await copySlice(job.input, input, job.slice)
    } else {
      range = { start: job.slice.start, end: job.slice.start + job.slice.count }
    }
    const summary = await runBatch({
      model: job.model,
      ...(job.version === undefined ? {} : { version: job.version }),
      input,
      format: job.format,
      output: attempt.rowsPath,
      outputFormat: 'jsonl',
      rejects: attempt.rejectsPath,
      checkpoint: join(attempt.dir, 'checkpoint.json'),
      ...(range === undefined ? {} : { range }),
      ...(job.keep === undefined ? {} : { keep: job.keep }),
      ...(job.batchSize === undefined ? {} : { batchSize: job.batchSize }),
      ...(job.maxRejects === undefined ? {} : { maxRejects: job.maxRejects }),
    }, deps, signal === undefined ? {} : { signal })
    if (input !== job.input) await rm(input, { force: true })
    const model = deps.repository.get(job.model, summary.modelVersion)
    const face = deps.engine.pipelines?.friendly(model) ?? defaultPipeline(model)
    const columns = createRowMapping(face, job.keep === undefined ? {} : { keep: job.keep }).columns
    const result = await attempt.commit({
      index: job.index,
      rows: summary.rows,
      written: summary.written,
      rejected: summary.rejected,
      modelVersion: summary.modelVersion,
      columns,
      worker: `${hostname()}:${process.pid}`,
      seconds: (performance.now() - started) / 1000,
    })
    return result === 'committed' ? { kind: 'committed', rows: summary.rows, rejected: summary.rejected } : { kind: 'already' }
  } catch (err) {
    await attempt.discard()
    throw err
  }
}

/** Copies a byte-range chunk to `to`, the CSV header first, streaming (a chunk may be large). */
async function copySlice (from: string, to: string, slice: { start: number; end: number; header: number }): Promise<void> {
  const out = createWriteStream(to)
  const parts = [
    ...(slice.header > 0 ? [createReadStream(from, { start: 0, end: slice.header - 1 })] : []),
    ...(slice.end > slice.start ? [createReadStream(from, { start: slice.start, end: slice.end - 1 })] : []),
  ]
  await pipeline(async function * () { for (const part of parts) yield * part }, out)
}
