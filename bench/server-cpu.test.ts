import { describe, expect, it } from 'vitest'
import type { WindowProgress } from '../src/bench/index.js'
import { CpuPerRequest, processCpuMs } from './server-cpu.js'

const win = (window: number, requests: number): WindowProgress =>
  ({ mode: 'concurrency', level: 64, window, maxTrials: 6, requestsPerSecond: requests, latencyUs: 100, requests, durationNs: 1e9 })

describe('processCpuMs', () => {
  it.runIf(process.platform === 'linux')('reads this process\'s CPU time, which grows while it computes', () => {
    const before = processCpuMs(process.pid)
    expect(before).toBeGreaterThan(0)
    const until = performance.now() + 120
    let x = 0
    while (performance.now() < until) x += Math.sqrt(x + 1)
    expect(x).toBeGreaterThan(0)
    // 120 ms of busy loop; ticks are 10 ms, and the test runner may be descheduled meanwhile.
    expect(processCpuMs(process.pid)! - before!).toBeGreaterThanOrEqual(50)
  })

  it('is undefined for a process that does not exist', () => {
    expect(processCpuMs(2 ** 22 + 12345)).toBeUndefined()
  })
})

describe('CpuPerRequest', () => {
  it('divides the CPU of the reported windows by their requests, the warm-up left out', () => {
    const readings = [1000, 1300, 1500, 1700, 1900] // CPU ms at the end of warm-up, windows 1-4
    let i = 0
    const cpu = new CpuPerRequest(1, () => readings[i++])
    ;[win(0, 50), win(1, 1000), win(2, 2000), win(3, 2000), win(4, 2000)].forEach((w) => cpu.window(w))
    // Last 3 windows: 1900 - 1300 = 600 ms over 6000 requests = 100 µs each.
    expect(cpu.usPerRequest(3)).toBeCloseTo(100, 9)
    // Last 4: 900 ms over 7000 requests.
    expect(cpu.usPerRequest(4)).toBeCloseTo(900_000 / 7000, 9)
    expect(cpu.usPerRequest(5)).toBeUndefined() // no reading before the warm-up ended
  })

  it('is undefined when a reading is missing or no request succeeded', () => {
    const missing = new CpuPerRequest(1, () => undefined)
    ;[win(0, 10), win(1, 10)].forEach((w) => missing.window(w))
    expect(missing.usPerRequest(1)).toBeUndefined()
    let t = 0
    const idle = new CpuPerRequest(1, () => (t += 10))
    ;[win(0, 0), win(1, 0)].forEach((w) => idle.window(w))
    expect(idle.usPerRequest(1)).toBeUndefined()
  })
})
