import type { CancelSignal } from '../../core/cancellation.js'
import type { JobProgress, JobSpec } from './job.js'

/** What a finished run reports. */
export interface JobOutcome {
  readonly rowsDone: number
  readonly written: number
  readonly rejected: number
  /** This run's rows per second (resumed rows not counted). */
  readonly rowsPerSecond: number
  readonly modelVersion: string
  /** Rows a resumed run found already done in its checkpoint. */
  readonly resumedFrom: number
}

/**
 * How the job manager runs one job: the batch runner over the job's files, its micro-batches
 * queued as background work. It resolves once the whole input is done, and rejects on failure.
 * When `signal` aborts it stops at a micro-batch boundary, its checkpoint kept; it may then
 * resolve (with what was done) or reject, the manager decides the state from why it aborted.
 */
export type RunJob = (spec: JobSpec, hooks: { readonly signal: CancelSignal; readonly onProgress: (p: JobProgress) => void }) => Promise<JobOutcome>
