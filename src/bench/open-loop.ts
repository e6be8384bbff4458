import { HttpConnection } from './http-connection.js'
import { closeAll, type LoadContext, type LoadDriver, recordResult } from './load-driver.js'
import { seededRandom } from '../core/random.js'

/**
 * Request-rate mode (open loop), perf_analyzer's `--request-rate-range`: requests are issued on a
 * schedule (evenly spaced, or Poisson arrivals), whether or not earlier ones have been answered.
 * Each request takes an idle connection, opens a new one up to `maxConnections`, or waits in a
 * FIFO for the next free connection.
 *
 * Latency runs from the request's *scheduled* time, so time spent waiting for a connection (or
 * for a late timer) counts: a server that falls behind shows growing latency, instead of the load
 * generator quietly slowing down ("coordinated omission"). Node timers fire at best every
 * millisecond, so each tick issues every request that has come due.
 *
 *   tick ──► due requests ──► idle connection? ── yes ──► send ──► record ──► next waiting, or idle
 *                                    └── no ──► open one (< max) or wait in the FIFO
 */

export type RequestDistribution = 'constant' | 'poisson'

export interface OpenLoopOptions {
  /** Requests per second. */
  readonly rate: number
  readonly distribution: RequestDistribution
  /** Most connections open at once. */
  readonly maxConnections: number
  /** Seed of the Poisson inter-arrival times. */
  readonly seed?: number
}

export class OpenLoop implements LoadDriver {
  readonly #ctx: LoadContext
  readonly #options: OpenLoopOptions
  readonly #gapNs: () => number
  #running = false
  #originNs = 0n
  #nextNs = 0
  #sent = 0
  #timer: NodeJS.Timeout | undefined
  readonly #idle: HttpConnection[] = []
  readonly #all = new Set<HttpConnection>()
  #opening = 0
  #waiting: number[] = []
  #waitingHead = 0
  #inFlight = 0
  #drained: (() => void) | undefined

  constructor (ctx: LoadContext, options: OpenLoopOptions) {
    if (!(options.rate > 0) || !Number.isFinite(options.rate)) throw new RangeError(`request rate must be > 0, got ${options.rate}`)
    if (!Number.isInteger(options.maxConnections) || options.maxConnections < 1) throw new RangeError(`max connections must be ≥ 1, got ${options.maxConnections}`)
    this.#ctx = ctx
    this.#options = options
    const mean = 1e9 / options.rate
    const random = seededRandom(options.seed ?? 7)
    this.#gapNs = options.distribution === 'poisson' ? () => -Math.log(1 - random()) * mean : () => mean
  }

  async start (): Promise<void> {
    // A few connections up front; more open on demand.
    const first = Math.min(this.#options.maxConnections, Math.max(1, Math.ceil(this.#options.rate / 1000)))
    const opened = await Promise.allSettled(Array.from({ length: first }, () => HttpConnection.open(this.#ctx.target, this.#ctx.requestTimeoutMs)))
    for (const o of opened) {
      if (o.status === 'fulfilled') {
        this.#all.add(o.value)
        this.#idle.push(o.value)
      }
    }
    const failed = opened.find((o) => o.status === 'rejected')
    if (failed !== undefined) {
      closeAll(this.#all)
      throw (failed as PromiseRejectedResult).reason
    }
    this.#running = true
    this.#originNs = process.hrtime.bigint()
    this.#nextNs = 0
    this.#tick()
  }

  async stop (): Promise<void> {
    this.#running = false
    clearTimeout(this.#timer)
    this.#waiting = [] // scheduled but never sent: not requests the server saw, so not counted
    this.#waitingHead = 0
    if (this.#inFlight > 0 || this.#opening > 0) await new Promise<void>((resolve) => { this.#drained = resolve })
    closeAll(this.#all)
  }

  #elapsedNs (): number {
    return Number(process.hrtime.bigint() - this.#originNs)
  }

  #tick (): void {
    if (!this.#running) return
    const now = this.#elapsedNs()
    while (this.#nextNs <= now) {
      this.#dispatch(this.#nextNs)
      this.#nextNs += this.#gapNs()
    }
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, (this.#nextNs - now) / 1e6))
  }

  #dispatch (scheduledNs: number): void {
    let conn = this.#idle.pop()
    while (conn !== undefined && !conn.usable) { // the server closed it while idle
      this.#all.delete(conn)
      conn = this.#idle.pop()
    }
    if (conn !== undefined) {
      void this.#run(conn, scheduledNs)
    } else if (this.#all.size + this.#opening < this.#options.maxConnections) {
      this.#opening++
      HttpConnection.open(this.#ctx.target, this.#ctx.requestTimeoutMs).then((c) => {
        this.#opening--
        this.#all.add(c)
        void this.#run(c, scheduledNs)
      }, (err: unknown) => {
        this.#opening--
        this.#ctx.recorder.failure((err as Error).message)
        this.#settle()
      })
    } else {
      this.#waiting.push(scheduledNs)
    }
  }

  async #run (conn: HttpConnection, scheduledNs: number): Promise<void> {
    const { requests, recorder } = this.#ctx
    this.#inFlight++
    let scheduled: number | undefined = scheduledNs
    while (scheduled !== undefined && this.#running) {
      const request = requests[this.#sent++ % requests.length] as Buffer
      try {
        const result = await conn.send(request)
        recordResult(recorder, result, (this.#elapsedNs() - scheduled) / 1000)
      } catch (err) {
        recorder.failure((err as Error).message)
      }
      if (!conn.usable) break
      scheduled = this.#takeWaiting()
    }
    this.#inFlight--
    if (conn.usable) this.#idle.push(conn)
    else this.#all.delete(conn)
    this.#settle()
  }

  #takeWaiting (): number | undefined {
    if (this.#waitingHead >= this.#waiting.length) return undefined
    const t = this.#waiting[this.#waitingHead++]
    if (this.#waitingHead > 1024 && this.#waitingHead * 2 > this.#waiting.length) { // compact now and then
      this.#waiting = this.#waiting.slice(this.#waitingHead)
      this.#waitingHead = 0
    }
    return t
  }

  #settle (): void {
    if (!this.#running && this.#inFlight === 0 && this.#opening === 0) this.#drained?.()
  }
}
