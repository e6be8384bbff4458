import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type IrisRowKind, writeIrisCsv } from '../helpers/iris-data.js'
import { EXAMPLES_REPO, ROOT } from '../helpers/paths.js'

/**
 * `inferd batch` as a user runs it: the built CLI (`node dist/cli/bin.js`, built by `npm test`)
 * in real processes, killed with SIGKILL at random points and run again. Every process started
 * here is killed in afterEach, and every wait is bounded.
 */

const BIN = join(ROOT, 'dist', 'cli', 'bin.js')
const WAIT_MS = 60_000

interface Exit { code: number | null; signal: NodeJS.Signals | null }

class BatchCli {
  readonly child: ChildProcessWithoutNullStreams
  readonly exited: Promise<Exit>
  stdout = ''
  stderr = ''
  exit: Exit | undefined

  constructor (args: readonly string[]) {
    this.child = spawn(process.execPath, [BIN, 'batch', '--model-repository', EXAMPLES_REPO, ...args], { cwd: ROOT })
    this.child.stdout.setEncoding('utf8').on('data', (s: string) => { this.stdout += s })
    this.child.stderr.setEncoding('utf8').on('data', (s: string) => { this.stderr += s })
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => { this.exit = { code, signal }; resolve(this.exit) })
    })
  }

  /** Rows committed, as the latest plain progress line says (0 before the first). */
  rowsDone (): number {
    const lines = [...this.stderr.matchAll(/inferd batch: ([\d,]+) rows \(/g)]
    const last = lines.at(-1)?.[1]
    return last === undefined ? 0 : Number(last.replaceAll(',', ''))
  }

  async waitForExit (ms = WAIT_MS): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`inferd batch still running after ${ms} ms\n${this.stderr.slice(-2000)}`)), ms)
    })
    try {
      return await Promise.race([this.exited, timeout])
    } finally {
      clearTimeout(timer)
    }
  }
}

const started = new Set<BatchCli>()
afterEach(async () => {
  for (const p of started) if (p.exit === undefined) p.child.kill('SIGKILL')
  await Promise.all([...started].map((p) => p.exited))
  started.clear()
})

function batch (...args: string[]): BatchCli {
  const p = new BatchCli(args)
  started.add(p)
  return p
}

async function run (...args: string[]): Promise<Exit & { stdout: string; stderr: string }> {
  const p = batch(...args)
  const exit = await p.waitForExit()
  return { ...exit, stdout: p.stdout, stderr: p.stderr }
}

let dir: string
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'inferd-batch-cli-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const everyNth = (n: number) => (i: number): IrisRowKind => (i % n === n - 1 ? (i % 2 === 0 ? 'missing' : 'text') : 'good')

/** A CSV file as header + rows of cells (the outputs here hold no quoted commas). */
async function readCsv (path: string): Promise<string[][]> {
  return (await readFile(path, 'utf8')).trimEnd().split('\n').map((l) => l.split(','))
}

