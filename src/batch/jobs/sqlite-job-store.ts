import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { dirname } from 'node:path'
import sqlite from 'node-sqlite3-wasm'
import type { JobStore, ListOptions, ScheduleRun } from './job-store.js'
import type { JobPatch, JobRecord, JobState } from './job.js'

/** Bumped when the tables change; a store written by a newer server is refused, not misread. */
const SCHEMA_VERSION = 1

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id              TEXT PRIMARY KEY,
  state           TEXT NOT NULL,
  model           TEXT NOT NULL,
  version         TEXT,
  input           TEXT NOT NULL,
  output          TEXT NOT NULL,
  rejects         TEXT,
  format          TEXT,
  batch_size      INTEGER,
  max_rejects     INTEGER,
  keep            TEXT,
  schedule        TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  started_at      INTEGER,
  finished_at     INTEGER,
  rows_done       INTEGER NOT NULL DEFAULT 0,
  written         INTEGER NOT NULL DEFAULT 0,
  rejected        INTEGER NOT NULL DEFAULT 0,
  bytes_read      INTEGER NOT NULL DEFAULT 0,
  total_bytes     INTEGER NOT NULL DEFAULT 0,
  rows_per_second REAL NOT NULL DEFAULT 0,
  model_version   TEXT,
  input_mtime     INTEGER,
  input_size      INTEGER,
  resumed_from    INTEGER,
  error_code      TEXT,
  error_message   TEXT,
  starts          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at);
