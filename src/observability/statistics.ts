import diagnostics_channel from 'node:diagnostics_channel'
import { type BatchMessage, DIAGNOSTICS, type ModelIdentity, type RequestMessage } from '../core/diagnostics.js'
import type { ModelRepository } from '../repository/repository.js'
import { emptyModelStats, type ModelStatsJson, VersionStats } from './version-stats.js'

export type { BatchStatsJson, DurationStat, InferenceStatsJson, ModelStatsJson } from './version-stats.js'

/**
 * Per model version statistics: Triton's statistics extension (`GET /v2/models[/{m}[/versions/{v}]]/stats`,
 * gRPC ModelStatistics), fed by the data path's diagnostics channels (core/diagnostics.ts) and
 * never called by it.
 *
 *   inferd:engine:request ──┐
 *                           ├─► VersionStats per served version (keyed by the version's object)
 *   inferd:scheduler:batch ─┘            │
 *                                        ▼
 *   modelStats(name?, version?) ─► repository's READY versions ─► their stats, or zeros
 *
 * Only what a version does while this repository serves it counts: a message whose version is not
 * the one `repository.get` hands out is ignored. That leaves out warmup batches (they run through
 * the scheduler before the version is READY, with no request behind them, and would otherwise
 * count as executions of no inference), batches still draining from a version being retired, and
 * versions of another server in the same process.
 *
 * Lifetime of the numbers: they belong to the loaded version. A version unloaded drops out of
 * the listing; loaded again, it is a new object and starts from zero (as in Triton, where a
 * reload creates a new model).
 *
 * `close()` unsubscribes (idempotent); until then the channels hold this object.
 *
 * @example
 * const statistics = new Statistics(repository)
 * statistics.modelStats('iris')   // [{ name: 'iris', version: '1', inference_count: 0, … }]
 */
export class Statistics {
  readonly #repository: ModelRepository
  readonly #stats = new WeakMap<ModelIdentity, VersionStats>()
  #closed = false
  readonly #onRequest = (m: unknown): void => { this.#of((m as RequestMessage).model)?.recordRequest(m as RequestMessage) }
  readonly #onBatch = (m: unknown): void => { this.#of((m as BatchMessage).model)?.recordBatch(m as BatchMessage) }

  constructor (repository: ModelRepository) {
    this.#repository = repository
    diagnostics_channel.subscribe(DIAGNOSTICS.engineRequest, this.#onRequest)
    diagnostics_channel.subscribe(DIAGNOSTICS.schedulerBatch, this.#onBatch)
  }

  /**
   * Statistics of every READY version of every model (no name), of every READY version of one
   * model (name only), or of one version. An empty string counts as absent (gRPC's defaults).
   *
   * @returns the `model_stats` entries, by model name then ascending version
   * @throws InferdError MODEL_NOT_FOUND for an unknown model; MODEL_VERSION_NOT_FOUND for an
   *   unknown version; MODEL_NOT_READY when the model (or that version) is not being served
   */
  modelStats (name?: string, version?: string): ModelStatsJson[] {
    const hasName = name !== undefined && name !== ''
    const hasVersion = version !== undefined && version !== ''
    if (hasName && hasVersion) return [this.#json(this.#repository.get(name, version))]
    // The model must exist and serve something; this throws with the right code otherwise.
    if (hasName) this.#repository.get(name)
    const out: ModelStatsJson[] = []
    for (const entry of this.#repository.list()) {
      if (entry.state !== 'READY' || entry.version === undefined || (hasName && entry.name !== name)) continue
      let served: ModelIdentity
      try {
        served = this.#repository.get(entry.name, entry.version)
      } catch {
        continue // unloaded between list() and get(): no longer listed
      }
      out.push(this.#json(served))
    }
    return out
  }

  /** Stops listening to the data path. Idempotent. */
  close (): void {
    if (this.#closed) return
    this.#closed = true
    diagnostics_channel.unsubscribe(DIAGNOSTICS.engineRequest, this.#onRequest)
    diagnostics_channel.unsubscribe(DIAGNOSTICS.schedulerBatch, this.#onBatch)
  }

  /** The statistics of a version this repository serves now; undefined for any other. */
  #of (model: ModelIdentity): VersionStats | undefined {
    if (!this.#serves(model)) return undefined
    let s = this.#stats.get(model)
    if (s === undefined) {
      s = new VersionStats()
      this.#stats.set(model, s)
    }
    return s
  }

  #serves (model: ModelIdentity): boolean {
    try {
      return this.#repository.get(model.name, model.version) === model
    } catch {
      return false // unknown here, or not READY (loading, warming up, retiring)
    }
  }

  #json (model: ModelIdentity): ModelStatsJson {
    return this.#stats.get(model)?.toJSON(model.name, model.version) ?? emptyModelStats(model.name, model.version)
  }
}