async function readJsonl (path: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(path, 'utf8')
  return text.trimEnd().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe('inferd batch', () => {
  it('killed with SIGKILL at random points and run again, ends with every row exactly once, in order, as an uninterrupted run scores it', async () => {
    const n = 100_000
    const input = join(dir, 'crash.csv')
    const kinds = await writeIrisCsv(input, n, { bad: everyNth(997) })
    const common = ['--model', 'iris', '--input', input, '--keep', 'id', '--max-rejects', '1000']

    const reference = join(dir, 'reference.csv')
    const ref = await run(...common, '--output', reference, '--progress', 'none', '--json')
    expect(ref, ref.stderr).toMatchObject({ code: 0, signal: null })

    const output = join(dir, 'crashed.csv')
    const args = [...common, '--output', output, '--batch-size', '128', '--progress', 'lines', '--progress-interval', '0.05']
    // Three kills at random points in three bands of the file, each a random few ms after the
    // progress line that crossed its target, so kills land mid-batch, mid-write or mid-checkpoint.
    const targets = [[0.08, 0.25], [0.35, 0.5], [0.55, 0.7]].map(([lo, hi]) => Math.round(n * ((lo as number) + Math.random() * ((hi as number) - (lo as number)))))
    const killedAt: number[] = []
    for (const target of targets) {
      const p = batch(...args)
      const deadline = Date.now() + WAIT_MS
      while (p.exit === undefined && p.rowsDone() < target && Date.now() < deadline) await sleep(10)
      await sleep(Math.random() * 40)
      expect(p.exit, `finished before the kill at row ${target}\n${p.stderr.slice(-1500)}`).toBeUndefined()
      killedAt.push(p.rowsDone())
      p.child.kill('SIGKILL')
      expect(await p.waitForExit()).toEqual({ code: null, signal: 'SIGKILL' })
      expect(existsSync(`${output}.checkpoint.json`)).toBe(true)
    }
    const last = await run(...args, '--json')
    expect(last, last.stderr).toMatchObject({ code: 0, signal: null })
    const summary = JSON.parse(last.stdout) as Record<string, number>
    expect(summary).toMatchObject({ rows: n, rejected: kinds.filter((k) => k !== 'good').length, modelVersion: '1' })
    expect(summary.resumedFrom).toBeGreaterThan(0)
    expect(killedAt[0]).toBeGreaterThan(0)

    // Same rows as the uninterrupted run, each good input row exactly once and in input order.
    const [header, ...rows] = await readCsv(output)
    const [refHeader, ...refRows] = await readCsv(reference)
    expect(header).toEqual(['row', 'id', 'species', 'species_score'])
    expect(refHeader).toEqual(header)
    const good = kinds.flatMap((k, i) => (k === 'good' ? [i] : []))
    expect(rows.map((r) => Number(r[0]))).toEqual(good)
    expect(rows.map((r) => r[1])).toEqual(good.map((i) => `r${i}`))
    expect(rows.length).toBe(refRows.length)
    rows.forEach((r, i) => {
      const want = refRows[i] as string[]
      if (r[2] !== want[2] || Math.abs(Number(r[3]) - Number(want[3])) > 1e-6) throw new Error(`row ${r[0]}: ${r.join(',')} but uninterrupted: ${want.join(',')}`)
    })
    // Each bad row in the rejects file exactly once, with its reason, as in the uninterrupted run.
    const rejects = await readJsonl(`${output}.rejects.jsonl`)
    expect(rejects.map((r) => r.row)).toEqual(kinds.flatMap((k, i) => (k === 'good' ? [] : [i])))
    expect(rejects.map((r) => [r.row, r.error, r.code])).toEqual((await readJsonl(`${reference}.rejects.jsonl`)).map((r) => [r.row, r.error, r.code]))
    expect(existsSync(`${output}.checkpoint.json`)).toBe(false)
  }, 180_000)

  it('stops with exit code 3 and a message naming the budget when rejects exceed --max-rejects, and resumes with a larger one', async () => {
    const input = join(dir, 'budget.csv')
    const kinds = await writeIrisCsv(input, 3000, { bad: everyNth(50) })
    const output = join(dir, 'budget.jsonl')
    const first = await run('--model', 'iris', '--input', input, '--output', output, '--max-rejects', '10', '--progress', 'none')
    expect(first.code).toBe(3)
    expect(first.stderr).toMatch(/batch stopped: \d+ rejected rows exceed the error budget of 10 \(--max-rejects\)/)
    expect(first.stderr).toContain(`${output}.rejects.jsonl`)
    expect(existsSync(`${output}.checkpoint.json`)).toBe(true)

    const second = await run('--model', 'iris', '--input', input, '--output', output, '--max-rejects', '100', '--progress', 'none', '--json')
    expect(second, second.stderr).toMatchObject({ code: 0 })
    expect(JSON.parse(second.stdout)).toMatchObject({ rows: 3000, rejected: 60, written: 2940 })
    expect((await readJsonl(output)).map((r) => r.row)).toEqual(kinds.flatMap((k, i) => (k === 'good' ? [i] : [])))
    expect((await readJsonl(`${output}.rejects.jsonl`)).map((r) => r.row)).toEqual(kinds.flatMap((k, i) => (k === 'good' ? [] : [i])))
  }, 60_000)

  it('prints progress lines with rows/s and ETA when stderr is not a terminal, and a summary at the end', async () => {
    const input = join(dir, 'summary.csv')
    await writeIrisCsv(input, 20_000)
    const output = join(dir, 'summary.parquet')
    const r = await run('--model', 'iris', '--input', input, '--output', output, '--batch-size', '32', '--progress-interval', '0.01')
    expect(r, r.stderr).toMatchObject({ code: 0 })
    expect(r.stderr).toMatch(/^inferd batch: [\d,]+ rows \(\d+\.\d%\), [\d,]+ rows\/s, 0 rejected, ETA (\d+m)?\d+s$/m)
    expect(r.stdout).toMatch(/^rows: +20,000$/m)
    expect(r.stdout).toMatch(/^rejected: +0$/m)
    expect(r.stdout).toMatch(/^time: +\d+\.\d s$/m)
    expect(r.stdout).toMatch(/^throughput: +[\d,]+ rows\/s$/m)
    expect(r.stdout).toMatch(/^model: +iris version 1$/m)
    expect(existsSync(output)).toBe(true)
  }, 60_000)

  it('exits 2 with the reason for a usage mistake: a missing input, an unknown model', async () => {
    const missing = await run('--model', 'iris', '--input', join(dir, 'nope.csv'), '--output', join(dir, 'x.csv'))
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/batch input '.*nope\.csv': no such file \[INFERD_ERR_BATCH_FILE_INVALID\]/)
    const input = join(dir, 'tiny.csv')
    await writeIrisCsv(input, 5)
    const unknown = await run('--model', 'no_such_model', '--input', input, '--output', join(dir, 'y.csv'))
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/no_such_model/)
  }, 60_000)
})
