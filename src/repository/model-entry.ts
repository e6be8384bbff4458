import { Errors } from '../errors/codes.js'
import { InferdError, toInferdError } from '../errors/inferd-error.js'
import { fingerprintModel } from './model-fingerprint.js'
import type { ModelConfig } from './model-config.js'
import { canTransition, type ModelState, type ModelStateChange, REASONS } from './model-state.js'
import type { ModelVersion, RepositoryIndexEntry } from './model-version.js'
import type { ModelSource } from './scan.js'
import { type LoaderContext, type LoadPlan, openVersion, planLoad, retireVersion } from './version-loader.js'
import { parseVersionFolder } from './version-policy.js'

/** What an entry needs from its repository. */
export interface EntryContext extends LoaderContext {
  /** Publishes a state change (listeners, and requests waiting for the model). */
  readonly emit: (change: ModelStateChange) => void
  /** Called whenever an operation on the entry finished. */
  readonly settled: () => void
}

export interface LoadOptions {
  /** A config to use instead of the model's config.yaml (the load API's `config` parameter). */
  readonly configOverride?: ModelConfig
  /** Waits for a free load slot before starting (the repository's start-up concurrency). */
  readonly slot?: () => Promise<() => void>
}

interface VersionRecord {
  readonly version: number
  state: ModelState
  reason: string
  served: ModelVersion | undefined
  /** What `served` was opened from: the files' fingerprint and the config's origin. */
  openedFrom: string
}

/**
 * One model of the repository: its versions, their states, and the operations that change them.
 *
 * Operations (load, unload) run one at a time, in call order, so a load and an unload of the same
 * model never interleave. A load is also a reload, and it never interrupts service:
 *
 *   plan (config, policy) ─► open each selected version that is new or whose files changed,
 *     BESIDE the one serving it ─► swap it in ─► retire (drain, close) the replaced ones and
 *     the versions the policy no longer selects
 *
 * `served()` reads the version objects synchronously, so a request that got the old version has
 * enqueued on its scheduler before a swap can happen; retiring then drains it. A failure keeps
 * what serves: a reload that fails leaves the old load in place (its reason says why), and
 * versions the policy drops stay while a version meant to replace them failed to load.
 */
export class ModelEntry {
  readonly source: ModelSource
  /** The model as a whole; meaningful while it has no version records. */
  state: ModelState = 'UNAVAILABLE'
  reason: string = REASONS.NOT_LOADED
  /** The files' fingerprint when the last load started (the poller compares against it). */
  attempted: string | undefined
  readonly #versions = new Map<number, VersionRecord>()
  readonly #ctx: EntryContext
  #chain: Promise<unknown> = Promise.resolve()
  #pendingLoads = 0
  #pendingOps = 0

  constructor (source: ModelSource, ctx: EntryContext) {
    this.source = source
    this.#ctx = ctx
  }

