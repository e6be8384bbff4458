import type { InferenceRequest } from '../../core/inference.js'
import type { InferenceEngine, InferOptions, PredictRequest } from '../../pipeline/inference-engine.js'
import type { ModelRepository } from '../../repository/repository.js'
import { runBatch } from '../runner.js'
import { jobProgress } from './job.js'
import type { RunJob } from './job-runner.js'

/**
 * Runs jobs with the batch runner on the server's own engine and repository: the same models,
 * pipelines and schedulers as online requests, the job's micro-batches queued as background work
 * so that online requests on the model go first.
 */
export function engineRunJob (engine: InferenceEngine, repository: ModelRepository): RunJob {
  const background = backgroundView(engine)
  return async (spec, hooks) => {
    const summary = await runBatch({
      model: spec.model,
      ...(spec.version === undefined ? {} : { version: spec.version }),
      input: spec.input,
      output: spec.output,
      ...(spec.rejects === undefined ? {} : { rejects: spec.rejects }),
      ...(spec.format === undefined ? {} : { format: spec.format }),
      ...(spec.batchSize === undefined ? {} : { batchSize: spec.batchSize }),
      ...(spec.maxRejects === undefined ? {} : { maxRejects: spec.maxRejects }),
      ...(spec.keep === undefined ? {} : { keep: spec.keep }),
    }, { engine: background, repository }, {
      signal: hooks.signal,
      onProgress: (p) => { hooks.onProgress(jobProgress(p)) },
    })
    return {
      rowsDone: summary.rows,
      written: summary.written,
      rejected: summary.rejected,
      rowsPerSecond: summary.rowsPerSecond,
      modelVersion: summary.modelVersion,
      resumedFrom: summary.resumedFrom,
    }
  }
}

/**
 * The engine as a job sees it: every request it makes is background work (InferOptions
 * `background`), whatever the runner passes. A view rather than a runner option, so that no
 * code path of the runner can send a job's rows at online priority. Everything else is the
 * engine itself (members read with the engine as `this`, for its private fields).
 */
function backgroundView (engine: InferenceEngine): InferenceEngine {
  const predict = (req: PredictRequest, opts: InferOptions = {}): ReturnType<InferenceEngine['predict']> => engine.predict(req, { ...opts, background: true })
  const infer = (req: InferenceRequest, opts: InferOptions = {}): ReturnType<InferenceEngine['infer']> => engine.infer(req, { ...opts, background: true })
  return new Proxy(engine, {
    get (target, prop) {
      if (prop === 'predict') return predict
      if (prop === 'infer') return infer
      const value: unknown = Reflect.get(target, prop, target)
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
}
