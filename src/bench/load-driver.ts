import type { HttpConnection, HttpResult, HttpTarget } from './http-connection.js'
import type { WindowRecorder } from './window-recorder.js'

/**
 * A source of load at one level (a concurrency or a request rate). The profiler starts it, cuts
 * measurement windows from its recorder while it runs, and stops it before the next level.
 *
 * Contract: `start()` resolves once the load is flowing (connections open); `stop()` stops
 * issuing requests, waits for those in flight (each bounded by the request timeout), closes every
 * connection, and resolves when nothing of this driver is left running. Both are called once.
 */
export interface LoadDriver {
  start (): Promise<void>
  stop (): Promise<void>
}

/** What every driver needs. */
export interface LoadContext {
  readonly target: HttpTarget
  /** Serialized requests (see serializeRequest), sent round-robin. */
  readonly requests: readonly Buffer[]
  readonly recorder: WindowRecorder
  /** How long one request may wait for its response. */
  readonly requestTimeoutMs: number
}

/** Records one finished request: 2xx is a success, anything else a failure with its status and body. */
export function recordResult (recorder: WindowRecorder, result: HttpResult, latencyUs: number): void {
  if (result.status >= 200 && result.status < 300) recorder.success(latencyUs)
  else recorder.failure(`HTTP ${result.status}${result.errorBody === undefined || result.errorBody === '' ? '' : `: ${result.errorBody}`}`)
}

/** Closes connections, ignoring those already closed. */
export function closeAll (connections: Iterable<HttpConnection | undefined>): void {
  for (const c of connections) c?.close()
}
