import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Errors, InferdError } from '../errors/index.js'
import { defaultPipeline } from '../pipeline/build-pipeline.js'
import type { ModelVersion } from '../repository/repository.js'
import { type Checkpoint, checkpointPathFor, readCheckpoint, removeCheckpoint } from './checkpoint.js'
import { formatOf } from './formats/index.js'
import { createRowMapping, type RowMapping } from './row-mapping.js'
import type { BatchDeps, BatchHooks, BatchOptions } from './runner.js'

/** What a run starts from: the model version, the mapping, and the checkpoint to go on from. */
export interface PreparedRun {
  readonly model: ModelVersion
  readonly mapping: RowMapping
  /** The checkpoint found (a resume), or a fresh one at row 0 (not yet written). */
  readonly checkpoint: Checkpoint
  readonly checkpointPath: string
  readonly rejectsPath: string
}

const DEFAULT_LOAD_WAIT_MS = 60_000

/**
 * Resolves the model and the mapping, and decides between resume and fresh start:
 * - no checkpoint: fresh;
 * - a checkpoint whose input fingerprint (size, mtime) differs: the input changed, so the
 *   partial output is of another input: fresh, with a notice;
 * - one made with another model, model version, output format, columns or row range: an
 *   error (BATCH_CHECKPOINT_MISMATCH), since resuming would mix two kinds of output;
 * - otherwise: resume, with the model version the checkpoint recorded.
 */
export async function prepareRun (options: BatchOptions, deps: BatchDeps, hooks: BatchHooks): Promise<PreparedRun> {
  const checkpointPath = options.checkpoint ?? checkpointPathFor(options.output)
  const rejectsPath = options.rejects ?? `${options.output}.rejects.jsonl`
  const outputFormat = formatOf(options.output, options.outputFormat, 'output')
  formatOf(options.input, options.format) // an unknown input format fails before the model is touched
  const input = await stat(options.input).catch((err: NodeJS.ErrnoException) => {
    throw new InferdError(Errors.BATCH_FILE_INVALID, ['input', options.input, err.code === 'ENOENT' ? 'no such file' : err.message])
  })
  const paths = new Map<string, string>()
  for (const [role, path] of [['input', options.input], ['output', options.output], ['rejects', rejectsPath], ['checkpoint', checkpointPath]] as const) {
    const other = paths.get(resolve(path))
    if (other !== undefined) throw new InferdError(Errors.BATCH_FILE_INVALID, [role, path, `is also the ${other}: each file needs a path of its own`])
    paths.set(resolve(path), role)
  }
  const range = { start: options.range?.start ?? 0, ...(options.range?.end === undefined ? {} : { end: options.range.end }) }
  if (!Number.isInteger(range.start) || range.start < 0 || (range.end !== undefined && range.end < range.start)) {
    throw new InferdError(Errors.PARAMETER_INVALID, ['range', `[${range.start}, ${range.end ?? ''}) is not a range of rows`])
  }

  let found = await readCheckpoint(checkpointPath)
  if (found !== undefined && (found.inputSize !== input.size || found.inputMtime !== input.mtimeMs || found.input !== resolve(options.input))) {
    hooks.onNotice?.(`the input changed since checkpoint ${checkpointPath} was written: starting over`)
    await removeCheckpoint(checkpointPath)
    found = undefined
  }
  const mismatch = (what: string): never => { throw new InferdError(Errors.BATCH_CHECKPOINT_MISMATCH, [checkpointPath, what]) }
  if (found !== undefined) {
    if (found.model !== options.model) mismatch(`it is for model '${found.model}', not '${options.model}'`)
    if (options.version !== undefined && found.modelVersion !== options.version) mismatch(`it was made with version ${found.modelVersion}, not ${options.version}`)
    if (found.outputFormat !== outputFormat) mismatch(`its output is ${found.outputFormat}, not ${outputFormat}`)
    if (found.range.start !== range.start || found.range.end !== range.end) mismatch('it covers another range of rows')
  }

  const version = found?.modelVersion ?? options.version
  const model = await resolveModel(deps, options.model, version, options.loadWaitMs ?? DEFAULT_LOAD_WAIT_MS).catch((err: unknown) => {
    if (found === undefined) throw err
    return mismatch(`it was made with version ${found.modelVersion} of '${found.model}', which is not available (${(err as Error).message})`)
  })
  const face = deps.engine.pipelines?.friendly(model) ?? defaultPipeline(model)
  const mapping = createRowMapping(face, options.keep === undefined ? {} : { keep: options.keep })
  if (found !== undefined && found.columns.join('\u0000') !== mapping.columns.join('\u0000')) {
    mismatch(`its output columns are ${found.columns.join(',')}, this run's ${mapping.columns.join(',')} (--keep)`)
  }

  const now = new Date().toISOString()
  const checkpoint: Checkpoint = found ?? {
    kind: 'inferd-batch-checkpoint',
    model: model.name,
    modelVersion: model.version,
    input: resolve(options.input),
    inputSize: input.size,
    inputMtime: input.mtimeMs,
    outputFormat,
    columns: mapping.columns,
    range,
    rowsDone: 0,
    written: 0,
    rejects: 0,
    outputBytes: 0,
    rejectsBytes: 0,
    startedAt: now,
    updatedAt: now,
  }
  return { model, mapping, checkpoint, checkpointPath, rejectsPath }
}

/** The model version to run, waiting for it while it loads. */
async function resolveModel (deps: BatchDeps, name: string, version: string | undefined, waitMs: number): Promise<ModelVersion> {
  await deps.repository.whenReady(name, version, { waitMs })
  return deps.repository.get(name, version)
}
