import type { BackendLogger } from '../backends/backend.js'
import type { Tensor } from '../core/tensor.js'
import { validateRequest } from '../core/validate.js'
import { Errors, InferdError } from '../errors/index.js'
import type { ModelVersion, VersionHooks } from '../repository/repository.js'
import type { ResolvedModelWarmup } from '../repository/resolved-model-config.js'
import { batchKey } from '../scheduler/batch-tensors.js'
import type { SchedulerRegistry, VersionRuntime } from '../scheduler/scheduler-registry.js'
import { reshapeInputs } from './reshape.js'
import { schedulePolicy } from './schedule-policy.js'
import { seedOf, warmupTensor } from './warmup-data.js'

/**
 * The repository's version hooks with warmup: `prepare` creates the version's scheduler (the
 * {@link SchedulerRegistry}), then runs the config's `model_warmup` samples through that very
 * scheduler and its instances, before the version turns READY; `retire` is the registry's.
 *
 * So the first real request finds the session's lazy initialisation done, in the threads that
 * will serve it (a worker thread's session warms up in that worker). A sample that fails makes
 * the version UNAVAILABLE with the reason (MODEL_LOAD_FAILED naming the sample), and its
 * scheduler is retired again.
 */
export class WarmupHooks implements VersionHooks {
  readonly #schedulers: SchedulerRegistry
  readonly #logger: BackendLogger

  constructor (schedulers: SchedulerRegistry, logger: BackendLogger) {
    this.#schedulers = schedulers
    this.#logger = logger
  }

  async prepare (model: ModelVersion): Promise<void> {
    await this.#schedulers.prepare(model)
    if (model.config.model_warmup.length === 0) return
    const runtime = this.#schedulers.get(model)
    try {
      if (runtime === undefined) throw new Error('no scheduler was prepared for it')
      await warmUp(model, runtime, this.#logger)
    } catch (err) {
      await this.#schedulers.retire(model).catch(() => {})
      throw err
    }
  }

  retire (model: ModelVersion): Promise<void> {
    return this.#schedulers.retire(model)
  }
}

/**
 * Runs each warmup sample `count` times, one after the other, through the version's scheduler,
 * checked against its signature like any request. Logs the time it took.
 *
 * @throws InferdError MODEL_LOAD_FAILED naming the sample and what went wrong
 */
export async function warmUp (model: ModelVersion, runtime: VersionRuntime, logger: BackendLogger): Promise<void> {
  const started = performance.now()
  let runs = 0
  for (const sample of model.config.model_warmup) {
    try {
      const inputs = await sampleInputs(model, sample)
      validateRequest({ modelName: model.name, inputs }, model.name, model.signature)
      for (let k = 0; k < sample.count; k++) {
        // A fresh copy each run: a worker instance takes the input buffers over (transfers them),
        // which leaves the originals empty for the next run.
        await runOnce(model, runtime, inputs.map(copyTensor), sample.batch_size)
        runs++
      }
    } catch (err) {
      throw new InferdError(Errors.MODEL_LOAD_FAILED, [model.name, model.version, `model_warmup '${sample.name}': ${(err as Error).message}`], { cause: err })
    }
  }
  const ms = Math.round((performance.now() - started) * 10) / 10
  logger.info({ model: model.name, version: model.version, samples: model.config.model_warmup.length, runs, warmupMs: ms },
    `model '${model.name}' v${model.version}: warmed up in ${ms} ms (${runs} run(s))`)
}

async function sampleInputs (model: ModelVersion, sample: ResolvedModelWarmup): Promise<Tensor[]> {
  const batched = model.signature.maxBatchSize > 0
  return Promise.all(Object.entries(sample.inputs).map(([name, input]) =>
    warmupTensor(name, input, batched ? sample.batch_size : undefined, model.dir, seedOf(`${model.name}/${sample.name}/${name}`))))
}

function copyTensor (t: Tensor): Tensor {
  const data = Array.isArray(t.data) ? t.data.map((b) => b.slice()) : (t.data as Float32Array).slice()
  return { ...t, data } as Tensor
}

function runOnce (model: ModelVersion, runtime: VersionRuntime, inputs: readonly Tensor[], batchSize: number): Promise<void> {
  const reshaped = reshapeInputs(inputs, model.config)
  const batched = model.signature.maxBatchSize > 0
  const policy = schedulePolicy(undefined, runtime.batching)
  return new Promise<void>((resolve, reject) => {
    runtime.scheduler.enqueue({
      inputs: reshaped,
      outputNames: model.signature.outputs.map((o) => o.name),
      rows: batched ? batchSize : 1,
      key: batched ? batchKey(reshaped) : '',
      priority: policy.priority,
      enqueuedAt: performance.now(),
      deadline: Infinity,
      timeoutAction: policy.timeoutAction,
      resolve: () => resolve(),
      reject,
    })
  })
}
