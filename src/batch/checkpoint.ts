import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { Errors, InferdError } from '../errors/index.js'
import type { BatchFormat } from './formats/row.js'

/**
 * How far a batch run has got, saved beside its output: enough to resume after the process is
 * killed (`kill -9`, a crash, a reboot) without losing or repeating a row.
 *
 * The invariant: every input row before `rowsDone` is in the output (or the rejects file)
 * exactly once, within the first `outputBytes` (`rejectsBytes`) bytes, and nothing of a later
 * row is. Outputs are written before the checkpoint that counts them, so after a kill the files
 * may hold more than the checkpoint says, never less; a resume cuts them back to the recorded
 * sizes and reads on from row `rowsDone`.
 */
export interface Checkpoint {
  readonly kind: 'inferd-batch-checkpoint'
  readonly model: string
  /** The version the run started with: a resume uses it, so one output comes from one version. */
  readonly modelVersion: string
  /** The input's fingerprint: a resume against a changed input starts over instead. */
  readonly input: string
  readonly inputSize: number
  readonly inputMtime: number
  readonly outputFormat: BatchFormat
  readonly columns: readonly string[]
  /** Input rows this run covers: `[start, end)`, `end` absent for "to the end". */
  readonly range: { readonly start: number; readonly end?: number }
  /** Rows of the range committed (written or rejected), counted from `range.start`. */
  readonly rowsDone: number
  readonly written: number
  readonly rejects: number
  /** Size of the output's data file (for Parquet, its JSON Lines part) covering those rows. */
  readonly outputBytes: number
  readonly rejectsBytes: number
  readonly startedAt: string
  readonly updatedAt: string
}

/** Where a run's checkpoint lives unless told otherwise: beside the output. */
export function checkpointPathFor (output: string): string {
  return `${output}.checkpoint.json`
}

/**
 * The checkpoint at `path`, or undefined when there is none.
 *
 * @throws InferdError BATCH_CHECKPOINT_MISMATCH when the file is not a checkpoint
 */
export async function readCheckpoint (path: string): Promise<Checkpoint | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new InferdError(Errors.BATCH_CHECKPOINT_MISMATCH, [path, (err as Error).message], { cause: err })
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    value = undefined
  }
  const cp = value as Partial<Checkpoint> | undefined
  if (cp?.kind !== 'inferd-batch-checkpoint' || typeof cp.rowsDone !== 'number' || typeof cp.outputBytes !== 'number' || typeof cp.rejectsBytes !== 'number') {
    throw new InferdError(Errors.BATCH_CHECKPOINT_MISMATCH, [path, 'it is not an inferd batch checkpoint'])
  }
  return cp as Checkpoint
}

/**
 * Replaces the checkpoint atomically: written to a temporary file, then renamed over the old
 * one, so a kill at any moment leaves either the old checkpoint or the new, never half of one.
 */
export async function writeCheckpoint (path: string, checkpoint: Checkpoint): Promise<void> {
  const tmp = `${path}.tmp`
  await writeFile(tmp, JSON.stringify(checkpoint) + '\n')
  await rename(tmp, path)
}

export async function removeCheckpoint (path: string): Promise<void> {
  await rm(path, { force: true })
  await rm(`${path}.tmp`, { force: true })
}
