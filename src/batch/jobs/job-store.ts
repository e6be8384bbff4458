import type { JobPatch, JobRecord, JobState } from './job.js'

/**
 * One firing of a schedule: the job it started, or why it was skipped. The input's modification
 * time and the model version served at that moment are kept, so that a reader can tell an output
 * computed from an older input (or an older model) from a fresh one.
 */
export interface ScheduleRun {
  readonly id: number
  readonly schedule: string
  /** ms since the epoch. */
  readonly firedAt: number
  readonly outcome: 'started' | 'skipped'
  readonly reason?: string
  readonly jobId?: string
  readonly inputMtime?: number
  readonly inputSize?: number
  readonly modelVersion?: string
}

export interface ListOptions {
  /** Most jobs returned, newest first. */
  readonly limit: number
  readonly state?: JobState
  readonly schedule?: string
}

/**
 * Where job state lives, so that it outlives the server process: a restarted server reads the
 * jobs still queued or running and runs them again. One implementation today (SQLite, the
 * default embedded store); the interface is what a shared store (Redis, Postgres) would fill.
 * Calls are synchronous: the embedded store answers from the process, and the job manager's
 * transitions stay atomic with respect to the event loop.
 */
export interface JobStore {
  insert (job: JobRecord): void
  get (id: string): JobRecord | undefined
  /** Newest first. */
  list (options: ListOptions): JobRecord[]
  /** Jobs queued or running, oldest first: the work a starting server takes up. */
  active (): JobRecord[]
  update (id: string, patch: JobPatch): JobRecord
  insertRun (run: Omit<ScheduleRun, 'id'>): ScheduleRun
  /** A schedule's runs, newest first. */
  runs (schedule: string, limit: number): ScheduleRun[]
  close (): void
}
