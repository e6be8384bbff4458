import { UnrecoverableError } from 'bullmq'
import { Errors, InferdError } from '../../errors/index.js'

/**
 * How a worker's failure travels to the coordinator: BullMQ keeps only a job's failure message,
 * so the inferd error code rides in front of it (`[INFERD_ERR_…] message`), and the coordinator
 * can tell the error budget (exit code 3) from any other failure.
 */

/** Errors no other attempt or worker can cure: the job fails at once instead of retrying. */
const FINAL: ReadonlySet<string> = new Set([
  Errors.BATCH_REJECTS_EXCEEDED.code,
  Errors.BATCH_FILE_INVALID.code,
  Errors.PARAMETER_INVALID.code,
  Errors.MODEL_CONFIG_INVALID.code,
])

/** The error a worker's processor throws for `err`: retryable, or an UnrecoverableError. */
export function chunkFailure (err: unknown): Error {
  const code = err instanceof InferdError ? err.code : undefined
  const message = `${code === undefined ? '' : `[${code}] `}${err instanceof Error ? err.message : String(err)}`
  return code !== undefined && FINAL.has(code) ? new UnrecoverableError(message) : new Error(message, { cause: err })
}

/** The code and message a failure reason carries. */
export function failureOf (reason: string): { reason: string; code: string | undefined } {
  const m = /^\[(INFERD_ERR_\w+)\] /.exec(reason)
  return m === null ? { reason, code: undefined } : { reason: reason.slice(m[0].length), code: m[1] }
}
