import { describe, expect, it } from 'vitest'
import type { WindowProgress } from '../src/bench/index.js'
import { CpuPerRequest, processCpuMs } from './server-cpu.js'

const win = (window: number, requests: number): WindowProgress =>
  ({ mode: 'concurrency', level: 64, window, maxTrials: 6, requestsPerSecond: requests, latencyUs: 100, requests, durationNs: 1e9 })

describe('processCpuMs', () => {
  it.runIf(process.platform === 'linux')('reads this process\'s CPU time, as node itself counts it', () => {
    const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
    const before = processCpuMs(process.pid)!
    const nodeBefore = cpuMs()
    // Spin until node counts 150 ms of CPU (not wall time: the runner may be descheduled).
    let x = 0
    while (cpuMs() - nodeBefore < 150) x += Math.sqrt(x + 1)
    expect(x).toBeGreaterThan(0)
    const read = processCpuMs(process.pid)! - before
    // /proc counts in 10 ms ticks, and this process's other threads (GC) count there too.
    expect(read).toBeGreaterThanOrEqual(150 - 20)
    expect(read).toBeLessThan(150 + 200)
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
