import { type Command, InvalidArgumentError, Option } from 'commander'
import { runBatch, type BatchOptions, type BatchSummary } from '../../batch/runner.js'
import { BATCH_FORMATS } from '../../batch/formats/index.js'
import { resolveConfig } from '../../config/resolve.js'
import { Cancellation } from '../../core/cancellation.js'
import { Errors, InferdError } from '../../errors/index.js'
import { createLogger } from '../../observability/logger.js'
import { createRuntime, type InferdRuntime } from '../../runtime.js'
import { batchProgressView, formatSummary, type ProgressMode } from '../batch-progress.js'
import { type DistributedCliFlags, distributedFlags, runDistributedBatch } from './batch-distributed.js'

/**
 * Exit codes of `inferd batch`: 0 done; 1 the run failed (the model or backend failed, a file
 * could not be written); 2 a usage mistake (bad flag, missing input, unknown model, a checkpoint
 * of other options); 3 the error budget ran out (--max-rejects); 130 / 143 stopped by SIGINT /
 * SIGTERM. Every non-zero exit after the run started keeps the checkpoint: the same command resumes.
 */
export const BATCH_EXIT = { ok: 0, failed: 1, usage: 2, rejects: 3, SIGINT: 130, SIGTERM: 143 } as const

interface BatchCliOptions {
  model: string
  input: string
  output: string
  modelRepository: string
  modelVersion?: string
  rejects?: string
  batchSize?: number
  maxRejects: number
  keep?: string
  format?: string
  outputFormat?: string
  inFlight?: number
  progress: ProgressMode
  progressInterval: number
  json?: boolean
  logLevel: string
}

/** `inferd batch`: score a data file with a model of a repository, no server needed. */
export function registerBatch (program: Command): void {
  const cmd = program
    .command('batch')
    .description('score a CSV, JSON Lines or Parquet file with a model: streamed, resumable, one output row per input row')
    .requiredOption('-m, --model <name>', 'model to run')
    .requiredOption('-i, --input <file>', 'input file (.csv with a header row, .jsonl, .parquet)')
    .requiredOption('-o, --output <file>', 'output file (.csv, .jsonl, .parquet)')
    .option('--model-repository <dir>', 'model repository folder (or one .onnx file)', 'models')
    .option('--model-version <version>', 'model version (default: the latest ready one; a resume keeps the one it started with)')
    .option('--rejects <file>', 'rejected rows, JSON Lines of { row, error, code, data } (default <output>.rejects.jsonl)')
    .option('-b, --batch-size <rows>', 'rows per predict call (default: the model\'s max_batch_size, at most 256)', integer(1))
    .option('--max-rejects <n>', 'rejected rows allowed before the run stops with exit code 3', integer(0), 1000)
    .option('--keep <columns>', 'input columns copied into the output, comma-separated')
    .addOption(new Option('--format <format>', 'input format (default: from the extension)').choices(BATCH_FORMATS))
    .addOption(new Option('--output-format <format>', 'output format (default: from the extension)').choices(BATCH_FORMATS))
    .option('--in-flight <n>', 'micro-batches scored at once (default 4)', integer(1))
    .addOption(new Option('--progress <mode>', 'progress on stderr: a live bar on a terminal, plain lines otherwise').choices(['auto', 'bar', 'lines', 'none']).default('auto'))
    .option('--progress-interval <seconds>', 'seconds between two plain progress lines', seconds, 5)
    .option('--json', 'print the summary as JSON on stdout')
    .addOption(new Option('--log-level <level>', 'server log level (JSON lines on stderr)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('warn'))
  for (const flag of distributedFlags()) cmd.addOption(flag) // --distributed: src/cli/commands/batch-distributed.ts
  cmd.action(async (opts: BatchCliOptions & DistributedCliFlags) => {
    process.exitCode = await (opts.distributed === undefined ? run(opts) : runDistributedBatch({ ...opts, distributed: opts.distributed }, exitCodeOf))
    // onnxruntime's threads may outlive the models; the run is over, so go.
    process.exit()
  })
}

async function run (opts: BatchCliOptions): Promise<number> {
  const say = (line: string): void => { process.stderr.write(`inferd batch: ${line}\n`) }
  let runtime: InferdRuntime
  try {
    const config = resolveConfig({ modelRepository: opts.modelRepository, modelControlMode: 'explicit', logLevel: opts.logLevel as 'warn' })
    runtime = createRuntime(config, createLogger(config.logLevel, process.stderr))
  } catch (err) {
    say(describe(err))
    return BATCH_EXIT.usage
  }
  const cancel = new Cancellation()
  let stoppedBy: 'SIGINT' | 'SIGTERM' | undefined
  const onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
    if (stoppedBy !== undefined) process.exit(BATCH_EXIT[signal]) // a second signal: stop now
    stoppedBy = signal
    say(`${signal}: stopping after the micro-batches in flight (again to stop at once)`)
    cancel.cancel()
  }
  process.on('SIGINT', () => onSignal('SIGINT'))
  process.on('SIGTERM', () => onSignal('SIGTERM'))

  const view = batchProgressView(opts.progress, process.stderr, opts.progressInterval * 1000)
  try {
    await runtime.repository.scan()
    await runtime.repository.load(opts.model)
    const options: BatchOptions = {
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
      ...(opts.inFlight === undefined ? {} : { inFlight: opts.inFlight }),
    }
    const summary: BatchSummary = await runBatch(options, runtime, { onProgress: (p) => view.update(p), onNotice: (m) => view.notice(m), signal: cancel })
    view.stop()
    process.stdout.write(opts.json === true ? JSON.stringify(summary) + '\n' : formatSummary(summary))
    return BATCH_EXIT.ok
  } catch (err) {
    view.stop()
    say(describe(err))
    return exitCodeOf(err, stoppedBy)
  } finally {
    await runtime.close().catch(() => {})
  }
}

function exitCodeOf (err: unknown, stoppedBy: 'SIGINT' | 'SIGTERM' | undefined): number {
  if (!(err instanceof InferdError)) return BATCH_EXIT.failed
  if (err.code === Errors.BATCH_REJECTS_EXCEEDED.code) return BATCH_EXIT.rejects
  if (err.code === Errors.BATCH_CANCELLED.code) return BATCH_EXIT[stoppedBy ?? 'SIGINT']
  if (err.canonical === 'INVALID_ARGUMENT' || err.canonical === 'NOT_FOUND' || err.code === Errors.BATCH_CHECKPOINT_MISMATCH.code) return BATCH_EXIT.usage
  return BATCH_EXIT.failed
}

function describe (err: unknown): string {
  return err instanceof InferdError ? `${err.message} [${err.code}]` : err instanceof Error ? err.message : String(err)
}

function integer (min: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw) || Number(raw) < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`)
    return Number(raw)
  }
}

function seconds (raw: string): number {
  const n = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds')
  return n
}
