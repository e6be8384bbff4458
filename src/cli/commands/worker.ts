import { hostname } from 'node:os'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { DEFAULT_QUEUE_NAME } from '../../batch/distributed/chunk-job.js'
import { startChunkWorker } from '../../batch/distributed/chunk-worker.js'
import { queueConnection, redactedUrl } from '../../batch/distributed/queue-connection.js'
import { resolveConfig } from '../../config/resolve.js'
import { InferdError } from '../../errors/index.js'
import { createLogger } from '../../observability/logger.js'
import { createRuntime, type InferdRuntime } from '../../runtime.js'

interface WorkerCliOptions {
  queue: string
  queueName: string
  modelRepository: string
  model: string[]
  concurrency: number
  lockDuration: number
  stalledInterval: number
  logLevel: string
}

/**
 * `inferd worker --queue redis://…`: a process of a distributed batch run. It takes chunks
 * queued by `inferd batch --distributed` and scores them with models of its own repository,
 * in-process (no HTTP), committing each chunk's output atomically beside the run's output
 * (which it must reach at the same path: a shared file system when workers run on several
 * machines). Any number of workers may serve one queue; a killed one's chunk goes to another.
 *
 * Logs are JSON lines on stdout. SIGTERM / SIGINT: finish and commit the chunks in hand, then
 * exit 0; a second signal exits at once (those chunks go to other workers).
 */
export function registerWorker (program: Command): void {
  program
    .command('worker')
    .description('process chunks of distributed batch runs (inferd batch --distributed) from a Redis queue')
    .requiredOption('-q, --queue <redis-url>', 'the Redis of the queue, e.g. redis://127.0.0.1:6379', redisUrl)
    .option('--queue-name <name>', 'BullMQ queue name (the coordinator\'s --queue-name)', DEFAULT_QUEUE_NAME)
    .option('--model-repository <dir>', 'model repository folder (or one .onnx file)', 'models')
    .option('-m, --model <name>', 'load this model at start rather than on its first chunk (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('-c, --concurrency <n>', 'chunks processed at once', integer(1), 1)
    .option('--lock-duration <ms>', 'how long a chunk stays this worker\'s without a lock renewal: a killed worker\'s chunk moves on after about this long', integer(1000), 30_000)
    .option('--stalled-interval <ms>', 'how often to look for chunks whose worker died', integer(500), 30_000)
    .addOption(new Option('--log-level <level>', 'log level (JSON lines on stdout)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('info'))
    .action(async (opts: WorkerCliOptions) => {
      const code = await run(opts)
      if (code !== undefined) process.exit(code)
    })
}

/** Runs until a signal; resolves to an exit code only when it could not start. */
async function run (opts: WorkerCliOptions): Promise<number | undefined> {
  let runtime: InferdRuntime
  try {
    const config = resolveConfig({ modelRepository: opts.modelRepository, modelControlMode: 'explicit', logLevel: opts.logLevel as 'info' })
    runtime = createRuntime(config, createLogger(config.logLevel))
  } catch (err) {
    process.stderr.write(`inferd worker: ${describe(err)}\n`)
    return 2
  }
  const log = runtime.logger.child({ component: 'worker', worker: `${hostname()}:${process.pid}` })
  try {
    await runtime.repository.scan()
    for (const name of opts.model) await runtime.repository.load(name)
  } catch (err) {
    process.stderr.write(`inferd worker: ${describe(err)}\n`)
    await runtime.close().catch(() => {})
    return 2
  }

  // A model is loaded once, on the first chunk that names it; a failed load is tried again by the next chunk.
  const loading = new Map<string, Promise<void>>()
  const ensureModel = (name: string): Promise<void> => {
    let p = loading.get(name)
    if (p === undefined) {
      p = runtime.repository.load(name).catch((err: unknown) => { loading.delete(name); throw err })
      loading.set(name, p)
    }
    return p
  }

  const worker = startChunkWorker(runtime, {
    queue: opts.queue,
    queueName: opts.queueName,
    concurrency: opts.concurrency,
    lockDurationMs: opts.lockDuration,
    stalledIntervalMs: opts.stalledInterval,
    ensureModel,
  }, {
    onChunk: (e) => log.info({ job: e.jobId, chunk: e.index, outcome: e.outcome.kind, ...('rows' in e.outcome ? { rows: e.outcome.rows, rejected: e.outcome.rejected } : {}), seconds: e.seconds }, `chunk ${e.index}: ${e.outcome.kind}`),
    onFailed: (e) => log.warn({ job: e.jobId, chunk: e.index, err: e.error.message, final: e.final }, `chunk ${String(e.index)} failed${e.final ? '' : ' (will be retried)'}`),
    onStalled: (jobId) => log.warn({ job: jobId }, `job ${jobId}: its worker stopped renewing the lock (died?); the chunk is back on the queue`),
    onError: quiet((err) => log.error({ err: err.message }, 'queue connection error (retrying)')),
  })
  log.info({ queue: redactedUrl(opts.queue), queueName: opts.queueName, concurrency: opts.concurrency }, `worker taking chunks from ${redactedUrl(opts.queue)} (${opts.queueName})`)

  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143)
    stopping = true
    log.info({ signal }, 'stopping: finishing the chunks in hand (again to stop at once)')
    worker.close()
      .then(() => runtime.close())
      .then(() => process.exit(0), (err: unknown) => {
        log.error({ err: describe(err) }, 'stop failed')
        process.exit(1)
      })
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  return undefined
}

/** The same error again within 30 s is not logged again: ioredis retries a lost Redis every second or so. */
function quiet (report: (err: Error) => void): (err: Error) => void {
  let last = ''
  let at = 0
  return (err) => {
    const now = performance.now()
    if (err.message === last && now - at < 30_000) return
    last = err.message
    at = now
    report(err)
  }
}

function redisUrl (raw: string): string {
  try {
    queueConnection(raw)
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message)
  }
  return raw
}

function integer (min: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw) || Number(raw) < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`)
    return Number(raw)
  }
}

function describe (err: unknown): string {
  return err instanceof InferdError ? `${err.message} [${err.code}]` : err instanceof Error ? err.message : String(err)
}
