import { describe, expect, it } from 'vitest'
import { WindowRecorder } from './window-recorder.js'

describe('WindowRecorder', () => {
  it('cuts windows with their duration, latencies, successes and failures', () => {
    let now = 1_000n
    const r = new WindowRecorder(() => now)
    r.success(120.5)
    r.success(80)
    r.failure('HTTP 500: boom')
    r.failure('HTTP 503')
    now += 2_000_000_000n
    const w = r.cut()
    expect(w.durationNs).toBe(2e9)
    expect(Array.from(w.latenciesUs)).toEqual([120.5, 80])
    expect(w.ok).toBe(2)
    expect(w.errors).toBe(2)
    expect(w.firstError).toBe('HTTP 500: boom')
    now += 5n
    const next = r.cut()
    expect(next).toMatchObject({ durationNs: 5, ok: 0, errors: 0, firstError: undefined })
    expect(next.latenciesUs.length).toBe(0)
  })

  it('grows past its initial capacity and hands out copies', () => {
    const r = new WindowRecorder(() => 0n)
    for (let i = 0; i < 10_000; i++) r.success(i)
    const w = r.cut()
    expect(w.ok).toBe(10_000)
    expect(w.latenciesUs[9_999]).toBe(9_999)
    r.success(-1)
    expect(w.latenciesUs[0]).toBe(0) // not overwritten by the next window
  })

  it('uses the real monotonic clock by default', () => {
    const r = new WindowRecorder()
    expect(r.cut().durationNs).toBeGreaterThanOrEqual(0)
  })
})
