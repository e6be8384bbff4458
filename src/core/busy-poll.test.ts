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
  it('keeps the loop polling after a request, and sleeping once the window is over', async () => {
    // The window (1 s) is far longer than the sample (25 ms), so a slow machine cannot end it early.
    const poll = new BusyPoll(1_000_000)
    try {
      const spinning = await utilizationWhile(25, () => poll.touch())
      expect(spinning).toBeGreaterThan(0.5)
    } finally {
      poll.close()
    }
    const short = new BusyPoll(20_000)
    short.touch()
    await sleep(60) // well past its 20 ms window
    expect(short.polling).toBe(false)
    const sleeping = await utilizationWhile(25, () => {})
    expect(sleeping).toBeLessThan(0.5)
  })

  it('polls until the window after the latest request, on its clock', async () => {
    let now = 0
    const poll = new BusyPoll(30_000, () => now) // 30 ms
    const turns = async (): Promise<void> => { for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve)) }
    try {
      poll.touch()
      now = 25
      poll.touch() // extends to 55
      now = 45
      await turns()
      expect(poll.polling).toBe(true) // past the first request's window, inside the second's
      now = 56
      await turns()
      expect(poll.polling).toBe(false)
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
