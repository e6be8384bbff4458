import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { JobRecord } from './job.js'
import { SqliteJobStore } from './sqlite-job-store.js'

let dir: string
let file: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inferd-job-store-'))
  file = join(dir, 'sub', 'jobs.db')
})
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

const job = (id: string, createdAt: number, o: Partial<JobRecord> = {}): JobRecord => ({
  id, state: 'queued', model: 'iris', input: '/data/in.csv', output: '/data/out.csv',
  createdAt, updatedAt: createdAt, rowsDone: 0, written: 0, rejected: 0, bytesRead: 0, totalBytes: 0, rowsPerSecond: 0, starts: 0,
  ...o,
})

describe('SqliteJobStore', () => {
  it('keeps every field of a job across a reopen of the file (a restarted server)', () => {
    const full = job('a', 1000, {
      version: '2', rejects: '/data/rej.jsonl', format: 'csv', batchSize: 64, maxRejects: 10, keep: ['id', 'x'], schedule: 'nightly',
      startedAt: 1001, finishedAt: 1002, state: 'failed', rowsDone: 5, written: 4, rejected: 1, bytesRead: 50, totalBytes: 100,
      rowsPerSecond: 12.5, modelVersion: '2', inputMtime: 999, inputSize: 100, resumedFrom: 3, error: { code: 'INFERD_ERR_X', message: 'bad' }, starts: 2,
    })
    const minimal = job('b', 2000)
    const s1 = new SqliteJobStore(file)
    s1.insert(full)
    s1.insert(minimal)
    s1.close()
    const s2 = new SqliteJobStore(file)
    expect(s2.get('a')).toEqual(full)
    expect(s2.get('b')).toEqual(minimal) // optional fields stay absent, not null
    expect(s2.get('nope')).toBeUndefined()
    s2.close()
  })

  it('lists newest first with a limit and filters, and gives the active jobs oldest first', () => {
    const s = new SqliteJobStore(file)
    s.insert(job('j1', 1, { state: 'succeeded' }))
    s.insert(job('j2', 2, { state: 'running', schedule: 'hourly' }))
    s.insert(job('j3', 3))
    s.insert(job('j4', 4, { state: 'cancelled', schedule: 'hourly' }))
    expect(s.list({ limit: 10 }).map((j) => j.id)).toEqual(['j4', 'j3', 'j2', 'j1'])
    expect(s.list({ limit: 2 }).map((j) => j.id)).toEqual(['j4', 'j3'])
    expect(s.list({ limit: 10, state: 'queued' }).map((j) => j.id)).toEqual(['j3'])
    expect(s.list({ limit: 10, schedule: 'hourly' }).map((j) => j.id)).toEqual(['j4', 'j2'])
    expect(s.active().map((j) => j.id)).toEqual(['j2', 'j3'])
    s.close()
  })

  it('updates only the fields of a patch and returns the new record', () => {
    const s = new SqliteJobStore(file)
    s.insert(job('a', 1, { keep: ['k'] }))
    const updated = s.update('a', { state: 'running', startedAt: 5, rowsDone: 7, modelVersion: '1', error: { code: 'C', message: 'm' } })
    expect(updated).toEqual(job('a', 1, { keep: ['k'], state: 'running', startedAt: 5, rowsDone: 7, modelVersion: '1', error: { code: 'C', message: 'm' } }))
    expect(() => s.update('missing', { state: 'failed' })).toThrow(/not in the store/)
    s.close()
  })

  it('records schedule runs, newest first', () => {
    const s = new SqliteJobStore(file)
    const r1 = s.insertRun({ schedule: 'n', firedAt: 10, outcome: 'started', jobId: 'a', inputMtime: 5, inputSize: 9, modelVersion: '1' })
    s.insertRun({ schedule: 'other', firedAt: 11, outcome: 'started', jobId: 'b' })
    const r2 = s.insertRun({ schedule: 'n', firedAt: 12, outcome: 'skipped', reason: 'input unchanged', inputMtime: 5, inputSize: 9, modelVersion: '1' })
    expect(s.runs('n', 10)).toEqual([r2, r1])
    expect(r2.id).toBeGreaterThan(r1.id)
    expect(s.runs('n', 1)).toEqual([r2])
    s.close()
  })

  it('refuses a file that is not a SQLite database, and one from a newer schema', async () => {
    const junk = join(dir, 'junk.db')
    await writeFile(junk, 'this is not sqlite, just text long enough to have a header of some sort ........')
    expect(() => new SqliteJobStore(junk)).toThrow()
    const s = new SqliteJobStore(file)
    s.close()
    const sqlite = (await import('node-sqlite3-wasm')).default
    const db = new sqlite.Database(file)
    db.exec('PRAGMA locking_mode = EXCLUSIVE') // the store's file is in WAL mode, which the wasm build opens only so
    db.exec('PRAGMA user_version = 99')
    db.close()
    expect(() => new SqliteJobStore(file)).toThrow(/schema version 99/)
  })
})

describe('SqliteJobStore locking', () => {
  it('lets one store (one server) hold a file at a time', () => {
    const s1 = new SqliteJobStore(file)
    s1.insert(job('a', 1))
    expect(() => { const s2 = new SqliteJobStore(file); s2.close() }).toThrow(new RegExp(`in use by process ${process.pid}`))
    s1.close()
    const s3 = new SqliteJobStore(file)
    expect(s3.get('a')?.id).toBe('a')
    s3.close()
  })
})

describe('SqliteJobStore after a crash', () => {
  it('takes over the lock a dead process of this host left, and refuses one a live process holds', async () => {
    const s1 = new SqliteJobStore(file)
    s1.insert(job('a', 1))
    s1.close()
    // What a server killed while holding the store leaves: the lock directory, and its owner record.
    const { mkdirSync, writeFileSync } = await import('node:fs')
    const { hostname } = await import('node:os')
    const { spawnSync } = await import('node:child_process')
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
    mkdirSync(`${file}.lock`)
    writeFileSync(`${file}.owner`, JSON.stringify({ pid: Number(dead.stdout), host: hostname() }))
    const s2 = new SqliteJobStore(file)
    expect(s2.get('a')?.id).toBe('a')
    s2.close()
    mkdirSync(`${file}.lock`)
    writeFileSync(`${file}.owner`, JSON.stringify({ pid: process.ppid, host: hostname() }))
    expect(() => new SqliteJobStore(file)).toThrow(new RegExp(`in use by process ${process.ppid}`))
  })
})
