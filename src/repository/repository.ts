import { EventEmitter } from 'node:events'
import type { Backend } from '../backends/backend.js'
import type { CancelSignal } from '../core/cancellation.js'
import { Errors } from '../errors/codes.js'
import { InferdError } from '../errors/inferd-error.js'
import { type EntryContext, ModelEntry } from './model-entry.js'
import { fingerprintModel } from './model-fingerprint.js'
import type { ModelConfig } from './model-config.js'
import type { ModelStateChange } from './model-state.js'
import type { ModelVersion, RepositoryIndexEntry, RepositoryLogger, VersionHooks } from './model-version.js'
import { RepositoryPoller } from './repository-poller.js'
import { scanRepository } from './scan.js'

export type { ModelVersion, RepositoryIndexEntry, RepositoryLogger, VersionHooks } from './model-version.js'

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
  /**
   * Models loaded at the same time by loadAll. Default 1: opening a session and timing it (the
   * execution-mode probe) are CPU work on the main thread, so concurrent loads gain little and
   * disturb each other's probes (seen: a 0.3 ms MLP timed at over 1 ms beside an image model's
   * load, and sent to worker threads).
   */
  readonly loadConcurrency?: number
  /** Whether KIND_AUTO instance groups go to a GPU. Default false. */
  readonly gpuAvailable?: boolean
}

/** How long, and until what, a request waits for a model that is loading. */
export interface WaitOptions {
  /** Milliseconds at most; 0 does not wait. */
  readonly waitMs: number
  /** Stops the wait (REQUEST_CANCELLED) when the client goes away. */
  readonly signal?: CancelSignal
}

/** Events of the repository, as listener signatures. */
export interface ModelRepositoryEvents {
  /** A model version (or, without version, a whole model) changed state, or its reason changed. */
  state: (change: ModelStateChange) => void
}

