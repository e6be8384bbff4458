import { spawn } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, SCHEDULER_REPO } from '../helpers/paths.js'
import { startServer } from '../helpers/server.js'
import { waitUntil } from '../helpers/temp-repo.js'

/**
 * A server killed with SIGKILL in the middle of a job (no shutdown of any kind: the job store's
 * last transaction and the runner's files are as the kill left them). A new server on the same
 * store takes the job up and finishes it; the output holds every input row exactly once.
 * slow_identity (y = x, ~30 ms a row at n = 400) keeps the job running for seconds.
 */

let root: string
let repo: string
let data: string
beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'inferd-jobs-kill-')))
  repo = join(root, 'models')
  data = join(root, 'data')
  await mkdir(join(repo, 'slow_identity', '1'), { recursive: true })
  await mkdir(data)
  for (const f of ['config.yaml', '1/model.onnx']) await copyFile(join(SCHEDULER_REPO, 'slow_identity', f), join(repo, 'slow_identity', f))
})
afterAll(async () => { await rm(root, { recursive: true, force: true }) })

/** `inferd serve` in a child process (through tsx); resolves with its URL once it listens. */
async function spawnServer (db: string): Promise<{ url: string; kill: () => Promise<void> }> {
  const child = spawn(process.execPath, [
    '--import', 'tsx', join(ROOT, 'src', 'cli', 'bin.ts'), 'serve', repo,
    '--http-port', '0', '--grpc-port', '0', '--log-level', 'info', '--batch-allow-dir', data, '--jobs-db', db,
  ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within 30 s:\n${out}`)), 30_000)
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out)
      if (m !== null) { clearTimeout(timer); resolve(m[1]!) }
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => { out += s })
    child.once('close', () => { clearTimeout(timer); reject(new Error(`inferd exited before listening:\n${out}`)) })
  })
  return { url, kill: async () => { child.kill('SIGKILL'); await exited } }
}

describe('a server killed mid-job', () => {
  it('leaves the job to the next server on the same store, which finishes it with every row exactly once', async () => {
    const rows = 48
    const input = join(data, 'in.jsonl')
    const output = join(data, 'out.jsonl')
    await writeFile(input, Array.from({ length: rows }, (_, r) => JSON.stringify({ x: new Array(400).fill(r + 1) })).join('\n') + '\n')
    const db = join(root, 'jobs.db')
    const first = await spawnServer(db)
    let id: string
    try {
      const res = await fetch(`${first.url}/v2/jobs`, { method: 'POST', body: JSON.stringify({ model: 'slow_identity', input, output, batch_size: 4 }) })
      expect(res.status).toBe(201)
      id = ((await res.json()) as { id: string }).id
      await waitUntil('rows done in the first server', async () => ((await (await fetch(`${first.url}/v2/jobs/${id}`)).json()) as { progress: { rows: number } }).progress.rows, (n) => n >= 8, 30_000)
      // Killed once the runner's checkpoint (written every 200 ms at most) has recorded some of them.
      await waitUntil('rows checkpointed', async () => JSON.parse(await readFile(`${output}.checkpoint.json`, 'utf8').catch(() => '{}')) as { rowsDone?: number }, (cp) => (cp.rowsDone ?? 0) > 0, 30_000)
    } finally {
      await first.kill()
    }
    const second = await startServer(repo, { batchAllowDirs: [data], jobsDb: db })
    try {
      const done = await waitUntil('the job finished in the second server', async () => (await fetch(`${second.httpUrl}/v2/jobs/${id}`)).json() as Promise<any>, (j) => j.state !== 'running' && j.state !== 'queued', 30_000)
      expect(done.error).toBeNull()
      expect(done).toMatchObject({ state: 'succeeded', starts: 2, progress: { rows, written: rows } })
      expect(done.resumed_from).toBeGreaterThan(0)
      const lines = (await readFile(output, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { row: number; y: unknown })
      expect(lines.map((l) => l.row)).toEqual(Array.from({ length: rows }, (_, i) => i))
      for (const l of lines) {
        const y = typeof l.y === 'string' ? JSON.parse(l.y) as unknown : l.y
        expect(new Set([y].flat(3))).toEqual(new Set([l.row + 1]))
      }
    } finally {
      await second.close()
    }
  })
})
