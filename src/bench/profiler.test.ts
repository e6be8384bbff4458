import { describe, expect, it } from 'vitest'
import type { LoadDriver } from './load-driver.js'
import { profileLevel, type ProfileClock, type ProfileOptions, type WindowProgress } from './profiler.js'
import type { WindowRecorder } from './window-recorder.js'

/**
 * A fake clock and a scripted driver: each `sleep(ms)` advances time by ms and lets the driver
 * record the next scripted window, so windows are exact and nothing depends on real timing.
 */
interface ScriptedWindow { ok: number; latencyUs: number; errors?: number }

function scripted (windows: readonly ScriptedWindow[]): { clock: ProfileClock; driver: (r: WindowRecorder) => LoadDriver; state: { started: boolean; stopped: boolean } } {
  let nowNs = 0n
  let recorder: WindowRecorder | undefined
  let next = 0
  const state = { started: false, stopped: false }
  const clock: ProfileClock = {
    now: () => nowNs,
    sleep: async (ms) => {
      const w = windows[Math.min(next++, windows.length - 1)]!
      for (let i = 0; i < w.ok; i++) recorder!.success(w.latencyUs)
      for (let i = 0; i < (w.errors ?? 0); i++) recorder!.failure(`HTTP 503: window ${next}`)
      nowNs += BigInt(ms) * 1_000_000n
    },
  }
  const driver = (r: WindowRecorder): LoadDriver => {
    recorder = r
    return { start: async () => { state.started = true }, stop: async () => { state.stopped = true } }
  }
  return { clock, driver, state }
}

const options: ProfileOptions = { measurementIntervalMs: 1000, warmupMs: 500, stabilityPercentage: 10, stabilityWindows: 3, maxTrials: 6, batchSize: 4 }

describe('profileLevel', () => {
  it('discards the warm-up, stops at the first 3 agreeing windows and merges them', async () => {
    const { clock, driver, state } = scripted([
      { ok: 10, latencyUs: 9000 }, // warm-up: discarded
      { ok: 400, latencyUs: 900 }, // window 1: still warming, outside 10 %
      { ok: 1000, latencyUs: 100 },
      { ok: 1050, latencyUs: 105 },
      { ok: 980, latencyUs: 98 },
      { ok: 5, latencyUs: 1 }, // never reached
    ])
    const seen: WindowProgress[] = []
    const r = await profileLevel({ mode: 'concurrency', level: 8, driver }, options, (p) => seen.push(p), clock)
    expect(state).toEqual({ started: true, stopped: true })
    expect(r.stable).toBe(true)
    expect(r.windows).toBe(4)
    expect(r.reportedWindows).toBe(3)
    expect(r.requests).toBe(3030)
    expect(r.requestsPerSecond).toBeCloseTo(1010, 6) // 3030 over 3 s
    expect(r.inferencesPerSecond).toBeCloseTo(4040, 6) // batch 4
    expect(r.latencyUs.min).toBe(98)
    expect(r.latencyUs.max).toBe(105)
    expect(r.windowRequestsPerSecond).toEqual([400, 1000, 1050, 980])
    expect(r.errors).toBe(0)
    expect(seen.map((p) => p.window)).toEqual([0, 1, 2, 3, 4])
    expect(seen.map((p) => p.requests)).toEqual([10, 400, 1000, 1050, 980])
    expect(seen.map((p) => p.durationNs)).toEqual([5e8, 1e9, 1e9, 1e9, 1e9])
  })

  it('reports an unstable level after max trials, with the last 3 windows', async () => {
    const { clock, driver } = scripted([
      { ok: 0, latencyUs: 0 },
      { ok: 100, latencyUs: 10 }, { ok: 200, latencyUs: 10 }, { ok: 100, latencyUs: 10 },
      { ok: 200, latencyUs: 10 }, { ok: 100, latencyUs: 10 }, { ok: 200, latencyUs: 10 },
    ])
    const r = await profileLevel({ mode: 'request_rate', level: 150, driver }, options, undefined, clock)
    expect(r.stable).toBe(false)
    expect(r.windows).toBe(6)
    expect(r.requests).toBe(500)
    expect(r.mode).toBe('request_rate')
  })

  it('counts errors over the whole level, warm-up included, and keeps the first', async () => {
    const { clock, driver } = scripted([
      { ok: 0, latencyUs: 0, errors: 2 },
      { ok: 100, latencyUs: 10, errors: 1 }, { ok: 100, latencyUs: 10 }, { ok: 100, latencyUs: 10 },
    ])
    const r = await profileLevel({ mode: 'concurrency', level: 1, driver }, options, undefined, clock)
    expect(r.errors).toBe(3)
    expect(r.firstError).toBe('HTTP 503: window 1')
    expect(r.stable).toBe(true)
  })

  it('gives up on a level where every request fails', async () => {
    const { clock, driver, state } = scripted([{ ok: 0, latencyUs: 0, errors: 50 }])
    const r = await profileLevel({ mode: 'concurrency', level: 4, driver }, { ...options, warmupMs: 0 }, undefined, clock)
    expect(r.windows).toBe(1)
    expect(r.requests).toBe(0)
    expect(r.errors).toBe(50)
    expect(Number.isNaN(r.latencyUs.p50)).toBe(true)
    expect(state.stopped).toBe(true)
  })

  it('refuses options that cannot work', async () => {
    const { clock, driver } = scripted([{ ok: 1, latencyUs: 1 }])
    await expect(profileLevel({ mode: 'concurrency', level: 1, driver }, { ...options, maxTrials: 2 }, undefined, clock)).rejects.toThrow(/max trials/)
    await expect(profileLevel({ mode: 'concurrency', level: 1, driver }, { ...options, measurementIntervalMs: 0 }, undefined, clock)).rejects.toThrow(/measurement interval/)
  })
})
