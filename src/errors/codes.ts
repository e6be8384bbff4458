import type { Canonical } from './canonical.js'

/** One entry of the error registry: a stable code, its canonical status and a message template. */
export interface ErrorDef {
  readonly code: `INFERD_ERR_${string}`
  readonly canonical: Canonical
  /** `%s` / `%d` placeholders, filled in order from the constructor arguments. */
  readonly message: string
  /** True when the same request may succeed later (surfaced as Retry-After). */
  readonly retryable: boolean
  /** HTTP status override where the canonical mapping is too coarse (413 for oversized bodies). */
  readonly http?: number
}

function def (
  code: ErrorDef['code'],
  canonical: Canonical,
  message: string,
  opts: { retryable?: boolean; http?: number } = {},
): ErrorDef {
  return Object.freeze({ code, canonical, message, retryable: opts.retryable ?? false, ...(opts.http === undefined ? {} : { http: opts.http }) })
}

/**
 * The one registry of client-visible errors. Keys equal the code without its prefix; codes are
 * never reused once retired. `docs/errors.md` lists exactly these (kept in step by a test).
 */
export const Errors = {
  // request shape and content
  REQ_BODY_INVALID: def('INFERD_ERR_REQ_BODY_INVALID', 'INVALID_ARGUMENT', 'invalid request body: %s'),
  REQ_BODY_TOO_LARGE: def('INFERD_ERR_REQ_BODY_TOO_LARGE', 'RESOURCE_EXHAUSTED', 'request body exceeds %d bytes', { http: 413 }),
  REQ_BINARY_INVALID: def('INFERD_ERR_REQ_BINARY_INVALID', 'INVALID_ARGUMENT', 'invalid binary tensor data: %s'),
  INPUT_MISSING: def('INFERD_ERR_INPUT_MISSING', 'INVALID_ARGUMENT', "model '%s' expects input '%s', which the request does not have"),
  INPUT_UNKNOWN: def('INFERD_ERR_INPUT_UNKNOWN', 'INVALID_ARGUMENT', "model '%s' has no input named '%s' (inputs: %s)"),
  INPUT_DUPLICATE: def('INFERD_ERR_INPUT_DUPLICATE', 'INVALID_ARGUMENT', "input '%s' appears more than once in the request"),
  OUTPUT_UNKNOWN: def('INFERD_ERR_OUTPUT_UNKNOWN', 'INVALID_ARGUMENT', "model '%s' has no output named '%s' (outputs: %s)"),
  DTYPE_INVALID: def('INFERD_ERR_DTYPE_INVALID', 'INVALID_ARGUMENT', "input '%s': datatype %s does not match the model's %s"),
  DTYPE_UNKNOWN: def('INFERD_ERR_DTYPE_UNKNOWN', 'INVALID_ARGUMENT', "tensor '%s': unknown datatype '%s'"),
  TENSOR_SHAPE_MISMATCH: def('INFERD_ERR_TENSOR_SHAPE_MISMATCH', 'INVALID_ARGUMENT', "input '%s': shape %s does not match the model's %s"),
  TENSOR_SHAPE_INVALID: def('INFERD_ERR_TENSOR_SHAPE_INVALID', 'INVALID_ARGUMENT', "tensor '%s': invalid shape %s"),
  TENSOR_DATA_INVALID: def('INFERD_ERR_TENSOR_DATA_INVALID', 'INVALID_ARGUMENT', "tensor '%s': %s"),
  TENSOR_SIZE_MISMATCH: def('INFERD_ERR_TENSOR_SIZE_MISMATCH', 'INVALID_ARGUMENT', "tensor '%s': shape %s needs %d elements, got %d"),
  BATCH_TOO_LARGE: def('INFERD_ERR_BATCH_TOO_LARGE', 'INVALID_ARGUMENT', "input '%s': batch size %d exceeds the model's max_batch_size %d"),
  PARAMETER_INVALID: def('INFERD_ERR_PARAMETER_INVALID', 'INVALID_ARGUMENT', "parameter '%s': %s"),
  PREDICT_ROWS_MISMATCH: def('INFERD_ERR_PREDICT_ROWS_MISMATCH', 'INVALID_ARGUMENT', "output '%s' has shape %s, which does not split into the request's %d instances; send the inputs in the columnar format ('inputs') instead"),
  // models
  MODEL_NOT_FOUND: def('INFERD_ERR_MODEL_NOT_FOUND', 'NOT_FOUND', "model '%s' not found"),
  MODEL_VERSION_NOT_FOUND: def('INFERD_ERR_MODEL_VERSION_NOT_FOUND', 'NOT_FOUND', "model '%s' has no version '%s'"),
  MODEL_NOT_READY: def('INFERD_ERR_MODEL_NOT_READY', 'UNAVAILABLE', "model '%s' version %s is not ready: %s", { retryable: true }),
  ROUTE_NOT_FOUND: def('INFERD_ERR_ROUTE_NOT_FOUND', 'NOT_FOUND', 'no route %s %s'),
  // configuration and loading (fail fast at start-up, or mark one model UNAVAILABLE)
  CONFIG_INVALID: def('INFERD_ERR_CONFIG_INVALID', 'INVALID_ARGUMENT', 'invalid configuration: %s'),
  MODEL_CONFIG_INVALID: def('INFERD_ERR_MODEL_CONFIG_INVALID', 'INVALID_ARGUMENT', "model '%s': %s"),
  MODEL_LOAD_FAILED: def('INFERD_ERR_MODEL_LOAD_FAILED', 'INTERNAL', "model '%s' version %s failed to load: %s"),
  REPOSITORY_INVALID: def('INFERD_ERR_REPOSITORY_INVALID', 'INVALID_ARGUMENT', "model repository '%s': %s"),
  MODEL_CONTROL_DISABLED: def('INFERD_ERR_MODEL_CONTROL_DISABLED', 'FAILED_PRECONDITION', "explicit model load / unload is not allowed in model control mode '%s'; start the server with --model-control-mode explicit"),
  // scheduling
  QUEUE_FULL: def('INFERD_ERR_QUEUE_FULL', 'UNAVAILABLE', "queue for model '%s' (priority level %d) is full: max_queue_size %d", { retryable: true }),
  QUEUE_TIMEOUT: def('INFERD_ERR_QUEUE_TIMEOUT', 'DEADLINE_EXCEEDED', "request to model '%s' timed out after %d µs in the queue"),
  REQUEST_CANCELLED: def('INFERD_ERR_REQUEST_CANCELLED', 'CANCELLED', 'the client went away before the request ran'),
  MODEL_UNLOADING: def('INFERD_ERR_MODEL_UNLOADING', 'UNAVAILABLE', "model '%s' version %s is being unloaded", { retryable: true }),
  BACKEND_CRASHED: def('INFERD_ERR_BACKEND_CRASHED', 'INTERNAL', "model '%s': its execution thread stopped (%s); the instance is restarted"),
  // batch inference (src/batch): files in, files out
  BATCH_FILE_INVALID: def('INFERD_ERR_BATCH_FILE_INVALID', 'INVALID_ARGUMENT', "batch %s '%s': %s"),
  BATCH_OUTPUT_FAILED: def('INFERD_ERR_BATCH_OUTPUT_FAILED', 'INTERNAL', "batch output '%s': %s"),
  BATCH_REJECTS_EXCEEDED: def('INFERD_ERR_BATCH_REJECTS_EXCEEDED', 'FAILED_PRECONDITION', 'batch stopped: %d rejected rows exceed the error budget of %d (--max-rejects); the reasons are in %s, and the same command resumes from the checkpoint (raise --max-rejects to go on)'),
  BATCH_CHECKPOINT_MISMATCH: def('INFERD_ERR_BATCH_CHECKPOINT_MISMATCH', 'FAILED_PRECONDITION', "checkpoint '%s' does not fit this run: %s; run with the options it was started with, or delete it to start over"),
  BATCH_CANCELLED: def('INFERD_ERR_BATCH_CANCELLED', 'CANCELLED', 'batch cancelled after %d rows; the same command resumes from the checkpoint'),
  // distributed batch (src/batch/distributed): chunks on a BullMQ queue in Redis
  BATCH_CHUNK_FAILED: def('INFERD_ERR_BATCH_CHUNK_FAILED', 'INTERNAL', 'distributed batch: chunk %d failed on every attempt: %s; the chunks already committed are kept, and the same command resumes'),
  BATCH_QUEUE_UNAVAILABLE: def('INFERD_ERR_BATCH_QUEUE_UNAVAILABLE', 'UNAVAILABLE', 'batch queue %s: %s', { retryable: true }),
  // batch jobs API (src/batch/jobs)
  JOBS_DISABLED: def('INFERD_ERR_JOBS_DISABLED', 'FAILED_PRECONDITION', 'the jobs API is off: start the server with --batch-allow-dir <dir>, the folders batch jobs may read and write'),
  JOB_PATH_FORBIDDEN: def('INFERD_ERR_JOB_PATH_FORBIDDEN', 'PERMISSION_DENIED', "%s '%s' is outside the folders batch jobs may use (--batch-allow-dir)"),
  JOB_PATH_INVALID: def('INFERD_ERR_JOB_PATH_INVALID', 'INVALID_ARGUMENT', "%s '%s': %s"),
  JOB_NOT_FOUND: def('INFERD_ERR_JOB_NOT_FOUND', 'NOT_FOUND', "job '%s' not found"),
  JOB_FINISHED: def('INFERD_ERR_JOB_FINISHED', 'FAILED_PRECONDITION', "job '%s' is already %s"),
  JOB_OUTPUT_BUSY: def('INFERD_ERR_JOB_OUTPUT_BUSY', 'FAILED_PRECONDITION', "'%s' is being written by job '%s', which is %s"),
  // engine and server
  BACKEND_FAILED: def('INFERD_ERR_BACKEND_FAILED', 'INTERNAL', "model '%s' failed during inference: %s"),
  MODEL_INPUT_REJECTED: def('INFERD_ERR_MODEL_INPUT_REJECTED', 'INVALID_ARGUMENT', "model '%s' rejected the input: %s"),
  BACKEND_FEATURE_UNSUPPORTED: def('INFERD_ERR_BACKEND_FEATURE_UNSUPPORTED', 'UNIMPLEMENTED', '%s'),
  SHUTTING_DOWN: def('INFERD_ERR_SHUTTING_DOWN', 'UNAVAILABLE', 'server is shutting down', { retryable: true }),
  INTERNAL: def('INFERD_ERR_INTERNAL', 'INTERNAL', 'internal error: %s'),
  UNKNOWN: def('INFERD_ERR_UNKNOWN', 'UNKNOWN', 'unexpected error: %s'),
} as const satisfies Record<string, ErrorDef>

export type ErrorKey = keyof typeof Errors
export type ErrorCode = (typeof Errors)[ErrorKey]['code']
