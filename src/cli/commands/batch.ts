import { type Command, InvalidArgumentError, Option } from 'commander'
import { runBatch, type BatchOptions } from '../../batch/runner.js'
import { BATCH_FORMATS } from '../../batch/formats/index.js'
import { resolveConfig } from '../../config/resolve.js'
import { createLogger } from '../../observability/logger.js'
import { createRuntime, type InferdRuntime } from '../../runtime.js'
import { BATCH_EXIT, batchRunOptions, type BatchRunFlags, describeBatchError, sayBatch, superviseBatchRun } from '../batch-run.js'
import { type DistributedCliFlags, distributedFlags, runDistributedBatch } from './batch-distributed.js'

interface BatchCliOptions extends BatchRunFlags {
  modelRepository: string
  inFlight?: number
  logLevel: string
}

/** `inferd batch`: score a data file with a model of a repository, no server needed (exit codes: BATCH_EXIT). */
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
    process.exitCode = await (opts.distributed === undefined ? run(opts) : runDistributedBatch({ ...opts, distributed: opts.distributed }))
    // onnxruntime's threads may outlive the models; the run is over, so go.
    process.exit()
  })
}

async function run (opts: BatchCliOptions): Promise<number> {
  let runtime: InferdRuntime
  try {
    const config = resolveConfig({ modelRepository: opts.modelRepository, modelControlMode: 'explicit', logLevel: opts.logLevel as 'warn' })
    runtime = createRuntime(config, createLogger(config.logLevel, process.stderr))
  } catch (err) {
    sayBatch(describeBatchError(err))
    return BATCH_EXIT.usage
  }
  try {
    return await superviseBatchRun(opts, 'stopping after the micro-batches in flight (again to stop at once)', async (hooks) => {
      await runtime.repository.scan()
      await runtime.repository.load(opts.model)
      const options: BatchOptions = {
        ...batchRunOptions(opts),
        ...(opts.inFlight === undefined ? {} : { inFlight: opts.inFlight }),
      }
      return runBatch(options, runtime, hooks)
    })
  } finally {
    await runtime.close().catch(() => {})
  }
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
