import type { BatchOptions, BatchProgress, BatchSummary } from '../batch/runner.js'
import { Cancellation, type CancelSignal } from '../core/cancellation.js'
import { Errors, InferdError } from '../errors/index.js'
import { batchProgressView, formatSummary, type ProgressMode } from './batch-progress.js'

/**
 * Exit codes of `inferd batch`: 0 done; 1 the run failed (the model or backend failed, a file
 * could not be written); 2 a usage mistake (bad flag, missing input, unknown model, a checkpoint
 * of other options); 3 the error budget ran out (--max-rejects); 130 / 143 stopped by SIGINT /
 * SIGTERM. Every non-zero exit after the run started keeps the checkpoint: the same command resumes.
 */
export const BATCH_EXIT = { ok: 0, failed: 1, usage: 2, rejects: 3, SIGINT: 130, SIGTERM: 143 } as const

/** The `inferd batch` flags both modes read: in-process (commands/batch.ts) and --distributed. */
export interface BatchRunFlags {
  model: string
  input: string
  output: string
  modelVersion?: string
  rejects?: string
  batchSize?: number
  maxRejects: number
  keep?: string
  format?: string
  outputFormat?: string
  progress: ProgressMode
  progressInterval: number
  json?: boolean
}

/** The options both modes' runs take, from the flags: one mapping, so the modes cannot drift apart. */
export function batchRunOptions (opts: BatchRunFlags): Pick<BatchOptions, 'model' | 'version' | 'input' | 'output' | 'rejects' | 'format' | 'outputFormat' | 'batchSize' | 'maxRejects' | 'keep'> {
  return {
    model: opts.model,
    input: opts.input,
    output: opts.output,
    maxRejects: opts.maxRejects,
    ...(opts.modelVersion === undefined ? {} : { version: opts.modelVersion }),
    ...(opts.rejects === undefined ? {} : { rejects: opts.rejects }),
    ...(opts.batchSize === undefined ? {} : { batchSize: opts.batchSize }),
    ...(opts.keep === undefined ? {} : { keep: opts.keep.split(',').map((c) => c.trim()).filter((c) => c !== '') }),
    ...(opts.format === undefined ? {} : { format: opts.format }),
    ...(opts.outputFormat === undefined ? {} : { outputFormat: opts.outputFormat }),
  }
}

/** One `inferd batch: …` line on stderr (stdout is kept for the summary). */
export function sayBatch (line: string): void {
  process.stderr.write(`inferd batch: ${line}\n`)
}

/** An error as `inferd batch` prints it: the message, and the registry code for inferd's own. */
export function describeBatchError (err: unknown): string {
  return err instanceof InferdError ? `${err.message} [${err.code}]` : err instanceof Error ? err.message : String(err)
}

/** What a run gets from `superviseBatchRun`: where to report, and the signal that stops it. */
export interface SupervisedHooks {
  onProgress (progress: BatchProgress): void
  onNotice (message: string): void
  readonly signal: CancelSignal
}

/**
 * Runs one `inferd batch` run as both modes show it: progress on stderr, the summary on stdout
 * (JSON with --json), a failure as one line and its exit code (BATCH_EXIT). SIGINT / SIGTERM ask
 * the run to stop, saying `stopping` (what this mode does then, and that a second signal exits
 * at once, which it does).
 *
 * @returns the exit code
 */
export async function superviseBatchRun (opts: Pick<BatchRunFlags, 'progress' | 'progressInterval' | 'json'>, stopping: string, run: (hooks: SupervisedHooks) => Promise<BatchSummary>): Promise<number> {
  const cancel = new Cancellation()
  let stoppedBy: 'SIGINT' | 'SIGTERM' | undefined
  const onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
    if (stoppedBy !== undefined) process.exit(BATCH_EXIT[signal]) // a second signal: stop now
    stoppedBy = signal
    sayBatch(`${signal}: ${stopping}`)
    cancel.cancel()
  }
  process.on('SIGINT', () => onSignal('SIGINT'))
  process.on('SIGTERM', () => onSignal('SIGTERM'))

  const view = batchProgressView(opts.progress, process.stderr, opts.progressInterval * 1000)
  try {
    const summary = await run({ onProgress: (p) => view.update(p), onNotice: (m) => view.notice(m), signal: cancel })
    view.stop()
    process.stdout.write(opts.json === true ? JSON.stringify(summary) + '\n' : formatSummary(summary))
    return BATCH_EXIT.ok
  } catch (err) {
    view.stop()
    sayBatch(describeBatchError(err))
    return exitCodeOf(err, stoppedBy)
  }
}

function exitCodeOf (err: unknown, stoppedBy: 'SIGINT' | 'SIGTERM' | undefined): number {
  if (!(err instanceof InferdError)) return BATCH_EXIT.failed
  if (err.code === Errors.BATCH_REJECTS_EXCEEDED.code) return BATCH_EXIT.rejects
  if (err.code === Errors.BATCH_CANCELLED.code) return BATCH_EXIT[stoppedBy ?? 'SIGINT']
  if (err.canonical === 'INVALID_ARGUMENT' || err.canonical === 'NOT_FOUND' || err.code === Errors.BATCH_CHECKPOINT_MISMATCH.code) return BATCH_EXIT.usage
  return BATCH_EXIT.failed
}
