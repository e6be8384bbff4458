import { InvalidArgumentError, Option } from 'commander'
import { DEFAULT_QUEUE_NAME } from '../../batch/distributed/chunk-job.js'
import { runDistributed, type DistributedOptions } from '../../batch/distributed/coordinator.js'
import { queueConnection } from '../../batch/distributed/queue-connection.js'
import { batchRunOptions, type BatchRunFlags, superviseBatchRun } from '../batch-run.js'

/** `inferd batch` flags of the distributed mode. */
export interface DistributedCliFlags {
  distributed?: string
  queueName: string
  chunkRows: number
}

/** What the distributed mode reads of `inferd batch`'s options. */
type BatchCliSubset = BatchRunFlags & DistributedCliFlags

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
 * exit codes are those of a single-process run (both go through superviseBatchRun).
 */
export async function runDistributedBatch (opts: BatchCliSubset & { distributed: string }): Promise<number> {
  const options: DistributedOptions = {
    ...batchRunOptions(opts),
    queue: opts.distributed,
    queueName: opts.queueName,
    chunkRows: opts.chunkRows,
  }
  return await superviseBatchRun(opts, 'withdrawing the chunks not taken yet (committed ones are kept for a resume; again to stop at once)',
    async (hooks) => await runDistributed(options, hooks))
}
