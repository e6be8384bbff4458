import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Queue } from 'bullmq'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { runBatch } from '../../src/batch/runner.js'
import { resolveConfig } from '../../src/config/resolve.js'
import { createLogger } from '../../src/observability/logger.js'
import { createRuntime, type InferdRuntime } from '../../src/runtime.js'
import { EXAMPLES_REPO, ROOT } from '../helpers/paths.js'
import { startRedis, type TestRedis } from '../helpers/redis.js'

/**
 * Distributed batch as a user runs it: a real redis-server, three `inferd worker` processes and
 * the `inferd batch --distributed` coordinator (the built CLI, dist/), one worker killed with
 * SIGKILL while it holds a chunk. The output must be the single-process run's, byte for byte:
 * every input row exactly once, in input order, rejects included.
 */

const BIN = join(ROOT, 'dist', 'cli', 'bin.js')
const WAIT_MS = 60_000
const QUEUE = 'inferd-batch-e2e'

interface Proc { child: ChildProcessWithoutNullStreams; out: string; exited: Promise<number | null> }
const procs = new Set<Proc>()

function start (args: readonly string[]): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } })
  const p: Proc = { child, out: '', exited: new Promise((resolve) => child.once('close', (code) => resolve(code))) }
  child.stdout.setEncoding('utf8').on('data', (s: string) => { p.out += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { p.out += s })
  procs.add(p)
  return p
}

async function waitFor<T> (what: string, probe: () => Promise<T | undefined> | T | undefined, ms = WAIT_MS): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

let redis: TestRedis
let dir: string
let input: string
let single: { output: string; rejects: string }
const ROWS = 40_000

/**
 * Iris measurements with what makes chunking hard: a quoted text column holding commas, quotes
 * and line breaks (a cut must not fall inside it), blank lines (not rows: numbering must skip
 * them as the single-process reader does), and bad rows spread over several chunks (rejects,
 * renumbered to the file's row numbers).
 */
function irisCsv (rows: number): string {
  const lines = ['sepal_length,sepal_width,petal_length,petal_width,id,note']
  let seed = 7
  const r = (): number => { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
  for (let i = 0; i < rows; i++) {
    if (i % 9973 === 5000) lines.push('')
    const note = i % 101 === 0 ? `"line one, ""quoted""\nline two ${i}"` : `n${i}`
    const sl = i % 7919 === 3 ? 'not-a-number' : (4 + r() * 4).toFixed(1)
    lines.push([sl, (2 + r() * 2).toFixed(1), (1 + r() * 6).toFixed(1), (r() * 2.5).toFixed(1), `id${i}`, note].join(','))
  }
  return lines.join('\n') + '\n'
}

beforeAll(async () => {
  redis = await startRedis()
  dir = await mkdtemp(join(tmpdir(), 'inferd-distributed-'))
  input = join(dir, 'iris.csv')
  await writeFile(input, irisCsv(ROWS))
  // The reference: the same file through the single-process runner.
  single = { output: join(dir, 'single.csv'), rejects: join(dir, 'single.rejects.jsonl') }
  const runtime: InferdRuntime = createRuntime(resolveConfig({ modelRepository: EXAMPLES_REPO, modelControlMode: 'explicit', logLevel: 'silent' }), createLogger('silent'))
  try {
    await runtime.repository.scan()
    await runtime.repository.load('iris')
    const s = await runBatch({ model: 'iris', input, output: single.output, rejects: single.rejects, keep: ['id', 'note'] }, runtime)
    expect(s).toMatchObject({ rows: ROWS })
    expect(s.rejected).toBeGreaterThan(2)
  } finally {
    await runtime.close()
  }
}, 120_000)

afterEach(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
  await Promise.all([...procs].map((p) => p.exited))
  procs.clear()
})

afterAll(async () => {
  await redis?.stop()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

describe('inferd batch --distributed with inferd worker processes', () => {
  it('gives the single-process output when one of three workers is SIGKILLed holding a chunk', async () => {
    expect(existsSync(BIN), 'the CLI is built (npm run build)').toBe(true)
    const workerArgs = ['worker', '--queue', redis.url, '--queue-name', QUEUE, '--model-repository', EXAMPLES_REPO, '--model', 'iris', '--lock-duration', '2000', '--stalled-interval', '1000']
    const workers = [start(workerArgs), start(workerArgs), start(workerArgs)]
    await Promise.all(workers.map((w) => waitFor('worker start-up', () => (w.out.includes('worker taking chunks') ? true : undefined))))

    const output = join(dir, 'distributed.csv')
    const rejects = join(dir, 'distributed.rejects.jsonl')
    const coordinator = start(['batch', '--model', 'iris', '--input', input, '--output', output, '--rejects', rejects, '--keep', 'id,note',
      '--distributed', redis.url, '--queue-name', QUEUE, '--chunk-rows', '1500', '--progress', 'none', '--json'])

    // The victim: the first worker, killed the moment Redis shows it holding a chunk.
    const victim = workers[0] as Proc
    const queue = new Queue(QUEUE, { connection: { url: redis.url } })
    try {
      const held = await waitFor('a chunk held by the victim', async () => {
        const active = await queue.getActive()
        return active.find((j) => j.processedBy === `${hostname()}:${victim.child.pid}`)?.id
      })
      victim.child.kill('SIGKILL')
      expect(await victim.exited).toBeNull() // killed, no exit code

      expect(await coordinator.exited, coordinator.out).toBe(0)
      // Another worker found the victim's chunk stalled and put it back; it was then scored elsewhere.
      const survivors = workers.slice(1).map((w) => w.out).join('')
      expect(survivors).toContain(`"job":"${held}"`)
      expect(survivors).toMatch(/its worker stopped renewing the lock/)
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed')
      expect(counts).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 })
    } finally {
      await queue.close()
    }

    const summary = JSON.parse(coordinator.out.trim().split('\n').at(-1) as string) as Record<string, unknown>
    expect(summary).toMatchObject({ rows: ROWS, modelName: 'iris', modelVersion: '1', resumedFrom: 0 })
    const [got, want] = await Promise.all([readFile(output, 'utf8'), readFile(single.output, 'utf8')])
    expect(got === want, 'the distributed output equals the single-process output byte for byte').toBe(true)
    expect(await readFile(rejects, 'utf8')).toBe(await readFile(single.rejects, 'utf8'))
    // Every input row once, in order: output rows and rejects together number 0…ROWS-1.
    const written = await csvRowNumbers(output)
    const rejected = (await readFile(rejects, 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { row: number }).row)
    expect(written.length + rejected.length).toBe(ROWS)
    expect(isIncreasing(written)).toBe(true)
    expect([...written, ...rejected].sort((a, b) => a - b)).toEqual(Array.from({ length: ROWS }, (_, i) => i))
    expect(existsSync(`${output}.chunks`)).toBe(false) // the work folder is gone once assembled

    for (const w of workers.slice(1)) w.child.kill('SIGTERM')
    expect(await Promise.all(workers.slice(1).map((w) => w.exited))).toEqual([0, 0])
  }, 120_000)
})

/** The `row` column of a CSV output (its first column). Rows with a quoted note span lines, so parse properly. */
async function csvRowNumbers (path: string): Promise<number[]> {
  const { parse } = await import('csv-parse/sync')
  const records = parse(await readFile(path), { columns: true }) as Array<{ row: string }>
  return records.map((r) => Number(r.row))
}

function isIncreasing (xs: readonly number[]): boolean {
  for (let i = 1; i < xs.length; i++) if ((xs[i] as number) <= (xs[i - 1] as number)) return false
  return true
}
