import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { BusyPoll } from './busy-poll.js'

/**
 * Real timers and the real event loop: event-loop utilization (the share of time the loop was not
 * waiting in the kernel) tells a polling loop from a sleeping one.
 */
async function utilizationWhile (ms: number, during: () => void): Promise<number> {
  const start = performance.eventLoopUtilization()
  during()
  await sleep(ms)
  return performance.eventLoopUtilization(start).utilization
}

describe('BusyPoll', () => {
  it('keeps the loop polling for the window after a request, then lets it sleep', async () => {
    const poll = new BusyPoll(40_000) // 40 ms
    try {
      const spinning = await utilizationWhile(25, () => poll.touch())
      expect(spinning).toBeGreaterThan(0.5)
      await sleep(60)
      expect(poll.polling).toBe(false)
      const sleeping = await utilizationWhile(25, () => {})
      expect(sleeping).toBeLessThan(0.5)
    } finally {
      poll.close()
    }
  })

  it('a request during the window extends it', async () => {
    const poll = new BusyPoll(30_000)
    try {
      poll.touch()
      await sleep(20)
      poll.touch()
      await sleep(20) // 40 ms after the first request, 20 ms after the second
      expect(poll.polling).toBe(true)
    } finally {
      poll.close()
    }
  })

  it('a window of 0 never polls', async () => {
    const poll = new BusyPoll(0)
    const utilization = await utilizationWhile(25, () => poll.touch())
    expect(poll.polling).toBe(false)
    expect(utilization).toBeLessThan(0.5)
  })

  it('close ends the window at once, and later requests start none', async () => {
    const poll = new BusyPoll(1_000_000)
    poll.touch()
    expect(poll.polling).toBe(true)
    poll.close()
    expect(poll.polling).toBe(false)
    poll.touch()
    expect(poll.polling).toBe(false)
  })

  it('refuses a negative or non-finite window', () => {
    expect(() => new BusyPoll(-1)).toThrow(RangeError)
    expect(() => new BusyPoll(Number.NaN)).toThrow(RangeError)
  })
})
