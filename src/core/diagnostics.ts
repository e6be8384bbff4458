/**
 * The diagnostics channels inferd's data path publishes on, and what each message carries.
 *
 * The engine and the scheduler publish; observability (statistics, metrics, tracing) subscribes
 * with `diagnostics_channel.subscribe(name, fn)`. Publishers never import a subscriber, so the
 * data path knows nothing of what is measured from it (undici's lib/core/diagnostics.js habit).
 * A publisher checks `hasSubscribers` first: with nobody listening, a message is never built.
 *
 *   engine.infer ──────────► inferd:engine:request   one per request that reached a model version,
 *                                                     answered or failed
 *   ModelScheduler batch ──► inferd:scheduler:batch  one per batch handed to an execution instance
 *
 * Channels are process-wide: two servers in one process publish on the same channels. The
 * `model` object of a message tells them apart (it is the served version's own object, and a
 * version loaded again is a new object), so subscribers key their state by that object.
 */
import diagnostics_channel from 'node:diagnostics_channel'

/** Channel names, `inferd:<area>:<event>`. */
export const DIAGNOSTICS = Object.freeze({
  /** {@link RequestMessage} */
  engineRequest: 'inferd:engine:request',
  /** {@link BatchMessage} */
  schedulerBatch: 'inferd:scheduler:batch',
} as const)

/**
 * A served model version as messages name it. Compare by identity, not by name and version:
 * the object is the version's own (repository's `ModelVersion`).
 */
export interface ModelIdentity {
  readonly name: string
  readonly version: string
}

/**
 * Where one batch's compute time went, in ns on the process-wide monotonic clock. The three
 * phases follow each other without gaps:
 *   input  — concatenating the requests' inputs and handing them to the runtime (for a worker
 *            thread instance: the transfer to the thread included)
 *   infer  — the backend session's run
 *   output — handing the outputs back (thread transfer included) and splitting them per request
 */
export interface ComputeTimes {
  readonly computeInputNs: number
  readonly computeInferNs: number
  readonly computeOutputNs: number
}

/** A batch the scheduler ran (or tried to run) on an execution instance. */
export interface BatchMessage extends ComputeTimes {
  readonly model: ModelIdentity
  /** Rows in the batch: the sum of its requests' batch sizes (1 per request for a model that does not batch). */
  readonly rows: number
  /** Requests sharing the batch. */
  readonly requests: number
  /** True when the batch failed; each of its requests then failed with the batch's error. */
  readonly failed: boolean
}

/** A request's share of the batch it ran in: its queue time, and its batch's compute phases. */
export interface RequestTimes extends ComputeTimes {
  /** ns from entering the model's queue to its batch starting. */
  readonly queueNs: number
}

/** One request that reached a model version, answered or failed. */
export interface RequestMessage {
  readonly model: ModelIdentity
  /** ns from the engine taking the request to its response (or failure) being ready. */
  readonly durationNs: number
  /** Succeeded: the request's batch size (1 for a model that does not batch). Failed: 0. */
  readonly rows: number
  /** Present when the request succeeded. */
  readonly times?: RequestTimes
  /** Present when the request failed. */
  readonly error?: Error
}

/** @internal the publishers' handles (one object per name, created once) */
export const requestChannel = diagnostics_channel.channel(DIAGNOSTICS.engineRequest)
/** @internal */
export const batchChannel = diagnostics_channel.channel(DIAGNOSTICS.schedulerBatch)
