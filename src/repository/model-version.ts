import type { ModelSession, SessionOptions } from '../backends/backend.js'
import type { ModelSignature } from '../core/signature.js'
import type { OutputLabels } from './labels.js'
import type { ModelState } from './model-state.js'
import type { ResolvedModelConfig } from './resolved-model-config.js'

/** The log sink the repository writes to (a pino logger fits). */
export interface RepositoryLogger {
  debug (obj: object, msg?: string): void
  info (obj: object, msg?: string): void
  warn (obj: object, msg?: string): void
  error (obj: object, msg?: string): void
}

/**
 * Lifecycle hooks for whoever executes requests (the engine's schedulers). `prepare` runs after a
 * version opened and its config completed, before it turns READY (warmup belongs here): a
 * rejection makes the version UNAVAILABLE with that reason, and `retire` is not called for it.
 * `retire` runs once a version stops being served (unload, reload, close), before its session
 * closes, and resolves when the version's requests have drained.
 *
 * A reload prepares the new version while the old one still serves, so `prepare` and `retire`
 * may run for two versions of the same model at the same time.
 */
export interface VersionHooks {
  prepare (version: ModelVersion): Promise<void>
  retire (version: ModelVersion): Promise<void>
}

/**
 * A served model version: everything a request needs. One object per load: a reload of the same
 * version number makes a new object, so a `Map<ModelVersion, …>` keyed by it never mixes them.
 */
export interface ModelVersion {
  readonly name: string
  readonly version: string
  readonly state: 'READY'
  readonly config: ResolvedModelConfig
  readonly signature: ModelSignature
  /** Class labels per output name, for outputs with a label_filename. */
  readonly labels: OutputLabels
  readonly session: ModelSession
  /** The model file the session was opened from. */
  readonly path: string
  /** The model's folder (config.yaml, labels, `warmup/`); for a single-file root, the file's folder. */
  readonly dir: string
  /** The backend that opened it, and the options it was opened with (to open it again elsewhere: a worker thread). */
  readonly backend: string
  readonly sessionOptions: SessionOptions
}

/** One row of the repository index (Triton's `$repository_index_response` entry). */
export interface RepositoryIndexEntry {
  readonly name: string
  /** Absent for a model none of whose versions could be considered (never loaded, or its config failed). */
  readonly version?: string
  readonly state: ModelState
  readonly reason: string
}
