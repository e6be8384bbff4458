import { InvalidArgumentError, Option } from 'commander'
import { DEFAULT_QUEUE_NAME } from '../../batch/distributed/chunk-job.js'
import { runDistributed, type DistributedOptions } from '../../batch/distributed/coordinator.js'
import { queueConnection } from '../../batch/distributed/queue-connection.js'
import type { BatchSummary } from '../../batch/runner.js'
import { Cancellation } from '../../core/cancellation.js'
import { InferdError } from '../../errors/index.js'
import { batchProgressView, formatSummary, type ProgressMode } from '../batch-progress.js'

/** `inferd batch` flags of the distributed mode. */
export interface DistributedCliFlags {
  distributed?: string
  queueName: string
  chunkRows: number
}

/** What the distributed mode reads of `inferd batch`'s options. */
interface BatchCliSubset extends DistributedCliFlags {
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

/** The flags, for `inferd batch` to add (fresh commander Options on each call). */
export const distributedFlags = (): Option[] => [
  new Option('--distributed <redis-url>', 'split the input into chunks on a Redis queue for `inferd worker` processes (which need the model), then assemble the output')
    .argParser((raw: string) => {
      try { queueConnection(raw) } catch (err) { throw new InvalidArgumentError((err as Error).message) }
      return raw
    }),
  new Option('--queue-name <name>', 'distributed: BullMQ queue name (the workers\' --queue-name)').default(DEFAULT_QUEUE_NAME),
  new Option('--chunk-rows <n>', 'distributed: rows per chunk (about)').argParser((raw: string) => {
    if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new InvalidArgumentError('expected an integer ≥ 1')
    return Number(raw)
  }).default(10_000),
]

/**
 * `inferd batch --distributed redis://…`: the coordinator (src/batch/distributed/coordinator.ts).
 * It loads no model, so `--model-repository` is the workers' business. Progress, summary and
 * exit codes are those of a single-process run.
 */
export async function runDistributedBatch (opts: BatchCliSubset & { distributed: string }, exitCodeOf: (err: unknown, stoppedBy: 'SIGINT' | 'SIGTERM' | undefined) => number): Promise<number> {
  const say = (line: string): void => { process.stderr.write(`inferd batch: ${line}\n`) }
  const cancel = new Cancellation()
  let stoppedBy: 'SIGINT' | 'SIGTERM' | undefined
  const onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
    if (stoppedBy !== undefined) process.exit(signal === 'SIGINT' ? 130 : 143)
    stoppedBy = signal
    say(`${signal}: withdrawing the chunks not taken yet (committed ones are kept for a resume; again to stop at once)`)
    cancel.cancel()
  }
  process.on('SIGINT', () => onSignal('SIGINT'))
  process.on('SIGTERM', () => onSignal('SIGTERM'))
  const view = batchProgressView(opts.progress, process.stderr, opts.progressInterval * 1000)
  const options: DistributedOptions = {
    model: opts.model,
    input: opts.input,
    output: opts.output,
    maxRejects: opts.maxRejects,
    queue: opts.distributed,
    queueName: opts.queueName,
    chunkRows: opts.chunkRows,
    ...(opts.modelVersion === undefined ? {} : { version: opts.modelVersion }),
    ...(opts.rejects === undefined ? {} : { rejects: opts.rejects }),
    ...(opts.batchSize === undefined ? {} : { batchSize: opts.batchSize }),
    ...(opts.keep === undefined ? {} : { keep: opts.keep.split(',').map((c) => c.trim()).filter((c) => c !== '') }),
    ...(opts.format === undefined ? {} : { format: opts.format }),
    ...(opts.outputFormat === undefined ? {} : { outputFormat: opts.outputFormat }),
  }
  try {
    const summary: BatchSummary = await runDistributed(options, { onProgress: (p) => view.update(p), onNotice: (m) => view.notice(m), signal: cancel })
    view.stop()
    process.stdout.write(opts.json === true ? JSON.stringify(summary) + '\n' : formatSummary(summary))
    return 0
  } catch (err) {
    view.stop()
    say(err instanceof InferdError ? `${err.message} [${err.code}]` : err instanceof Error ? err.message : String(err))
    return exitCodeOf(err, stoppedBy)
  }
}
