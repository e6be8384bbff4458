import type { LatencySummary } from './latency-stats.js'

/**
 * What `inferd bench` reports: one LevelResult per load level, and the run's settings around them
 * (the JSON output is exactly a BenchReport).
 */

export type LoadMode = 'concurrency' | 'request_rate'

/** The measurement of one load level. */
export interface LevelResult {
  readonly mode: LoadMode
  /** Concurrency (requests in flight) or request rate (requests per second). */
  readonly level: number
  /** Successful inferences per second: requests per second × batch size. */
  readonly inferencesPerSecond: number
  /** Successful requests per second over the reported windows. */
  readonly requestsPerSecond: number
  /** Latency of the successful requests in the reported windows, microseconds. */
  readonly latencyUs: LatencySummary
  /** Successful requests in the reported windows. */
  readonly requests: number
  /** Failed requests over the whole level, warm-up included: non-2xx, network errors, timeouts. */
  readonly errors: number
  /** The first failure, when there was one. */
  readonly firstError?: string
  /** True when the reported windows agreed within the stability percentage. */
  readonly stable: boolean
  /** Measurement windows taken (warm-up excluded); the last `reportedWindows` of them are reported. */
  readonly windows: number
  readonly reportedWindows: number
  /** Successful requests per second in each measurement window, oldest first. */
  readonly windowRequestsPerSecond: readonly number[]
}

/** The settings a run was made with, echoed in the JSON report. */
export interface BenchSettings {
  readonly url: string
  readonly model: string
  readonly modelVersion?: string
  readonly batchSize: number
  readonly inputTensorFormat: 'json' | 'binary'
  readonly outputTensorFormat: 'json' | 'binary'
  readonly inputData: string
  readonly inputs: ReadonlyArray<{ readonly name: string; readonly datatype: string; readonly shape: readonly number[] }>
  readonly measurementIntervalMs: number
  readonly warmupMs: number
  readonly stabilityPercentage: number
  /** Present when not perf_analyzer's 3. */
  readonly stabilityWindows?: number
  readonly maxTrials: number
  readonly percentile?: number
  readonly requestDistribution?: string
}

export interface BenchReport {
  readonly tool: string
  readonly version: string
  readonly startedAt: string
  readonly settings: BenchSettings
  readonly results: readonly LevelResult[]
}
