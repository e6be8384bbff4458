import { EventEmitter } from 'node:events'
import { readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import type { Backend, ModelSession, SessionOptions } from '../backends/backend.js'
import { MODEL_CONFIG_FILENAME } from '../config/constants.js'
import type { ModelSignature } from '../core/signature.js'
import { Errors } from '../errors/codes.js'
import { InferdError } from '../errors/inferd-error.js'
import { completeConfig } from './complete-config.js'
import { type OutputLabels, readOutputLabels } from './labels.js'
import { backendNameFor, sessionOptionsFor } from './load-options.js'
import { type ModelConfig, parseModelConfig } from './model-config.js'
import { canTransition, type ModelState, type ModelStateChange, REASONS } from './model-state.js'
import type { ResolvedModelConfig } from './resolved-model-config.js'
import { exists, listVersions, type ModelSource, scanRepository } from './scan.js'
import { parseVersionFolder, selectVersions } from './version-policy.js'

/** The log sink the repository writes to (a pino logger fits). */
export interface RepositoryLogger {
  debug (obj: object, msg?: string): void
  info (obj: object, msg?: string): void
  warn (obj: object, msg?: string): void
  error (obj: object, msg?: string): void
}

export interface ModelRepositoryOptions {
  /** A repository folder, or a single model file (served as one model, version 1). */
  readonly root: string
  /** The backend of a name (`onnxruntime`), or undefined when none is registered. */
  readonly backends: (name: string) => Backend | undefined
  /** max_batch_size for models that batch but whose config sets none (see completeConfig). */
  readonly defaultMaxBatchSize: number
  readonly logger: RepositoryLogger
  /** What runs a version's requests: prepared before the version is READY, retired before its session closes. */
  readonly hooks?: VersionHooks
  /** Models loaded at the same time by loadAll. Default 2 (one per core here). */
  readonly loadConcurrency?: number
  /** Whether KIND_AUTO instance groups go to a GPU. Default false. */
  readonly gpuAvailable?: boolean
}

/**
 * Lifecycle hooks for whoever executes requests (the engine's schedulers). `prepare` runs after a
 * version opened and its config completed, before it turns READY: a rejection makes the version
 * UNAVAILABLE with that reason. `retire` runs once a version stops being served (unload, reload,
 * close), before its session closes, and resolves when the version's requests have drained.
 */
export interface VersionHooks {
  prepare (version: ModelVersion): Promise<void>
  retire (version: ModelVersion): Promise<void>
}

/** A served model version: everything a request needs. */
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

/** Events of the repository, as listener signatures. */
export interface ModelRepositoryEvents {
  /** A model version (or, without version, a whole model) changed state. */
  state: (change: ModelStateChange) => void
}

interface VersionRecord {
  readonly version: number
  state: ModelState
  reason: string
  served: ModelVersion | undefined
}

interface ModelEntry {
  readonly source: ModelSource
  /** The model as a whole; meaningful while it has no version records. */
  state: ModelState
  reason: string
  versions: Map<number, VersionRecord>
  loading: Promise<void> | undefined
}

/**
 * The models of one repository and the lifecycle of their versions.
 *
 * `scan()` finds models, `loadAll()` loads every version each model's policy selects; a failure
 * marks that version (or model) UNAVAILABLE with the reason and never stops the others. `get()`
 * hands out READY versions only. Loading one model is one private method (`#loadModel`), so that
 * explicit load/unload and polling can reuse it.
 *
 * Ownership: the repository owns every session it opened and closes them in `close()`
 * (idempotent; loads still in flight are awaited, and what they open is closed at once).
 *
 * @example
 * const repo = new ModelRepository({ root: 'models', backends, defaultMaxBatchSize: 256, logger })
 * repo.on('state', (c) => logger.info(c, 'model state'))
 * await repo.loadAll()
 * const model = repo.get('mlp')
 */
export class ModelRepository {
  readonly #options: ModelRepositoryOptions
  readonly #log: RepositoryLogger
  readonly #models = new Map<string, ModelEntry>()
  readonly #events = new EventEmitter()
  #closed = false
  #closing: Promise<void> | undefined

  constructor (options: ModelRepositoryOptions) {
    this.#options = options
    this.#log = options.logger
  }

  /** The repository root this instance serves. */
  get root (): string { return this.#options.root }

  on<E extends keyof ModelRepositoryEvents> (event: E, listener: ModelRepositoryEvents[E]): this {
    this.#events.on(event, listener)
    return this
  }

  once<E extends keyof ModelRepositoryEvents> (event: E, listener: ModelRepositoryEvents[E]): this {
    this.#events.once(event, listener)
    return this
  }

  off<E extends keyof ModelRepositoryEvents> (event: E, listener: ModelRepositoryEvents[E]): this {
    this.#events.off(event, listener)
    return this
  }

  /**
   * Finds the repository's models and registers the new ones (UNAVAILABLE, 'not loaded').
   * Models already known are kept as they are.
   *
   * @returns the names of the models found, sorted
   * @throws InferdError REPOSITORY_INVALID when the root is missing or not a folder or model file
   */
  async scan (): Promise<string[]> {
    const sources = await scanRepository(this.#options.root, (name, why) => this.#log.debug({ model: name, reason: why }, 'ignoring repository entry'))
    for (const source of sources) {
      if (this.#models.has(source.name)) continue
      this.#models.set(source.name, { source, state: 'UNAVAILABLE', reason: REASONS.NOT_LOADED, versions: new Map(), loading: undefined })
    }
    return sources.map((s) => s.name)
  }

  /**
   * Scans, then loads every model that has no READY version, a few at a time. Resolves when every
   * model has been tried; failures are in `list()`, the log and the `'state'` events.
   *
   * @throws InferdError SHUTTING_DOWN after close(); REPOSITORY_INVALID from the scan
   */
  async loadAll (): Promise<void> {
    if (this.#closed) throw new InferdError(Errors.SHUTTING_DOWN)
    await this.scan()
    const pending = [...this.#models.values()].filter((e) => e.loading === undefined && ![...e.versions.values()].some((r) => r.state === 'READY'))
    const workers = Math.max(1, Math.min(this.#options.loadConcurrency ?? 2, pending.length))
    await Promise.all(Array.from({ length: workers }, async () => {
      for (let entry = pending.shift(); entry !== undefined; entry = pending.shift()) await this.#loadModel(entry)
    }))
  }

  /**
   * The served version of a model: the version asked for, or without one the highest READY version.
   *
   * @throws InferdError MODEL_NOT_FOUND, MODEL_VERSION_NOT_FOUND, or MODEL_NOT_READY with the reason
   */
  get (name: string, version?: string): ModelVersion {
    const entry = this.#models.get(name)
    if (entry === undefined) throw new InferdError(Errors.MODEL_NOT_FOUND, [name])
    const records = [...entry.versions.values()].sort((a, b) => b.version - a.version)
    if (version === undefined || version === '') {
      const ready = records.find((r) => r.served !== undefined)
      if (ready?.served !== undefined) return ready.served
      const newest = records[0]
      if (newest === undefined) throw new InferdError(Errors.MODEL_NOT_READY, [name, 'latest', entry.reason], { details: { state: entry.state } })
      throw notReady(name, newest)
    }
    const wanted = parseVersionFolder(version)
    const record = wanted === undefined ? undefined : entry.versions.get(wanted)
    if (record === undefined) {
      // A model whose config failed has no versions to look in: its reason says more than "no such version".
      if (entry.versions.size === 0 && wanted !== undefined) throw new InferdError(Errors.MODEL_NOT_READY, [name, version, entry.reason])
      throw new InferdError(Errors.MODEL_VERSION_NOT_FOUND, [name, version])
    }
    if (record.served === undefined) throw notReady(name, record)
    return record.served
  }

  /** Every model and version with its state and reason (Triton's repository index), sorted. */
  list (): RepositoryIndexEntry[] {
    const out: RepositoryIndexEntry[] = []
    for (const name of [...this.#models.keys()].sort()) {
      const entry = this.#models.get(name) as ModelEntry
      if (entry.versions.size === 0) {
        out.push({ name, state: entry.state, reason: entry.reason })
        continue
      }
      for (const r of [...entry.versions.values()].sort((a, b) => a.version - b.version)) {
        out.push({ name, version: String(r.version), state: r.state, reason: r.reason })
      }
    }
    return out
  }

  /** Closes every session (after loads in flight settle) and marks the versions unloaded. Idempotent. */
  close (): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true
      await Promise.allSettled([...this.#models.values()].map((e) => e.loading))
      for (const entry of this.#models.values()) {
        for (const record of entry.versions.values()) await this.#unloadVersion(entry, record)
      }
    })()
    return this.#closing
  }

  /** Loads one model: config, version selection, then each selected version in turn. Never throws. */
  #loadModel (entry: ModelEntry, configOverride?: ModelConfig): Promise<void> {
    const run = async (): Promise<void> => {
      const { name } = entry.source
      if (this.#closed) return
      let config: ModelConfig
      let backend: Backend
      let selected: { serve: readonly number[]; missing: readonly number[] }
      try {
        config = configOverride ?? await this.#readConfig(entry.source)
        const backendName = backendNameFor(name, config)
        backend = this.#options.backends(backendName) ??
          failModel(name, `backend '${backendName}' is not available`)
        const present = entry.source.kind === 'file' ? [1] : await listVersions(entry.source.dir)
        selected = selectVersions(present, config.version_policy)
        if (selected.serve.length === 0 && selected.missing.length === 0) {
          failModel(name, present.length === 0 ? 'no version folder (a folder named 1, 2, ...) holds a model' : 'the version policy selects no version')
        }
      } catch (err) {
        const reason = (err as Error).message
        this.#log.error({ model: name, reason }, 'model failed to load')
        this.#transition(entry, undefined, 'UNAVAILABLE', reason)
        return
      }
      // Records of versions no longer selected hold no session (only non-READY models are loaded here).
      for (const v of entry.versions.keys()) {
        if (!selected.serve.includes(v) && !selected.missing.includes(v)) entry.versions.delete(v)
      }
      for (const v of selected.missing) {
        const record = this.#record(entry, v)
        this.#transition(entry, record, 'UNAVAILABLE', `version ${v} is named by version_policy.specific but has no folder`)
        this.#log.warn({ model: name, version: v }, 'version named by the policy is missing')
      }
      const groupKind = config.instance_group?.[0]?.kind
      const gpu = groupKind === 'KIND_GPU' || ((groupKind === undefined || groupKind === 'KIND_AUTO') && this.#options.gpuAvailable === true)
      for (const v of selected.serve) {
        const record = this.#record(entry, v)
        this.#transition(entry, record, 'LOADING', '')
        try {
          record.served = await this.#loadVersion(entry.source, v, config, backend, gpu)
          this.#transition(entry, record, 'READY', '')
          this.#log.info({ model: name, version: v, maxBatchSize: record.served.config.max_batch_size }, 'model version ready')
        } catch (err) {
          const reason = (err as Error).message
          this.#transition(entry, record, 'UNAVAILABLE', reason)
          if (reason !== REASONS.CLOSED) this.#log.error({ model: name, version: v, reason, err }, 'model version failed to load')
        }
      }
    }
    const loading = run().finally(() => { entry.loading = undefined })
    entry.loading = loading
    return loading
  }

  /** Opens one version and completes its config. The session is closed again on any later failure. */
  async #loadVersion (source: ModelSource, version: number, config: ModelConfig, backend: Backend, gpu: boolean): Promise<ModelVersion> {
    const name = source.name
    const filename = config.default_model_filename ?? backend.defaultModelFilename
    const path = source.kind === 'file' ? source.file : join(source.dir, String(version), filename)
    if (!await exists(path)) {
      throw new InferdError(Errors.MODEL_LOAD_FAILED, [name, version, `model file ${relative(this.#options.root, path) || path} not found`])
    }
    const sessionOptions = sessionOptionsFor(name, config, gpu)
    const session = await backend.open(path, sessionOptions, this.#log).catch((err: unknown) => {
      throw new InferdError(Errors.MODEL_LOAD_FAILED, [name, version, (err as Error).message], { cause: err })
    })
    try {
      const completed = completeConfig(config, session.declared, {
        modelName: name,
        backend,
        defaultMaxBatchSize: this.#options.defaultMaxBatchSize,
        ...(this.#options.gpuAvailable === undefined ? {} : { gpuAvailable: this.#options.gpuAvailable }),
      })
      const labels = await readOutputLabels(name, source.dir, completed.config.output)
      if (this.#closed) throw new Error(REASONS.CLOSED)
      const served: ModelVersion = { name, version: String(version), state: 'READY', ...completed, labels, session, path, backend: backend.name, sessionOptions }
      await this.#options.hooks?.prepare(served)
      return served
    } catch (err) {
      await session.close().catch((closeErr: unknown) => this.#log.warn({ model: name, version, err: closeErr }, 'closing a failed session failed'))
      throw err
    }
  }

  async #readConfig (source: ModelSource): Promise<ModelConfig> {
    if (source.kind === 'file') return {}
    const file = join(source.dir, MODEL_CONFIG_FILENAME)
    if (!await exists(file)) return {}
    return parseModelConfig(await readFile(file, 'utf8'), { modelName: source.name, file })
  }

  async #unloadVersion (entry: ModelEntry, record: VersionRecord): Promise<void> {
    const served = record.served
    if (served === undefined) return
    this.#transition(entry, record, 'UNLOADING', '')
    record.served = undefined
    await this.#options.hooks?.retire(served).catch((err: unknown) => this.#log.warn({ model: served.name, version: served.version, err }, 'retiring a version failed'))
    await served.session.close().catch((err: unknown) => this.#log.warn({ model: served.name, version: served.version, err }, 'closing a session failed'))
    this.#transition(entry, record, 'UNAVAILABLE', REASONS.UNLOADED)
  }

  #record (entry: ModelEntry, version: number): VersionRecord {
    let record = entry.versions.get(version)
    if (record === undefined) {
      record = { version, state: 'UNAVAILABLE', reason: REASONS.NOT_LOADED, served: undefined }
      entry.versions.set(version, record)
    }
    return record
  }

  /** Moves a version (or, without one, the model) to a state, checks the move, and tells listeners. */
  #transition (entry: ModelEntry, record: VersionRecord | undefined, state: ModelState, reason: string): void {
    const target = record ?? entry
    if (!canTransition(target.state, state)) {
      throw new InferdError(Errors.INTERNAL, [`model '${entry.source.name}' cannot go from ${target.state} to ${state}`])
    }
    target.state = state
    target.reason = reason
    const change: ModelStateChange = { name: entry.source.name, ...(record === undefined ? {} : { version: String(record.version) }), state, reason }
    try {
      this.#events.emit('state', change)
    } catch (err) {
      // A listener's bug must not break loading: log it and go on.
      this.#log.error({ err, change }, "a 'state' listener threw")
    }
  }
}

function failModel (name: string, reason: string): never {
  throw new InferdError(Errors.MODEL_CONFIG_INVALID, [name, reason])
}

function notReady (name: string, record: VersionRecord): InferdError {
  const reason = record.reason === '' ? record.state.toLowerCase() : record.reason
  return new InferdError(Errors.MODEL_NOT_READY, [name, String(record.version), reason], { details: { state: record.state } })
}