CREATE TABLE IF NOT EXISTS schedule_runs (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  schedule      TEXT NOT NULL,
  fired_at      INTEGER NOT NULL,
  outcome       TEXT NOT NULL,
  reason        TEXT,
  job_id        TEXT,
  input_mtime   INTEGER,
  input_size    INTEGER,
  model_version TEXT
);
CREATE INDEX IF NOT EXISTS schedule_runs_schedule ON schedule_runs (schedule, id);
`

/** JobRecord field → column, for everything but `keep` and `error` (stored as JSON / two columns). */
const COLUMNS = {
  id: 'id', state: 'state', model: 'model', version: 'version', input: 'input', output: 'output',
  rejects: 'rejects', format: 'format', batchSize: 'batch_size', maxRejects: 'max_rejects', schedule: 'schedule',
  createdAt: 'created_at', updatedAt: 'updated_at', startedAt: 'started_at', finishedAt: 'finished_at',
  rowsDone: 'rows_done', written: 'written', rejected: 'rejected', bytesRead: 'bytes_read', totalBytes: 'total_bytes',
  rowsPerSecond: 'rows_per_second', modelVersion: 'model_version', inputMtime: 'input_mtime', inputSize: 'input_size',
  resumedFrom: 'resumed_from', starts: 'starts',
} as const satisfies Partial<Record<keyof JobRecord, string>>

type Row = Record<string, number | bigint | string | Uint8Array | null>
type Bindable = number | string | null

/**
 * The default job store: one SQLite file (node-sqlite3-wasm: SQLite compiled to wasm, on a real
 * file, no native build). Tables are created when missing, so a new path is a new empty store.
 * Each write is its own transaction, committed when the call returns: a server killed right
 * after answering `POST /v2/jobs` still finds the job on restart.
 *
 * One server per file: the store holds the file's lock while open (exclusive locking mode).
 * The wasm build locks with a directory beside the file (`<file>.lock`), which a killed process
 * leaves behind; so the store also records its owner (`<file>.owner`: pid and host), and a lock
 * whose owner is a process of this host that no longer exists is stale and removed. Any other
 * lock is refused with a message saying whose it is.
 */
export class SqliteJobStore implements JobStore {
  readonly #db: sqlite.Database
  readonly #owner: string

  constructor (file: string) {
    mkdirSync(dirname(file), { recursive: true })
    this.#owner = `${file}.owner`
    clearStaleLock(file, this.#owner)
    this.#db = new sqlite.Database(file)
    try {
      // Exclusive: the page cache survives between transactions (a read is then µs, not a re-read
      // of the file: ~10 ms each here), and a second server on the same file fails at start
      // instead of both writing. WAL without shared memory is allowed in exclusive mode; with
      // synchronous NORMAL a commit survives the process being killed (not a power cut).
      this.#db.exec('PRAGMA locking_mode = EXCLUSIVE')
      this.#db.exec('PRAGMA journal_mode = WAL')
      this.#db.exec('PRAGMA synchronous = NORMAL')
      const version = Number((this.#db.get('PRAGMA user_version') as Row | null)?.user_version ?? 0)
      if (version > SCHEMA_VERSION) throw new Error(`job store '${file}' has schema version ${version}; this inferd knows up to ${SCHEMA_VERSION}`)
      this.#db.exec(SCHEMA)
      this.#db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`)
    } catch (err) {
      this.#db.close()
      throw err
    }
    writeFileSync(this.#owner, JSON.stringify({ pid: process.pid, host: hostname() }))
  }

  insert (job: JobRecord): void {
    const values = toColumns(job)
    const names = Object.keys(values)
    this.#db.run(`INSERT INTO jobs (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`, Object.values(values))
  }

  get (id: string): JobRecord | undefined {
    const row = this.#db.get('SELECT * FROM jobs WHERE id = ?', [id]) as Row | null
    return row === null ? undefined : fromRow(row)
  }

  list (options: ListOptions): JobRecord[] {
    const where: string[] = []
    const values: Bindable[] = []
    if (options.state !== undefined) { where.push('state = ?'); values.push(options.state) }
    if (options.schedule !== undefined) { where.push('schedule = ?'); values.push(options.schedule) }
    const sql = `SELECT * FROM jobs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, rowid DESC LIMIT ?`
    return (this.#db.all(sql, [...values, options.limit]) as Row[]).map(fromRow)
  }

  active (): JobRecord[] {
    return (this.#db.all("SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY created_at, rowid") as Row[]).map(fromRow)
  }

  update (id: string, patch: JobPatch): JobRecord {
    const values = toColumns(patch)
    const names = Object.keys(values)
    if (names.length > 0) {
      this.#db.run(`UPDATE jobs SET ${names.map((n) => `${n} = ?`).join(', ')} WHERE id = ?`, [...Object.values(values), id])
    }
    const job = this.get(id)
    if (job === undefined) throw new Error(`job '${id}' is not in the store`)
    return job
  }

  insertRun (run: Omit<ScheduleRun, 'id'>): ScheduleRun {
    const result = this.#db.run(
      'INSERT INTO schedule_runs (schedule, fired_at, outcome, reason, job_id, input_mtime, input_size, model_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [run.schedule, run.firedAt, run.outcome, run.reason ?? null, run.jobId ?? null, run.inputMtime ?? null, run.inputSize ?? null, run.modelVersion ?? null],
    )
    return { ...run, id: Number(result.lastInsertRowid) }
  }

  runs (schedule: string, limit: number): ScheduleRun[] {
    const rows = this.#db.all('SELECT * FROM schedule_runs WHERE schedule = ? ORDER BY id DESC LIMIT ?', [schedule, limit]) as Row[]
    return rows.map((r) => ({
      id: Number(r.id),
      schedule: String(r.schedule),
      firedAt: Number(r.fired_at),
      outcome: r.outcome === 'skipped' ? 'skipped' : 'started',
      ...optional('reason', str(r.reason)),
      ...optional('jobId', str(r.job_id)),
      ...optional('inputMtime', num(r.input_mtime)),
      ...optional('inputSize', num(r.input_size)),
      ...optional('modelVersion', str(r.model_version)),
    }))
  }

  close (): void {
    if (!this.#db.isOpen) return
    this.#db.close()
    rmSync(this.#owner, { force: true })
  }
}

/**
 * Removes the lock a killed server left on `file`: one whose recorded owner is a process of this
 * host that is gone. A live owner, another host's, or no record at all: the lock stays, and
 * opening fails with a message that says whose it is and what to do.
 */
function clearStaleLock (file: string, ownerFile: string): void {
  const lock = `${file}.lock`
  if (!existsSync(lock)) return
  let owner: { pid?: unknown; host?: unknown } | undefined
  try { owner = JSON.parse(readFileSync(ownerFile, 'utf8')) as typeof owner } catch { owner = undefined }
  const pid = typeof owner?.pid === 'number' ? owner.pid : undefined
  if (pid !== undefined && owner?.host === hostname() && !isAlive(pid)) {
    rmSync(lock, { recursive: true, force: true })
    return
  }
  const whose = pid === undefined ? 'an unknown process' : `process ${pid} on ${String(owner?.host)}`
  throw new Error(`in use by ${whose} (lock ${lock}); if no inferd server uses this store, remove the lock`)
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' // exists, but not ours to signal
  }
}

/** The columns a record (or patch) sets: only the fields it has. */
function toColumns (job: Partial<JobRecord>): Record<string, Bindable> {
  const out: Record<string, Bindable> = {}
  for (const [field, column] of Object.entries(COLUMNS)) {
    if (!(field in job)) continue
    const v = job[field as keyof typeof COLUMNS]
    out[column] = v === undefined ? null : v
  }
  if ('keep' in job) out.keep = job.keep === undefined ? null : JSON.stringify(job.keep)
  if ('error' in job) {
    out.error_code = job.error?.code ?? null
    out.error_message = job.error?.message ?? null
  }
  return out
}

function fromRow (r: Row): JobRecord {
  const errorCode = str(r.error_code)
  return {
    id: String(r.id),
    state: String(r.state) as JobState,
    model: String(r.model),
    ...optional('version', str(r.version)),
    input: String(r.input),
    output: String(r.output),
    ...optional('rejects', str(r.rejects)),
    ...optional('format', str(r.format)),
    ...optional('batchSize', num(r.batch_size)),
    ...optional('maxRejects', num(r.max_rejects)),
    ...optional('keep', r.keep === null ? undefined : JSON.parse(String(r.keep)) as string[]),
    ...optional('schedule', str(r.schedule)),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    ...optional('startedAt', num(r.started_at)),
    ...optional('finishedAt', num(r.finished_at)),
    rowsDone: Number(r.rows_done),
    written: Number(r.written),
    rejected: Number(r.rejected),
    bytesRead: Number(r.bytes_read),
    totalBytes: Number(r.total_bytes),
    rowsPerSecond: Number(r.rows_per_second),
    ...optional('modelVersion', str(r.model_version)),
    ...optional('inputMtime', num(r.input_mtime)),
    ...optional('inputSize', num(r.input_size)),
    ...optional('resumedFrom', num(r.resumed_from)),
    ...optional('error', errorCode === undefined ? undefined : { code: errorCode, message: str(r.error_message) ?? '' }),
    starts: Number(r.starts),
  }
}

const str = (v: Row[string] | undefined): string | undefined => (v === null || v === undefined ? undefined : String(v))
const num = (v: Row[string] | undefined): number | undefined => (v === null || v === undefined ? undefined : Number(v))

/** `{ key: value }`, or nothing when the value is undefined (exactOptionalPropertyTypes). */
function optional<K extends string, V> (key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}
