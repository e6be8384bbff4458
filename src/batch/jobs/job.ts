/**
 * A batch job of the server's jobs API: what was asked (the spec) and where it stands (the
 * record). A job is a run of the batch runner (src/batch/runner.ts) over server-side files, so
 * its spec mirrors the runner's options, with paths already resolved inside the allow-list.
 *
 *   queued ──► running ──► succeeded | failed | cancelled
 *     └──────────────────────────────────────► cancelled   (DELETE before it started)
 *
 * A server that stops (or dies) while a job is queued or running leaves it so in the store; the
 * next server on the same store runs it again, and the runner's checkpoint resumes it where its
 * last committed micro-batch ended.
 */
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'

export const JOB_STATES: readonly JobState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled']

/** States a job leaves only by running: what a restarted server picks up. */
export function isActive (state: JobState): boolean {
  return state === 'queued' || state === 'running'
}

/** What a client (or a schedule) asks for. Paths are absolute and real (symbolic links resolved). */
export interface JobSpec {
  readonly model: string
  readonly version?: string
  readonly input: string
  readonly output: string
  readonly rejects?: string
  readonly format?: string
  readonly batchSize?: number
  readonly maxRejects?: number
  readonly keep?: readonly string[]
  /** The schedule that started the job, when one did. */
  readonly schedule?: string
}

/** A job's error, as the API shows it: the registry code (or the error's name) and its message. */
export interface JobError {
  readonly code: string
  readonly message: string
}

/**
 * A job's counters, as the batch runner reports them after each committed micro-batch: the
 * running job's live position, and in its record the last one reported.
 */
export interface JobProgress {
  /** Input rows done (written or rejected), the runner's checkpointed position. */
  readonly rowsDone: number
  readonly written: number
  readonly rejected: number
  readonly bytesRead: number
  readonly totalBytes: number
  readonly rowsPerSecond: number
  /** The model version serving the job (known once it started). */
  readonly modelVersion?: string
  /** Rows a resumed run found already done (from its checkpoint); 0 for a fresh start. */
  readonly resumedFrom?: number
}

/**
 * Just the counters of `p` (a runner's report carries more: ETA, fraction), those not known
 * left out: what a job's record keeps of a report.
 */
export function jobProgress (p: JobProgress): JobProgress {
  return {
    rowsDone: p.rowsDone,
    written: p.written,
    rejected: p.rejected,
    bytesRead: p.bytesRead,
    totalBytes: p.totalBytes,
    rowsPerSecond: p.rowsPerSecond,
    ...(p.modelVersion === undefined ? {} : { modelVersion: p.modelVersion }),
    ...(p.resumedFrom === undefined ? {} : { resumedFrom: p.resumedFrom }),
  }
}

/** Where a job stands. Times are ms since the epoch; counters are the runner's last report. */
export interface JobRecord extends JobSpec, JobProgress {
  readonly id: string
  readonly state: JobState
  readonly createdAt: number
  readonly updatedAt: number
  readonly startedAt?: number
  readonly finishedAt?: number
  /** The input's modification time (ms since the epoch) and size, when the job last started. */
  readonly inputMtime?: number
  readonly inputSize?: number
  readonly error?: JobError
  /** How many times a server started the job (more than 1: it was resumed after a restart). */
  readonly starts: number
}

/** The fields a running job changes. */
export type JobPatch = Partial<Omit<JobRecord, 'id' | 'createdAt' | keyof JobSpec>>
