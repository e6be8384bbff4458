/**
 * Busy-polling: after a request that found the server idle, the event loop keeps polling for I/O
 * for a short window instead of sleeping in the kernel, so the next request of a client that sends
 * one after another is picked up by a running thread rather than one that has to be woken.
 *
 * Why (measured on this 2-core VM, MLP bench model, one client sending requests back to back):
 * a thread that sleeps between requests pays for it twice over. Waking it takes time, and the
 * work after the wake-up runs on cold caches: a 1-row onnxruntime run took 28 µs back to back and
 * 86 µs after 1 ms idle. inferd's server-side time per request (queue + compute) was 134 µs with
 * the loop sleeping between requests and 59 µs with a 1 ms polling window; client p50 latency went
 * from 338 µs to 133 µs. onnxruntime's own default (a spinning thread pool) buys the same thing
 * for a server that runs each request on its own; inferd's inline sessions have no pool
 * (backends/onnx/onnx-backend.ts), so the event loop does the spinning, bounded in time.
 *
 * Cost: up to `windowUs` of one core per quiet spell; an idle server spins not at all. Only a
 * request that finds no other in flight opens a window (pipeline/inference-engine.ts): under
 * concurrent load the loop is busy anyway, and polling through its short idle gaps took CPU the
 * load generator on the same 2 cores needed (10 % less throughput at 64 clients when every request
 * opened one). `0` turns it off (server config `busyPollUs`, `--busy-poll-us`).
 *
 * How: a chain of setImmediate callbacks. While an immediate is pending, libuv polls with a zero
 * timeout, so each loop iteration checks the sockets and returns at once; the chain ends when no
 * request has come for `windowUs`. The immediates stay referenced on purpose: an unreferenced
 * immediate lets libuv block in poll, which is what this avoids; so the process lives at most
 * `windowUs` longer, and close() ends the chain at once.
 */
export class BusyPoll {
  readonly #windowMs: number
  readonly #now: () => number
  #last = 0
  #pending: NodeJS.Immediate | undefined
  #closed = false

  /**
   * @param windowUs - how long after the latest request the loop keeps polling, µs; 0 = never
   * @param now - the clock, ms (tests drive it)
   */
  constructor (windowUs: number, now: () => number = () => performance.now()) {
    if (!Number.isFinite(windowUs) || windowUs < 0) throw new RangeError(`busy-poll window must be ≥ 0 µs, got ${windowUs}`)
    this.#windowMs = windowUs / 1000
    this.#now = now
  }

  /** A request came: poll until `windowUs` from now (extends a window already running). */
  touch (): void {
    if (this.#windowMs === 0 || this.#closed) return
    this.#last = this.#now()
    this.#pending ??= setImmediate(this.#spin)
  }

  /** Whether the loop is being kept polling now. */
  get polling (): boolean { return this.#pending !== undefined }

  /** Ends the window at once; later touches do nothing. */
  close (): void {
    this.#closed = true
    if (this.#pending !== undefined) clearImmediate(this.#pending)
    this.#pending = undefined
  }

  readonly #spin = (): void => {
    this.#pending = this.#now() - this.#last < this.#windowMs ? setImmediate(this.#spin) : undefined
  }
}
