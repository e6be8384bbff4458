import type { ServerResponse } from 'node:http'
import { Cancellation } from '../../core/cancellation.js'

/**
 * A cancellation that fires when the client goes away before its response is finished: a request
 * still queued is then dropped and never computed. ServerResponse 'close' also fires after a
 * normal finish; that one is ignored.
 *
 * `on`, not `once`: a response emits 'close' once, and `once` would allocate a wrapper for every
 * request and unhook it again when the response closes (~0.4 µs a request at 64 clients in a CPU
 * profile, removeListener and onceWrapper).
 */
export function cancelWhenClientGoes (res: ServerResponse): Cancellation {
  const cancellation = new Cancellation()
  res.on('close', () => { if (!res.writableFinished) cancellation.cancel() })
  return cancellation
}
