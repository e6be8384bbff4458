import type { BackendLogger } from '../backends/backend.js'
import type { ModelVersion, VersionHooks } from '../repository/repository.js'
import type { ResolvedDynamicBatching, ResolvedQueuePolicy } from '../repository/resolved-model-config.js'
import type { BatcherOptions } from './dynamic-batcher.js'
import type { ExecutionInstance } from './execution-instance.js'
import { chooseExecutionMode, type ModeDecision } from './execution-mode.js'
import { InlineInstance } from './inline-instance.js'
import { type BatchRecord, ModelScheduler } from './model-scheduler.js'
import { WorkerInstance } from './worker-instance.js'

/** Config parameter that overrides the measured choice: `auto` (default), `inline` or `worker`. */
export const EXECUTION_MODE_PARAMETER = 'execution_mode'

/** Dynamic batching as a model gets it when its config says nothing (Triton's defaults, delay 0). */
const DEFAULT_POLICY: ResolvedQueuePolicy = { timeout_action: 'REJECT', default_timeout_microseconds: 0, allow_timeout_override: true, max_queue_size: 0 }
export const DEFAULT_DYNAMIC_BATCHING: ResolvedDynamicBatching = {
  preferred_batch_size: [],
  max_queue_delay_microseconds: 0,
  preserve_ordering: false,
  priority_levels: 0,
  default_priority_level: 0,
  default_queue_policy: DEFAULT_POLICY,
  priority_queue_policy: {},
}

export interface VersionRuntime {
  readonly scheduler: ModelScheduler
  readonly batching: ResolvedDynamicBatching
  readonly mode: ModeDecision
  readonly instances: readonly ExecutionInstance[]
}

/**
 * The schedulers of every served model version, created before a version turns READY and closed
 * (drained) when it is retired: the repository's {@link VersionHooks}.
 */
export class SchedulerRegistry implements VersionHooks {
  readonly #runtimes = new Map<ModelVersion, VersionRuntime>()
  readonly #logger: BackendLogger
  readonly #onBatch: ((model: ModelVersion, record: BatchRecord) => void) | undefined

  readonly #defaultMode: string

  /** @param defaultMode execution mode for models whose config has no `execution_mode` parameter */
  constructor (logger: BackendLogger, defaultMode = 'auto', onBatch?: (model: ModelVersion, record: BatchRecord) => void) {
    this.#logger = logger
    this.#defaultMode = defaultMode
    this.#onBatch = onBatch
  }

  get (model: ModelVersion): VersionRuntime | undefined {
    return this.#runtimes.get(model)
  }

  async prepare (model: ModelVersion): Promise<void> {
    // An ensemble has no session to schedule: each step runs on its own model's scheduler (pipeline/ensemble).
    if (model.config.ensemble_scheduling !== undefined) return
    const batching = model.config.dynamic_batching ?? DEFAULT_DYNAMIC_BATCHING
    const mode = await chooseExecutionMode(model.config.parameters[EXECUTION_MODE_PARAMETER] ?? this.#defaultMode, model.session, model.signature)
    const instances = await this.#instances(model, mode)
    const levels = Math.max(batching.priority_levels, 1)
    const policyOf = (level: number): ResolvedQueuePolicy => batching.priority_queue_policy[level] ?? batching.default_queue_policy
    const batcher: BatcherOptions = {
      maxBatchSize: model.signature.maxBatchSize,
      preferredBatchSizes: batching.preferred_batch_size,
      maxQueueDelayMs: batching.max_queue_delay_microseconds / 1000,
    }
    const scheduler = new ModelScheduler({
      model: model.name,
      version: model.version,
      batcher,
      queueLimits: Array.from({ length: levels }, (_, i) => policyOf(i + 1).max_queue_size),
      preserveOrdering: batching.preserve_ordering,
      instances,
      ...(this.#onBatch === undefined ? {} : { onBatch: (r: BatchRecord) => this.#onBatch!(model, r) }),
      identity: model, // diagnostics messages name the version by its own object (core/diagnostics.ts)
    })
    this.#runtimes.set(model, { scheduler, batching, mode, instances })
    this.#logger.info({
      model: model.name, version: model.version, execution: mode.mode, reason: mode.reason,
      ...(mode.measuredUs === undefined ? {} : { measuredUs: Math.round(mode.measuredUs), probeRows: mode.rows }),
      instances: instances.length, maxBatchSize: batcher.maxBatchSize, maxQueueDelayUs: batching.max_queue_delay_microseconds,
    }, `model '${model.name}' v${model.version}: ${mode.mode} execution, ${instances.length} instance(s)`)
  }

  async retire (model: ModelVersion): Promise<void> {
    const runtime = this.#runtimes.get(model)
    if (runtime === undefined) return
    await runtime.scheduler.close()
    await Promise.all(runtime.instances.map((i) => i.close()))
    this.#runtimes.delete(model)
  }

  async #instances (model: ModelVersion, mode: ModeDecision): Promise<ExecutionInstance[]> {
    // Inline: one event loop, so one instance whatever instance_group says.
    if (mode.mode === 'inline') return [new InlineInstance(model.name, model.session)]
    const count = model.config.instance_group.reduce((n, g) => n + g.count, 0) || 1
    const data = { backend: model.backend, path: model.path, options: model.sessionOptions }
    const started = await Promise.allSettled(Array.from({ length: count }, () => WorkerInstance.start(model.name, model.version, data, this.#logger)))
    const failed = started.find((s) => s.status === 'rejected')
    if (failed !== undefined) {
      await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)))
      throw (failed as PromiseRejectedResult).reason
    }
    // The workers hold their own sessions; the main thread's copy was needed only to read the
    // signature and measure, so its memory goes back now (ModelSession.close is idempotent).
    await model.session.close()
    return started.map((s) => (s as PromiseFulfilledResult<WorkerInstance>).value)
  }
}
