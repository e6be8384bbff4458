/**
 * Collects what the load generator observes, cut into measurement windows. A request belongs to
 * the window in which its response arrived; its latency is kept in microseconds. The profiler
 * calls `cut()` at each window boundary and gets the finished window back.
 *
 * Recording is a push into a preallocated Float64Array (doubled when full), so the hot path
 * allocates nothing per request.
 */

/** Everything observed during one window. */
export interface WindowSample {
  /** Wall-clock length of the window, nanoseconds. */
  readonly durationNs: number
  /** Latency of each successful request, microseconds, in completion order. */
  readonly latenciesUs: Float64Array
  /** Requests answered with a 2xx status. */
  readonly ok: number
  /** Requests that failed: non-2xx status, network error or timeout. */
  readonly errors: number
  /** The first failure's description, when there was one. */
  readonly firstError: string | undefined
}

const INITIAL_CAPACITY = 4096

export class WindowRecorder {
  #startNs: bigint
  #latencies = new Float64Array(INITIAL_CAPACITY)
  #ok = 0
  #errors = 0
  #firstError: string | undefined
  readonly #now: () => bigint

  /** @param now - the clock, in nanoseconds (injectable for tests) */
  constructor (now: () => bigint = process.hrtime.bigint) {
    this.#now = now
    this.#startNs = now()
  }

  /** Records a successful request. */
  success (latencyUs: number): void {
    if (this.#ok === this.#latencies.length) {
      const grown = new Float64Array(this.#latencies.length * 2)
      grown.set(this.#latencies)
      this.#latencies = grown
    }
    this.#latencies[this.#ok++] = latencyUs
  }

  /** Records a failed request. */
  failure (description: string): void {
    this.#errors++
    this.#firstError ??= description
  }

  /** Ends the current window, returns it, and starts the next one. */
  cut (): WindowSample {
    const end = this.#now()
    const sample: WindowSample = {
      durationNs: Number(end - this.#startNs),
      latenciesUs: this.#latencies.slice(0, this.#ok),
      ok: this.#ok,
      errors: this.#errors,
      firstError: this.#firstError,
    }
    this.#startNs = end
    this.#ok = 0
    this.#errors = 0
    this.#firstError = undefined
    return sample
  }
}
