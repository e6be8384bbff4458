import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { Cancellation } from '../../core/cancellation.js'

/**
 * Cancellation when an HTTP client goes away: each request in progress holds a
 * {@link Cancellation} that fires if its connection closes before the request is released, so a
 * request still queued is dropped and never computed.
 *
 * One `close` listener per connection, not per request: a listener on each response (add, remove,
 * and a heavier emit at every finish) cost about 2 µs of event-loop CPU per request at 64
 * concurrent clients (CPU profile), a few percent of inferd's whole request path. A keep-alive
 * connection carries thousands of requests and is set up once. The set per connection also covers
 * pipelined requests, several of which can be in progress on one connection.
 */
const IN_PROGRESS = new WeakMap<Socket, Set<Cancellation>>()

/** A request's cancellation, and its release once answered (or failed). */
export interface ClientWatch {
  readonly signal: Cancellation
  /** The request is done: a later close of the connection no longer concerns it. Idempotent. */
  release (): void
}

/** Watches `raw`'s connection for the duration of one request; call `release()` when it ends. */
export function watchClient (raw: IncomingMessage): ClientWatch {
  const signal = new Cancellation()
  const socket = raw.socket as Socket | null
  if (socket === null) return { signal, release () {} }
  if (socket.destroyed) {
    signal.cancel()
    return { signal, release () {} }
  }
  let requests = IN_PROGRESS.get(socket)
  if (requests === undefined) {
    const open = new Set<Cancellation>()
    IN_PROGRESS.set(socket, open)
    socket.once('close', () => {
      for (const c of open) c.cancel()
      open.clear()
    })
    requests = open
  }
  requests.add(signal)
  const held = requests
  return { signal, release () { held.delete(signal) } }
}
