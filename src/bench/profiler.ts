import { setTimeout as sleep } from 'node:timers/promises'
import { pickLatency, summarizeLatencies } from './latency-stats.js'
import type { LoadDriver } from './load-driver.js'
import type { LevelResult, LoadMode } from './results.js'
import { isStable, type WindowFigures } from './stability.js'
import { WindowRecorder, type WindowSample } from './window-recorder.js'

/**
 * Measures one load level the way perf_analyzer does: run the load, discard a warm-up, then take
 * measurement windows of a fixed length until the last `stabilityWindows` of them agree within
 * the stability percentage (throughput and latency alike), or `maxTrials` windows have been
 * taken, in which case the level is reported as unstable. The reported figures merge the last
 * `stabilityWindows` windows: throughput over their total duration, percentiles over all their
 * latencies.
 *
 *   start ──► warm-up ──► window 1 ──► window 2 ──► … ──► stable (last 3 agree) or max trials ──► stop
 */

export interface ProfileOptions {
  /** Length of one measurement window, milliseconds. */
  readonly measurementIntervalMs: number
  /** Load before the first window, discarded, milliseconds. */
  readonly warmupMs: number
  /** Allowed spread between the windows compared, percent. */
  readonly stabilityPercentage: number
  /** How many consecutive windows must agree (perf_analyzer: 3). */
  readonly stabilityWindows: number
  /** Most windows per level. */
  readonly maxTrials: number
  /** Latency percentile the stability check compares (50, 90, 95, 99); the mean when absent. */
  readonly percentile?: number | undefined
  /** Rows per request: inferences per second = requests per second × batch size. */
  readonly batchSize: number
}

/** Progress of a level, for a terminal display. */
export interface WindowProgress {
  readonly mode: LoadMode
  readonly level: number
  /** 1-based window number; 0 for the warm-up. */
  readonly window: number
  readonly maxTrials: number
  readonly requestsPerSecond: number
  readonly latencyUs: number
  /** Successful requests in this window, and its length: a caller can relate them to its own counters (CPU time, say). */
  readonly requests: number
  readonly durationNs: number
}

/** The clock and the wait the profiler uses; tests substitute fakes to make windows deterministic. */
export interface ProfileClock {
  /** Nanoseconds, monotonic. */
  readonly now: () => bigint
  readonly sleep: (ms: number) => Promise<unknown>
}

const REAL_CLOCK: ProfileClock = { now: process.hrtime.bigint, sleep: (ms) => sleep(ms) }

export interface LevelSpec {
  readonly mode: LoadMode
  readonly level: number
  /** Builds the driver for this level around the recorder it must report to. */
  readonly driver: (recorder: WindowRecorder) => LoadDriver
}

/**
 * Runs one level and returns its measurement.
 *
 * @param onWindow - called after the warm-up and after each window
 * @param clock - time source and wait (real by default)
 */
export async function profileLevel (
  spec: LevelSpec,
  options: ProfileOptions,
  onWindow?: (p: WindowProgress) => void,
  clock: ProfileClock = REAL_CLOCK,
): Promise<LevelResult> {
  checkOptions(options)
  const recorder = new WindowRecorder(clock.now)
  const driver = spec.driver(recorder)
  await driver.start()
  const samples: WindowSample[] = []
  const figures: WindowFigures[] = []
  let errors = 0
  let firstError: string | undefined
  let stable = false
  try {
    recorder.cut() // connection set-up is not load
    if (options.warmupMs > 0) {
      await clock.sleep(options.warmupMs)
      const warm = recorder.cut()
      errors += warm.errors
      firstError ??= warm.firstError
      onWindow?.(progress(spec, 0, options, warm))
    }
    while (samples.length < options.maxTrials) {
      await clock.sleep(options.measurementIntervalMs)
      const w = recorder.cut()
      samples.push(w)
      errors += w.errors
      firstError ??= w.firstError
      const f = { throughput: perSecond(w.ok, w.durationNs), latency: pickLatency(summarizeLatencies(w.latenciesUs), options.percentile) }
      figures.push(f)
      onWindow?.({ mode: spec.mode, level: spec.level, window: samples.length, maxTrials: options.maxTrials, requestsPerSecond: f.throughput, latencyUs: f.latency, requests: w.ok, durationNs: w.durationNs })
      if (w.ok === 0 && w.errors > 0) break // every request fails: more windows will not help
      if (isStable(figures, { percentage: options.stabilityPercentage, windows: options.stabilityWindows })) {
        stable = true
        break
      }
      // Keep only the latencies that may still be reported.
      if (samples.length > options.stabilityWindows) samples[samples.length - options.stabilityWindows - 1] = EMPTY_SAMPLE
    }
  } finally {
    await driver.stop()
  }
  const reported = samples.slice(-options.stabilityWindows)
  const ok = reported.reduce((n, w) => n + w.ok, 0)
  const durationNs = reported.reduce((n, w) => n + w.durationNs, 0)
  const requestsPerSecond = perSecond(ok, durationNs)
  return {
    mode: spec.mode,
    level: spec.level,
    inferencesPerSecond: requestsPerSecond * options.batchSize,
    requestsPerSecond,
    latencyUs: summarizeLatencies(concat(reported.map((w) => w.latenciesUs))),
    requests: ok,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    stable,
    windows: samples.length,
    reportedWindows: reported.length,
    windowRequestsPerSecond: figures.map((f) => f.throughput),
  }
}

const EMPTY_SAMPLE: WindowSample = Object.freeze({ durationNs: 0, latenciesUs: new Float64Array(0), ok: 0, errors: 0, firstError: undefined })

function checkOptions (o: ProfileOptions): void {
  const positive = (v: number, name: string): void => {
    if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`${name} must be > 0, got ${v}`)
  }
  positive(o.measurementIntervalMs, 'measurement interval')
  positive(o.stabilityPercentage, 'stability percentage')
  if (!(o.warmupMs >= 0)) throw new RangeError(`warm-up must be ≥ 0 ms, got ${o.warmupMs}`)
  if (!Number.isInteger(o.stabilityWindows) || o.stabilityWindows < 1) throw new RangeError(`stability windows must be ≥ 1, got ${o.stabilityWindows}`)
  if (!Number.isInteger(o.maxTrials) || o.maxTrials < o.stabilityWindows) {
    throw new RangeError(`max trials must be a whole number ≥ ${o.stabilityWindows} (the windows that must agree), got ${o.maxTrials}`)
  }
}

function perSecond (count: number, durationNs: number): number {
  return durationNs > 0 ? count / (durationNs / 1e9) : 0
}

function progress (spec: LevelSpec, window: number, options: ProfileOptions, w: WindowSample): WindowProgress {
  return {
    mode: spec.mode,
    level: spec.level,
    window,
    maxTrials: options.maxTrials,
    requestsPerSecond: perSecond(w.ok, w.durationNs),
    latencyUs: pickLatency(summarizeLatencies(w.latenciesUs), options.percentile),
    requests: w.ok,
    durationNs: w.durationNs,
  }
}

function concat (parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}
