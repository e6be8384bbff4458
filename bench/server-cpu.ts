import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { WindowProgress } from '../src/bench/index.js'

/**
 * CPU time a server process spends per request, all its threads together (event loop,
 * onnxruntime's threads, the garbage collector, libuv's pool), read from Linux's
 * `/proc/<pid>/stat` at the end of every measurement window.
 *
 * Why the bench reports it: it shows what throughput alone hides. A server that uses one core
 * whatever the load (the ceiling and inferd at 64 clients: req/s × µs/request ≈ 1 s per second)
 * is CPU-bound, and its req/s is its cost per request; the naive server's onnxruntime pool
 * spin-waits and burns ~1.7 cores for fewer requests; inferd's busy-polling shows at one client.
 * It is not steadier than req/s on this shared machine: when the machine is slow, every request
 * costs more CPU time too. Elsewhere than Linux it is left out.
 *
 *   window ends ──► read utime+stime ──► Δcpu over the reported windows ÷ their requests ──► µs/request
 */

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on every common Linux). */
const TICKS_PER_SECOND = ticksPerSecond()

/** CPU milliseconds used so far by process `pid`, all threads; undefined when /proc cannot say. */
export function processCpuMs (pid: number): number | undefined {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
  } catch {
    return undefined
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  // After ") " come state (field 3) … utime (field 14) and stime (field 15).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined
  return ((utime + stime) * 1000) / TICKS_PER_SECOND
}

/** Collects a CPU reading at the end of each window of one level (warm-up included). */
export class CpuPerRequest {
  readonly #pid: number
  readonly #read: (pid: number) => number | undefined
  /** CPU ms at the end of window i (0 = the warm-up), and the requests of window i. */
  readonly #cpuMs: Array<number | undefined> = []
  readonly #requests: number[] = []

  /** @param read - the CPU reader (tests pass a scripted one) */
  constructor (pid: number, read: (pid: number) => number | undefined = processCpuMs) {
    this.#pid = pid
    this.#read = read
  }

  /** Call from the load generator's progress callback, after each window. */
  window (p: WindowProgress): void {
    this.#cpuMs[p.window] = this.#read(this.#pid)
    this.#requests[p.window] = p.requests
  }

  /**
   * µs of server CPU per request over the last `windows` windows (those the level reports);
   * undefined without readings for them, without a reading before them, or without requests.
   */
  usPerRequest (windows: number): number | undefined {
    const last = this.#cpuMs.length - 1
    const first = last - windows
    if (windows < 1 || first < 0) return undefined
    const end = this.#cpuMs[last]
    const start = this.#cpuMs[first]
    if (end === undefined || start === undefined) return undefined
    let requests = 0
    for (let i = first + 1; i <= last; i++) requests += this.#requests[i] ?? 0
    return requests > 0 ? ((end - start) * 1000) / requests : undefined
  }
}

function ticksPerSecond (): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim())
    return Number.isInteger(n) && n > 0 ? n : 100
  } catch {
    return 100
  }
}