/**
 * The models of one repository and the lifecycle of their versions (Triton's model control).
 *
 * - `loadAll()` (mode none, and poll's start) loads every model; a failure marks that version or
 *   model UNAVAILABLE with the reason and never stops the others.
 * - `load(name)` / `unload(name)` (mode explicit) load, reload or unload one model; `poll()` and
 *   `startPolling()` (mode poll) reload what changed on disk, load new models, unload removed ones.
 * - `get()` hands out READY versions only; `whenReady()` waits while a model is loading.
 *
 * Each model's operations run one at a time (see {@link ModelEntry}); a reload opens the new
 * version beside the one serving and swaps only once it is READY, so no request fails for it.
 *
 * Ownership: the repository owns every session it opened and closes them in `close()`
 * (idempotent; operations still in flight are awaited, and what they open is closed at once).
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
  /** Requests waiting for a model to load, woken on every change. */
  readonly #waiters = new Set<() => void>()
  /** Free start-up load slots, and loads waiting for one. */
  #freeSlots: number
  readonly #slotQueue: Array<() => void> = []
  readonly #entryContext: EntryContext
  #poller: RepositoryPoller | undefined
  #findChain: Promise<void> = Promise.resolve()
  #closed = false
  #closing: Promise<void> | undefined

  constructor (options: ModelRepositoryOptions) {
    this.#options = options
    this.#log = options.logger
    this.#freeSlots = Math.max(1, options.loadConcurrency ?? 1)
    this.#entryContext = {
      root: options.root,
      backends: options.backends,
      defaultMaxBatchSize: options.defaultMaxBatchSize,
      gpuAvailable: options.gpuAvailable,
      hooks: options.hooks,
      log: options.logger,
      closed: () => this.#closed,
      emit: (change) => this.#emit(change),
      settled: () => this.#wake(),
    }
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
   * Finds the repository's models and registers the new ones (UNAVAILABLE, 'not loaded'). Known
   * models are kept; one whose folder is gone is forgotten when nothing of it serves.
   *
   * @returns the names of the models found, sorted
   * @throws InferdError REPOSITORY_INVALID when the root is missing or not a folder or model file
   */
  async scan (): Promise<string[]> {
    const sources = await scanRepository(this.#options.root, (name, why) => this.#log.debug({ model: name, reason: why }, 'ignoring repository entry'))
    const found = new Set(sources.map((s) => s.name))
    for (const source of sources) {
      if (!this.#models.has(source.name)) this.#models.set(source.name, new ModelEntry(source, this.#entryContext))
    }
    for (const [name, entry] of this.#models) {
      if (!found.has(name) && !entry.busy && !entry.serving) this.#models.delete(name)
    }
    return [...found]
  }

  /**
   * Scans, then loads every model that has no READY version (or, with `names`, those models),
   * a few at a time. Resolves when each has been tried; failures are in `list()`, the log and the
   * `'state'` events. Requests for a model queued here wait for it (see whenReady).
   *
   * @throws InferdError SHUTTING_DOWN after close(); REPOSITORY_INVALID from the scan
   */
  async loadAll (names?: readonly string[]): Promise<void> {
    if (this.#closed) throw new InferdError(Errors.SHUTTING_DOWN)
    const loads = new Map<string, Promise<unknown>>()
    const queue = (): void => {
      for (const entry of this.#models.values()) {
        if (loads.has(entry.name) || entry.loading || entry.serving || (names !== undefined && !names.includes(entry.name))) continue
        loads.set(entry.name, entry.load({ slot: () => this.#slot() }))
      }
    }
    // Models found by an earlier scan are queued before this scan yields, so that a request
    // arriving meanwhile already waits for its model instead of finding it 'not loaded'.
    queue()
    await this.scan()
    queue()
    await Promise.all(loads.values())
  }

  /**
   * Loads a model, or reloads it if loaded: versions whose files changed since they were opened
   * (all of them, with a config override) are opened beside the serving ones and swapped in
   * once READY; versions the policy no longer selects are retired. Concurrent calls for the
   * same model run one after the other.
   *
   * @param configOverride - used instead of the model's config.yaml (see parseConfigOverride)
   * @throws InferdError MODEL_NOT_FOUND when the repository has no such model; the first
   *   failure (MODEL_CONFIG_INVALID, MODEL_LOAD_FAILED, …) after trying, what served before
   *   still serving; SHUTTING_DOWN after close()
   */
  async load (name: string, configOverride?: ModelConfig): Promise<void> {
    const entry = this.#known(name) ?? await this.#find(name)
    const failure = await entry.load(configOverride === undefined ? {} : { configOverride })
    if (failure !== undefined) throw failure
  }

  /**
   * Unloads every version of a model: new requests get MODEL_NOT_READY at once, requests already
   * taken finish, then the sessions close. Resolves when they have. Unloading a model that is
   * not loaded is not an error.
   *
   * @throws InferdError MODEL_NOT_FOUND; SHUTTING_DOWN after close()
   */
  async unload (name: string): Promise<void> {
    const entry = this.#known(name) ?? await this.#find(name)
    await entry.unload()
  }

  /** Rescans, then lists every model and version (Triton's repository index); `ready` keeps READY rows only. */
  async index (options: { readonly ready?: boolean } = {}): Promise<RepositoryIndexEntry[]> {
    if (!this.#closed) await this.scan()
    const rows = this.list()
    return options.ready === true ? rows.filter((r) => r.state === 'READY') : rows
  }

  /** Every model and version with its state and reason, as known now (no rescan), sorted. */
  list (): RepositoryIndexEntry[] {
    return [...this.#models.keys()].sort().flatMap((name) => (this.#models.get(name) as ModelEntry).index())
  }

  /**
   * The served version of a model: the version asked for, or without one the highest READY version.
   *
   * @throws InferdError MODEL_NOT_FOUND, MODEL_VERSION_NOT_FOUND, or MODEL_NOT_READY with the reason
   */
  get (name: string, version?: string): ModelVersion {
    const entry = this.#models.get(name)
    if (entry === undefined) throw new InferdError(Errors.MODEL_NOT_FOUND, [name])
    return entry.served(version)
  }

  /**
   * Like get(), but a model that is not ready while a load of it is queued or running passes: a
   * request for it may wait (whenReady). Lets a protocol adapter refuse unknown models early.
   */
  check (name: string, version?: string): void {
    try {
      this.get(name, version)
    } catch (err) {
      if (!this.#mayBecomeReady(name, err)) throw err
    }
  }

  /**
   * Resolves once get(name, version) would succeed, waiting while the model loads (first load,
   * reload of a version not yet served, warmup) for at most `waitMs`. It does not return the
   * version: call get() right after, in the same turn as using it, so a reload cannot swap it in
   * between.
   *
   * @throws InferdError what get() throws, at once when no load is under way or after the wait;
   *   REQUEST_CANCELLED when `signal` aborts
   */
  async whenReady (name: string, version: string | undefined, options: WaitOptions): Promise<void> {
    const deadline = performance.now() + options.waitMs
    for (;;) {
      try {
        this.get(name, version)
        return
      } catch (err) {
        const left = deadline - performance.now()
        if (!this.#mayBecomeReady(name, err) || left <= 0) throw err
        if (options.signal?.aborted === true) throw new InferdError(Errors.REQUEST_CANCELLED)
        await this.#nextChange(left, options.signal)
      }
    }
  }

  /**
   * One poll of the repository: new models are loaded, models whose folder is gone are unloaded
   * and forgotten, models whose files changed are reloaded (see load). Models with an operation
   * under way are left for the next poll. Never throws; problems are logged.
   */
  async poll (): Promise<void> {
    if (this.#closed) return
    let found: Set<string>
    try {
      found = new Set(await this.scan())
    } catch (err) {
      this.#log.warn({ err }, 'repository poll: scan failed; keeping the models as they are')
      return
    }
    for (const entry of [...this.#models.values()]) {
      if (this.#closed) return
      if (entry.busy) continue
      if (!found.has(entry.name)) {
        this.#log.info({ model: entry.name }, 'model removed from the repository: unloading')
        await entry.unload()
        await entry.idle()
        if (!entry.busy && !entry.serving) this.#models.delete(entry.name)
        continue
      }
      const files = await fingerprintModel(entry.source)
      if (files.whole === entry.attempted) continue
      this.#log.info({ model: entry.name }, entry.attempted === undefined ? 'new model in the repository: loading' : 'model files changed: reloading')
      await entry.load()
    }
  }

  /** Polls every `intervalMs` until close() (mode poll). Calling it again does nothing. */
  startPolling (intervalMs: number): void {
    if (this.#closed || this.#poller !== undefined) return
    this.#poller = new RepositoryPoller(intervalMs, () => this.poll(), this.#log)
    this.#poller.start()
  }

  /** Stops polling, waits for operations in flight, closes every session. Idempotent. */
  close (): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true
      this.#wake()
      await this.#poller?.stop()
      await Promise.all([...this.#models.values()].map((e) => e.idle()))
      for (const entry of this.#models.values()) await entry.closeAll()
    })()
    return this.#closing
  }

  /**
   * A model already known: its operation is queued in this very turn, so requests arriving from
   * now on see it loading, and calls queue in the order they were made.
   */
  #known (name: string): ModelEntry | undefined {
    if (this.#closed) throw new InferdError(Errors.SHUTTING_DOWN)
    return this.#models.get(name)
  }

  /** A model not known yet: rescans (a folder added since start-up is loadable too), one scan after another so calls keep their order. */
  async #find (name: string): Promise<ModelEntry> {
    const scanned = this.#findChain.then(() => this.scan())
    this.#findChain = scanned.then(() => {}, () => {})
    await scanned
    if (this.#closed) throw new InferdError(Errors.SHUTTING_DOWN)
    const entry = this.#models.get(name)
    if (entry === undefined) throw new InferdError(Errors.MODEL_NOT_FOUND, [name])
    return entry
  }

  #mayBecomeReady (name: string, err: unknown): boolean {
    if (this.#closed || !(err instanceof InferdError)) return false
    if (err.code !== Errors.MODEL_NOT_READY.code && err.code !== Errors.MODEL_VERSION_NOT_FOUND.code) return false
    return this.#models.get(name)?.loading === true
  }

  #nextChange (ms: number, signal: CancelSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      // CancelSignal has no removeEventListener: a listener left behind calls done() again, which
      // does nothing once resolved.
      const done = (): void => {
        clearTimeout(timer)
        this.#waiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.#waiters.add(done)
      signal?.addEventListener('abort', done, { once: true })
    })
  }

  #wake (): void {
    for (const done of [...this.#waiters]) done()
  }

  /** Start-up loads run `loadConcurrency` at a time; a slot is released by calling the function it resolves to. */
  #slot (): Promise<() => void> {
    const release = (): void => {
      const next = this.#slotQueue.shift()
      if (next !== undefined) next(); else this.#freeSlots++
    }
    if (this.#freeSlots > 0) {
      this.#freeSlots--
      return Promise.resolve(release)
    }
    return new Promise((resolve) => this.#slotQueue.push(() => resolve(release)))
  }

  #emit (change: ModelStateChange): void {
    try {
      this.#events.emit('state', change)
    } catch (err) {
      // A listener's bug must not break loading: log it and go on.
      this.#log.error({ err, change }, "a 'state' listener threw")
    }
    this.#wake()
  }
}
