import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BENCH_DEFAULTS, runBench, type WindowProgress } from '../../../src/bench/index.js'
import type { InferdServer } from '../../../src/server.js'
import { FIXTURE_REPO, ROOT } from '../../helpers/paths.js'
import { startServer } from '../../helpers/server.js'

/**
 * `inferd bench` end to end: the CLI (run from source through tsx, so it is always the current
 * code) drives a real inferd on the fixture model `simple` (two INT32 [batch,16] inputs) with
 * tiny windows. Behaviour only: columns, successful requests, no errors; never timing.
 */
const run = promisify(execFile)
let server: InferdServer
let url: string
const dir = mkdtempSync(join(tmpdir(), 'inferd-bench-e2e-'))

beforeAll(async () => {
  server = await startServer(FIXTURE_REPO)
  url = server.httpUrl.replace(/^http:\/\//, '')
})
afterAll(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

function bench (...args: string[]) {
  return run(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'bench', ...args], { cwd: ROOT, timeout: 30_000 })
}

const TINY = ['-p', '200', '--warmup', '100', '-r', '3', '-q']

// Concurrent: most of each case is the CLI's start-up, which overlaps well with the others' windows.
describe.concurrent('inferd bench', () => {
  it('sweeps a concurrency range with binary requests: JSON on stdout, CSV in -f', async () => {
    const csvPath = join(dir, 'out.csv')
    const { stdout } = await bench('-m', 'simple', '-u', url, '--concurrency-range', '1:2', '--json', '-f', csvPath, ...TINY)
    const report = JSON.parse(stdout)
    expect(report.tool).toBe('inferd bench')
    expect(report.settings).toMatchObject({
      model: 'simple', batchSize: 1, inputTensorFormat: 'binary', outputTensorFormat: 'binary', measurementIntervalMs: 200, stabilityPercentage: 10,
      inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 16] }, { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] }],
    })
    expect(report.results.map((r: { level: number }) => r.level)).toEqual([1, 2])
    for (const r of report.results) {
      expect(r.mode).toBe('concurrency')
      expect(r.errors).toBe(0)
      expect(r.requests).toBeGreaterThan(0)
      expect(r.requestsPerSecond).toBeGreaterThan(0)
      expect(r.inferencesPerSecond).toBe(r.requestsPerSecond)
      expect(r.latencyUs.p50).toBeGreaterThan(0)
      expect(r.latencyUs.p99).toBeGreaterThanOrEqual(r.latencyUs.p50)
      expect(r.windows).toBeGreaterThanOrEqual(3)
    }
    const [header, ...rows] = readFileSync(csvPath, 'utf8').trimEnd().split('\n')
    expect(header!.split(',')).toEqual([
      'Concurrency', 'Inferences/Second', 'Requests/Second', 'p50 latency', 'p90 latency', 'p95 latency', 'p99 latency',
      'Avg latency', 'Min latency', 'Max latency', 'Successful Requests', 'Errors', 'Stable', 'Windows',
    ])
    expect(rows.map((r) => r.split(',')[0])).toEqual(['1', '2'])
    for (const row of rows) {
      const cols = row.split(',')
      expect(Number(cols[1])).toBeGreaterThan(0)
      expect(cols[11]).toBe('0')
    }
  })

  it('drives a request rate with JSON requests, prints the table and writes JSON to a .json -f', async () => {
    const jsonPath = join(dir, 'out.json')
    const { stdout } = await bench('-m', 'simple', '-u', url, '--request-rate-range', '200', '--input-tensor-format', 'json',
      '--output-tensor-format', 'json', '--request-distribution', 'poisson', '-f', jsonPath, ...TINY)
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toContain('simple at http://')
    expect(lines[1]).toMatch(/^Request Rate\s+infer\/s\s+p50 ms\s+p90 ms\s+p95 ms\s+p99 ms\s+avg ms\s+errors\s+stable$/)
    expect(lines[2]).toMatch(/^\s+200\s+[\d,.]+\s+\d+\.\d{3}/)
    const report = JSON.parse(readFileSync(jsonPath, 'utf8'))
    expect(report.settings).toMatchObject({ inputTensorFormat: 'json', requestDistribution: 'poisson' })
    expect(report.results[0]).toMatchObject({ mode: 'request_rate', level: 200, errors: 0 })
    expect(report.results[0].requests).toBeGreaterThan(0)
  })

  it('fails clearly, with exit code 1, for a model the server does not have', async () => {
    const missing = await bench('-m', 'nope', '-u', url, ...TINY).then(() => undefined, (err: { code: number; stderr: string }) => err)
    expect(missing?.code).toBe(1)
    expect(missing?.stderr).toMatch(/GET http:\/\/.*\/v2\/models\/nope: HTTP 404/)
  })
})

describe('runBench as a library', () => {
  it('takes single windows when asked for stabilityWindows 1 (bench/run.ts\'s rounds), and echoes the setting', async () => {
    const windows: WindowProgress[] = []
    const report = await runBench({
      ...BENCH_DEFAULTS, url, model: 'simple', mode: 'concurrency', levels: [2],
      measurementIntervalMs: 200, warmupMs: 100, stabilityWindows: 1, maxTrials: 1,
      progress: { window: (p) => { windows.push(p) }, level: () => {} },
    })
    expect(windows.map((w) => w.window)).toEqual([0, 1])
    expect(windows[1]!.requests).toBeGreaterThan(0)
    expect(report.results[0]).toMatchObject({ windows: 1, reportedWindows: 1, stable: true, errors: 0, requests: windows[1]!.requests })
    expect(report.settings.stabilityWindows).toBe(1)
  })
})