  get name (): string { return this.source.name }
  /** A load is queued or running: requests for the model may wait for it. */
  get loading (): boolean { return this.#pendingLoads > 0 }
  /** Any operation is queued or running. */
  get busy (): boolean { return this.#pendingOps > 0 }
  /** Some version is being served. */
  get serving (): boolean { return [...this.#versions.values()].some((r) => r.served !== undefined) }

  /** Resolves once every operation queued so far has finished. */
  idle (): Promise<void> { return this.#chain.then(() => {}, () => {}) }

  /** Loads or reloads (see the class comment). Resolves with the first failure, or undefined; never rejects. */
  load (options: LoadOptions = {}): Promise<InferdError | undefined> {
    return this.#serial(true, async () => {
      const release = await options.slot?.()
      try {
        return await this.#load(options.configOverride)
      } finally {
        release?.()
      }
    })
  }

  /** Retires every served version (its requests drain first); the records stay, 'unloaded'. */
  unload (): Promise<void> {
    return this.#serial(false, async () => {
      for (const record of this.#versions.values()) await this.#unloadVersion(record)
    })
  }

  /**
   * The version serving requests: the one asked for, or without one the highest READY version.
   *
   * @throws InferdError MODEL_VERSION_NOT_FOUND, or MODEL_NOT_READY with the reason
   */
  served (version?: string): ModelVersion {
    const name = this.name
    const records = [...this.#versions.values()].sort((a, b) => b.version - a.version)
    if (version === undefined || version === '') {
      const ready = records.find((r) => r.served !== undefined)
      if (ready?.served !== undefined) return ready.served
      const newest = records[0]
      if (newest === undefined) throw new InferdError(Errors.MODEL_NOT_READY, [name, 'latest', this.reason], { details: { state: this.state } })
      throw notReady(name, newest)
    }
    const wanted = parseVersionFolder(version)
    const record = wanted === undefined ? undefined : this.#versions.get(wanted)
    if (record === undefined) {
      // A model whose config failed has no versions to look in: its reason says more than "no such version".
      if (this.#versions.size === 0 && wanted !== undefined) throw new InferdError(Errors.MODEL_NOT_READY, [name, version, this.reason])
      throw new InferdError(Errors.MODEL_VERSION_NOT_FOUND, [name, version])
    }
    if (record.served === undefined) throw notReady(name, record)
    return record.served
  }

  /** The model's rows of the repository index, versions ascending. */
  index (): RepositoryIndexEntry[] {
    if (this.#versions.size === 0) return [{ name: this.name, state: this.state, reason: this.reason }]
    return [...this.#versions.values()].sort((a, b) => a.version - b.version)
      .map((r) => ({ name: this.name, version: String(r.version), state: r.state, reason: r.reason }))
  }

  /** For close(): retires what serves, outside the queue (close awaited it already). */
  async closeAll (): Promise<void> {
    for (const record of this.#versions.values()) await this.#unloadVersion(record)
  }

  #serial<T> (isLoad: boolean, op: () => Promise<T>): Promise<T> {
    if (isLoad) this.#pendingLoads++
    this.#pendingOps++
    const run = this.#chain.then(op)
    this.#chain = run.then(() => {}, () => {}).then(() => {
      if (isLoad) this.#pendingLoads--
      this.#pendingOps--
      this.#ctx.settled()
    })
    return run
  }

  async #load (override: ModelConfig | undefined): Promise<InferdError | undefined> {
    const ctx = this.#ctx
    if (ctx.closed()) return undefined
    const files = await fingerprintModel(this.source)
    this.attempted = files.whole
    let plan: LoadPlan
    try {
      plan = await planLoad(this.source, override, ctx)
    } catch (err) {
      return this.#planFailed(toInferdError(err, Errors.MODEL_CONFIG_INVALID, this.name, (err as Error).message))
    }
    // A config override always reopens (Triton: the load API with a config reloads); otherwise
    // only versions whose files (or the model's shared files) changed since they were opened.
    const origin = override === undefined ? 'file' : 'override'
    const openedFrom = (v: number): string => `${origin}\n${files.model}\n${files.versions.get(v) ?? ''}`
    let failure: InferdError | undefined
    const replaced: ModelVersion[] = []
    for (const v of plan.serve) {
      const record = this.#record(v)
      const from = openedFrom(v)
      if (record.served !== undefined && origin === 'file' && record.openedFrom === from) {
        // Serving what is on disk now: a reason left by an earlier failed reload no longer holds.
        if (record.reason !== '') this.#note(record, '')
        continue
      }
      const first = record.served === undefined
      if (first) this.#transition(record, 'LOADING', '')
      try {
        const next = await openVersion(this.source, v, plan, ctx)
        if (record.served !== undefined) replaced.push(record.served)
        record.served = next
        record.openedFrom = from
        if (first) this.#transition(record, 'READY', '')
        else this.#note(record, '')
        ctx.log.info({ model: this.name, version: v, maxBatchSize: next.config.max_batch_size }, first ? 'model version ready' : 'model version reloaded')
      } catch (err) {
        const reason = (err as Error).message
        if (reason !== REASONS.CLOSED) failure ??= toInferdError(err, Errors.MODEL_LOAD_FAILED, this.name, v, reason)
        if (first) this.#transition(record, 'UNAVAILABLE', reason)
        else this.#note(record, `reload failed, the previous load still serves: ${reason}`)
        if (reason !== REASONS.CLOSED) ctx.log.error({ model: this.name, version: v, reason, err }, first ? 'model version failed to load' : 'model version failed to reload')
      }
    }
    for (const old of replaced) await retireVersion(old, ctx)
    await this.#dropUnselected(plan, failure)
    return failure
  }

  /** Versions the policy no longer selects: retired (unless a replacement failed), then forgotten. */
  async #dropUnselected (plan: LoadPlan, failure: InferdError | undefined): Promise<void> {
    for (const record of [...this.#versions.values()]) {
      if (plan.serve.includes(record.version)) continue
      const missing = plan.missing.includes(record.version)
      if (record.served !== undefined) {
        if (failure !== undefined) {
          this.#note(record, `kept serving: no longer selected, but a newer load failed (${failure.message})`)
          continue
        }
        await this.#unloadVersion(record)
        this.#ctx.log.info({ model: this.name, version: record.version }, 'model version retired: no longer selected')
      }
      if (missing) {
        this.#transition(record, 'UNAVAILABLE', `version ${record.version} is named by version_policy.specific but has no folder`)
        this.#ctx.log.warn({ model: this.name, version: record.version }, 'version named by the policy is missing')
      } else {
        this.#versions.delete(record.version)
      }
    }
    for (const v of plan.missing) {
      if (this.#versions.has(v)) continue
      this.#transition(this.#record(v), 'UNAVAILABLE', `version ${v} is named by version_policy.specific but has no folder`)
      this.#ctx.log.warn({ model: this.name, version: v }, 'version named by the policy is missing')
    }
  }

  /** The config (or backend, or policy) failed: what serves keeps serving; otherwise the model is UNAVAILABLE. */
  #planFailed (err: InferdError): InferdError {
    const reason = err.message
    this.#ctx.log.error({ model: this.name, reason }, 'model failed to load')
    if (this.serving) {
      for (const record of this.#versions.values()) {
        if (record.served !== undefined) this.#note(record, `reload failed, the previous load still serves: ${reason}`)
      }
      return err
    }
    // Records of earlier attempts would hide the model-level reason in the index.
    this.#versions.clear()
    this.#transition(undefined, 'UNAVAILABLE', reason)
    return err
  }

  async #unloadVersion (record: VersionRecord): Promise<void> {
    const served = record.served
    if (served === undefined) return
    this.#transition(record, 'UNLOADING', '')
    record.served = undefined
    await retireVersion(served, this.#ctx)
    this.#transition(record, 'UNAVAILABLE', REASONS.UNLOADED)
  }

  #record (version: number): VersionRecord {
    let record = this.#versions.get(version)
    if (record === undefined) {
      record = { version, state: 'UNAVAILABLE', reason: REASONS.NOT_LOADED, served: undefined, openedFrom: '' }
      this.#versions.set(version, record)
    }
    return record
  }

  /** Moves a version (or, without one, the model) to a state, checks the move, and tells listeners. */
  #transition (record: VersionRecord | undefined, state: ModelState, reason: string): void {
    const target = record ?? this
    if (!canTransition(target.state, state)) {
      throw new InferdError(Errors.INTERNAL, [`model '${this.name}' cannot go from ${target.state} to ${state}`])
    }
    target.state = state
    target.reason = reason
    this.#ctx.emit({ name: this.name, ...(record === undefined ? {} : { version: String(record.version) }), state, reason })
  }

  /** A new reason without a change of state (a READY version reloaded, or kept after a failure). */
  #note (record: VersionRecord, reason: string): void {
    record.reason = reason
    this.#ctx.emit({ name: this.name, version: String(record.version), state: record.state, reason })
  }
}

function notReady (name: string, record: VersionRecord): InferdError {
  const reason = record.reason === '' ? record.state.toLowerCase() : record.reason
  return new InferdError(Errors.MODEL_NOT_READY, [name, String(record.version), reason], { details: { state: record.state } })
}
