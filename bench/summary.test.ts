import { describe, expect, it } from 'vitest'
import type { LevelResult } from '../src/bench/index.js'
import { formatRawOrt, formedBatches, median, targetRatios, type Measured, type ServerLevel, type ServerName } from './summary.js'

const result = (rps: number, p50 = 100): LevelResult => ({
  mode: 'concurrency', level: 1, inferencesPerSecond: rps, requestsPerSecond: rps,
  latencyUs: { avg: p50, min: p50, max: p50, p50, p90: p50, p95: p50, p99: p50 },
  requests: rps, errors: 0, stable: true, windows: 3, reportedWindows: 3, windowRequestsPerSecond: [rps, rps, rps],
})
const level = (server: ServerName, c: number, rounds: Measured[]): ServerLevel => ({ server, level: c, rounds })
const m = (rps: number, extra: Partial<Measured> & { p50?: number } = {}): Measured => ({ result: result(rps, extra.p50), cpuUsPerRequest: extra.cpuUsPerRequest, meanBatch: extra.meanBatch })

describe('median', () => {
  it('takes the middle value, or the mean of the middle two, ignoring non-finite ones', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([NaN, 5])).toBe(5)
    expect(median([])).toBeNaN()
  })
})

describe('targetRatios', () => {
  it('takes each ratio within a round and judges the median over the rounds', () => {
    const levels = [
      level('naive', 64, [m(1000), m(2000), m(1000)]),
      level('ceiling', 64, [m(4000, { cpuUsPerRequest: 50 }), m(4000, { cpuUsPerRequest: 50 }), m(2000, { cpuUsPerRequest: 60 })]),
      level('batcher', 64, [m(3600), m(3000), m(1000)]),
      level('inferd', 64, [m(3600, { cpuUsPerRequest: 55 }), m(3000, { cpuUsPerRequest: 60 }), m(2000, { cpuUsPerRequest: 60 })]),
      level('naive', 1, [m(10, { p50: 200 }), m(10, { p50: 200 }), m(10, { p50: 100 })]),
      level('inferd', 1, [m(10, { p50: 180 }), m(10, { p50: 400 }), m(10, { p50: 100 })]),
    ]
    const [vsNaive, vsCeiling, latency, binary, bound, cpu, batching, added] = targetRatios(levels, result(500), result(50))
    // Rounds: 3.6, 1.5, 2 → median 2, although the medians of the throughputs would give 3000 / 1000 = 3.
    expect(vsNaive).toMatchObject({ value: 2, min: 1.5, max: 3.6, target: '≥ 3.5×', met: false })
    expect(vsCeiling).toMatchObject({ value: 0.9, min: 0.75, max: 1, met: true })
    expect(latency).toMatchObject({ value: 1, min: 0.9, max: 2, target: '≤ 1.1×', met: true })
    expect(binary).toMatchObject({ value: 10, met: true })
    expect(bound).toMatchObject({ value: 2, target: undefined, met: undefined })
    expect(cpu!.value).toBeCloseTo(50 / 55, 9)
    // Batcher / ceiling per round: 0.9, 0.75, 0.5; inferd / batcher: 1, 1, 2.
    expect(batching).toMatchObject({ value: 0.75, min: 0.5, max: 0.9, target: undefined })
    expect(added).toMatchObject({ value: 1, min: 1, max: 2, target: undefined })
  })

  it('is n/a, and missed, when a server was not measured', () => {
    const [vsNaive] = targetRatios([level('inferd', 64, [m(100)])], undefined, undefined)
    expect(vsNaive!.value).toBeNaN()
    expect(vsNaive!.met).toBe(false)
  })
})

describe('formed batches', () => {
  it('rounds the median mean batch per level and marks those sizes in the raw table', () => {
    const formed = formedBatches([
      level('inferd', 1, [m(1, { meanBatch: 1 }), m(1, { meanBatch: 1 }), m(1, { meanBatch: 1 })]),
      level('inferd', 64, [m(1, { meanBatch: 28.2 }), m(1, { meanBatch: 31.6 }), m(1, { meanBatch: 29.4 })]),
      level('ceiling', 64, [m(1)]),
    ])
    expect([...formed]).toEqual([[1, 1], [64, 29]])
    const table = formatRawOrt([{ batch: 1, rowsPerSecond: 40000, usPerRun: 25, runs: 10 }, { batch: 29, rowsPerSecond: 300000, usPerRun: 96.7, runs: 10 }], formed)
    expect(table).toMatch(/^\s*1\s+40,000\s+25\.0\s+c=1$/m)
    expect(table).toMatch(/^\s*29\s+300,000\s+96\.7\s+c=64$/m)
  })
})
