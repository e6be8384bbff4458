import { defaultBackends } from './backends/registry.js'
import { BusyPoll } from './core/busy-poll.js'
import type { ServerConfig } from './config/schema.js'
import type { Logger } from './observability/logger.js'
import { InferenceEngine } from './pipeline/inference-engine.js'
import { PipelineRegistry } from './pipeline/pipeline-registry.js'
import { WarmupHooks } from './pipeline/warmup.js'
import { chainHooks } from './repository/chain-hooks.js'
import { ModelRepository } from './repository/repository.js'
import { SchedulerRegistry } from './scheduler/scheduler-registry.js'

/**
 * The protocol-free core of inferd: a model repository whose versions get a pipeline and a
 * scheduler as they load, and the engine that runs requests through them. The server puts HTTP
 * and gRPC in front of it; `inferd batch` and `inferd worker` use it with no listener at all.
 */
export interface InferdRuntime {
  readonly config: ServerConfig
  readonly logger: Logger
  readonly repository: ModelRepository
  readonly schedulers: SchedulerRegistry
  readonly pipelines: PipelineRegistry
  readonly engine: InferenceEngine
  /** Drains the engine (requests in flight finish), then unloads every model. Idempotent. */
  close (): Promise<void>
}

/** Builds the runtime from a resolved configuration. Nothing loads until the repository is asked to. */
export function createRuntime (config: ServerConfig, logger: Logger): InferdRuntime {
  const backends = defaultBackends()
  const schedulers = new SchedulerRegistry(logger, config.executionMode)
  const pipelines = new PipelineRegistry()
  const repository = new ModelRepository({
    root: config.modelRepository,
    backends: (name) => backends.get(name),
    defaultMaxBatchSize: config.defaultMaxBatchSize,
    logger,
    // Before a version is READY: its pipeline (a bad one fails fast), its scheduler, then model_warmup.
    hooks: chainHooks(pipelines, new WarmupHooks(schedulers, logger)),
  })
  const busyPoll = new BusyPoll(config.busyPollUs)
  const engine = new InferenceEngine(repository, schedulers, { loadWaitMs: config.modelLoadWaitMs, pipelines, busyPoll })
  let closed: Promise<void> | undefined
  return {
    config,
    logger,
    repository,
    schedulers,
    pipelines,
    engine,
    close () {
      closed ??= (async () => {
        await engine.close()
        busyPoll.close()
        await repository.close()
      })()
      return closed
    },
  }
}
