import { pino } from 'pino'
import { defaultBackends } from '../../src/backends/registry.js'
import { InferenceEngine, type InferenceEngineOptions } from '../../src/pipeline/inference-engine.js'
import { ModelRepository } from '../../src/repository/repository.js'
import { SchedulerRegistry } from '../../src/scheduler/scheduler-registry.js'

export interface TestEngine {
  readonly repository: ModelRepository
  readonly schedulers: SchedulerRegistry
  readonly engine: InferenceEngine
  /** Drains the engine, then unloads the models. */
  close (): Promise<void>
}

/**
 * The protocol-free core over a repository, with no server in front: the real backends, the
 * schedulers, and the engine, with `models` loaded. Logs are silent.
 */
export async function openEngine (root: string, models: readonly string[], options: InferenceEngineOptions = {}): Promise<TestEngine> {
  const logger = pino({ level: 'silent' })
  const backends = defaultBackends()
  const schedulers = new SchedulerRegistry(logger)
  const repository = new ModelRepository({ root, backends: (n) => backends.get(n), defaultMaxBatchSize: 256, logger, hooks: schedulers })
  await repository.scan()
  await repository.loadAll([...models])
  const engine = new InferenceEngine(repository, schedulers, options)
  return {
    repository,
    schedulers,
    engine,
    async close () {
      await engine.close()
      await repository.close()
    },
  }
}
