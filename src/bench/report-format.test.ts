import { describe, expect, it } from 'vitest'
import { alignColumns, formatCsv, formatTable, grouped } from './report-format.js'
import type { LevelResult } from './results.js'

const level = (over: Partial<LevelResult>): LevelResult => ({
  mode: 'concurrency',
  level: 1,
  inferencesPerSecond: 2468.5,
  requestsPerSecond: 1234.25,
  latencyUs: { p50: 801.4, p90: 900, p95: 950.5, p99: 1200, avg: 820.123, min: 500, max: 3000 },
  requests: 3703,
  errors: 0,
  stable: true,
  windows: 3,
  reportedWindows: 3,
  windowRequestsPerSecond: [1200, 1250, 1252],
  ...over,
})

describe('formatCsv', () => {
  it("uses perf_analyzer's column names and whole microseconds", () => {
    const csv = formatCsv([level({}), level({ level: 2, stable: false, windows: 10, errors: 4 })])
    const [header, row1, row2] = csv.trimEnd().split('\n')
    expect(header).toBe('Concurrency,Inferences/Second,Requests/Second,p50 latency,p90 latency,p95 latency,p99 latency,Avg latency,Min latency,Max latency,Successful Requests,Errors,Stable,Windows')
    expect(row1).toBe('1,2468.50,1234.25,801,900,951,1200,820,500,3000,3703,0,true,3')
    expect(row2).toBe('2,2468.50,1234.25,801,900,951,1200,820,500,3000,3703,4,false,10')
  })

  it('names the request-rate column and leaves empty latencies for a level with no success', () => {
    const nan = { p50: NaN, p90: NaN, p95: NaN, p99: NaN, avg: NaN, min: NaN, max: NaN }
    const csv = formatCsv([level({ mode: 'request_rate', level: 250.5, latencyUs: nan, requests: 0 })])
    expect(csv.split('\n')[0]!.startsWith('Request Rate,')).toBe(true)
    expect(csv.split('\n')[1]).toBe('250.5,2468.50,1234.25,,,,,,,,0,0,true,3')
  })
})

describe('formatTable', () => {
  it('aligns the columns, shows milliseconds and flags unstable levels and first errors', () => {
    const table = formatTable([level({}), level({ level: 64, stable: false, windows: 10, errors: 2, firstError: 'HTTP 503: queue full' })])
    const lines = table.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^Concurrency\s+infer\/s\s+p50 ms\s+p90 ms\s+p95 ms\s+p99 ms\s+avg ms\s+errors\s+stable$/)
    expect(lines[1]).toMatch(/^\s+1\s+2,469\s+0\.801\s+0\.900\s+0\.951\s+1\.200\s+0\.820\s+0\s+yes$/)
    expect(lines[2]).toMatch(/64 .* 2\s+no \(10 windows\)$/)
    expect(lines[3]).toBe('  concurrency 64: first error: HTTP 503: queue full')
    // right-aligned: the throughput column ends at the same place in the header and the rows
    expect(lines[1]!.indexOf('2,469') + 5).toBe(lines[0]!.indexOf('infer/s') + 7)
  })
})

describe('helpers', () => {
  it('alignColumns pads to the widest cell, left or right', () => {
    expect(alignColumns([['a', 'bb', 'x'], ['ccc', 'd', 'y']], [0])).toEqual(['a    bb  x', 'ccc   d  y'])
  })

  it('grouped writes thousands separators and one decimal below 100', () => {
    expect(grouped(1234567.8)).toBe('1,234,568')
    expect(grouped(42.25)).toBe('42.3')
    expect(grouped(NaN)).toBe('-')
  })
})
