import { setTimeout as sleep } from 'node:timers/promises'
import { HttpConnection } from './http-connection.js'
import { closeAll, type LoadContext, type LoadDriver, recordResult } from './load-driver.js'

/**
 * Concurrency mode (closed loop), perf_analyzer's `--concurrency-range`: N workers, each with its
 * own keep-alive connection, each keeping exactly one request in flight: the next request leaves
 * as soon as the previous response is in. Latency is measured from just before the write to the
 * arrival of the last response byte, with process.hrtime.bigint().
 */
export class ClosedLoop implements LoadDriver {
  readonly #ctx: LoadContext
  readonly #concurrency: number
  #running = false
  #workers: Array<Promise<void>> = []
  #connections: Array<HttpConnection | undefined> = []

  constructor (ctx: LoadContext, concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a whole number ≥ 1, got ${concurrency}`)
    this.#ctx = ctx
    this.#concurrency = concurrency
  }

  async start (): Promise<void> {
    const { target, requestTimeoutMs } = this.#ctx
    // Connect everyone first, so connection set-up does not fall into the first window.
    const opened = await Promise.allSettled(Array.from({ length: this.#concurrency }, () => HttpConnection.open(target, requestTimeoutMs)))
    const failed = opened.find((o) => o.status === 'rejected')
    if (failed !== undefined) {
      closeAll(opened.map((o) => (o.status === 'fulfilled' ? o.value : undefined)))
      throw (failed as PromiseRejectedResult).reason
    }
    this.#connections = opened.map((o) => (o as PromiseFulfilledResult<HttpConnection>).value)
    this.#running = true
    this.#workers = this.#connections.map((_, i) => this.#work(i))
  }

  async stop (): Promise<void> {
    this.#running = false
    await Promise.all(this.#workers)
    closeAll(this.#connections)
  }

  async #work (index: number): Promise<void> {
    const { target, requests, recorder, requestTimeoutMs } = this.#ctx
    // Workers start at different requests, so input-data files with several entries mix.
    let next = index
    while (this.#running) {
      let conn = this.#connections[index]
      if (conn === undefined || !conn.usable) {
        try {
          conn = await HttpConnection.open(target, requestTimeoutMs)
          this.#connections[index] = conn
        } catch (err) {
          recorder.failure((err as Error).message)
          await sleep(50) // server gone: do not spin on connection attempts
          continue
        }
      }
      const request = requests[next++ % requests.length] as Buffer
      const t0 = process.hrtime.bigint()
      try {
        const result = await conn.send(request)
        recordResult(recorder, result, Number(process.hrtime.bigint() - t0) / 1000)
      } catch (err) {
        recorder.failure((err as Error).message)
      }
    }
  }
}
