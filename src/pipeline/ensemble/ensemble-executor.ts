import { AsyncLocalStorage } from 'node:async_hooks'
import { Cancellation } from '../../core/cancellation.js'
import type { RequestTimes } from '../../core/diagnostics.js'
import type { InferenceRequest, InferenceResponse, Parameters } from '../../core/inference.js'
import type { Tensor } from '../../core/tensor.js'
import { Errors, InferdError } from '../../errors/index.js'
import { toInferdError } from '../../errors/inferd-error.js'
import type { ModelVersion } from '../../repository/repository.js'
import { applyClassification } from '../classification.js'
import type { InferOptions } from '../inference-engine.js'
import type { EnsembleStep } from './ensemble-config.js'
import { tensorProducers } from './ensemble-graph.js'

/** What the executor needs of the engine: one request on one model, with that model's own validation, pipeline and scheduler. */
export interface StepEngine {
  infer (req: InferenceRequest, opts?: InferOptions): Promise<InferenceResponse>
}

/** What the engine publishes about the ensemble request (its `inferd:engine:request` message). */
export interface EnsembleSeen {
  rows: number
  times: RequestTimes | undefined
}

/** The parts of a served version the executor reads. */
export type EnsembleModel = Pick<ModelVersion, 'name' | 'version' | 'config' | 'signature' | 'labels'>

/** Request parameters a step inherits from the ensemble request (Triton passes priority and timeout on). */
const INHERITED_PARAMETERS = ['priority', 'timeout'] as const

/** An ensemble has no queue and no compute of its own: its steps' show in their own models' statistics. */
const NO_TIMES: RequestTimes = Object.freeze({ queueNs: 0, computeInputNs: 0, computeInferNs: 0, computeOutputNs: 0 })

/** The ensembles a step request is running inside, innermost last: an ensemble met again is a loop. */
const callers = new AsyncLocalStorage<readonly string[]>()

/**
 * Runs one (already validated) request on an ensemble: each step is a request to its model
 * through the engine, started as soon as every tensor it reads exists, so independent steps run
 * at the same time:
 *
 *   request inputs ─► step whose inputs exist ─► its outputs, renamed per output_map ─► steps
 *     waiting for them ─► … ─► the requested ensemble outputs (classification applied) ─► response
 *
 * Only the steps that the requested outputs depend on run. The first step to fail fails the
 * request with that step's error (its code kept, the step and model named in the message; a
 * step model that does not exist makes the ensemble MODEL_NOT_READY) and cancels the steps still
 * queued. The request's cancellation reaches every step.
 *
 * @throws InferdError from a step, BACKEND_FAILED when a step's output contradicts the
 *   ensemble's declared output, MODEL_CONFIG_INVALID when ensembles run each other in a loop
 */
export async function runEnsemble (engine: StepEngine, model: EnsembleModel, req: InferenceRequest, opts: InferOptions = {}, seen?: EnsembleSeen): Promise<InferenceResponse> {
  const steps = model.config.ensemble_scheduling?.step ?? []
  const outer = callers.getStore() ?? []
  if (outer.includes(model.name)) {
    const loop = [...outer.slice(outer.indexOf(model.name)), model.name]
    throw new InferdError(Errors.MODEL_CONFIG_INVALID, [model.name, `ensembles run each other in a loop: ${loop.join(' → ')}`])
  }
  const requested = req.outputs !== undefined && req.outputs.length > 0 ? req.outputs.map((o) => o.name) : model.signature.outputs.map((o) => o.name)
  const needed = neededOutputs(steps, model.signature.outputs.map((o) => o.name), requested)

  const cancel = new Cancellation()
  if (opts.signal !== undefined) {
    if (opts.signal.aborted) cancel.cancel()
    else opts.signal.addEventListener('abort', () => cancel.cancel(), { once: true })
  }
  const stepOptions: InferOptions = { signal: cancel, ...(opts.background === true ? { background: true } : {}) }
  const parameters = inherited(req.parameters)
  const chain = [...outer, model.name]

  // Every tensor as a promise: the request's inputs now (undefined: an optional input left out),
  // the steps' outputs when their step finishes, or the step's error when it fails.
  const tensors = new Map<string, Promise<Tensor | undefined>>()
  for (const spec of model.signature.inputs) tensors.set(spec.name, Promise.resolve(req.inputs.find((t) => t.name === spec.name)))
  const settle = new Map<number, { resolve: (out: Map<string, Tensor>) => void; reject: (err: unknown) => void }>()
  for (const [i, outputs] of needed) {
    const done = new Promise<Map<string, Tensor>>((resolve, reject) => settle.set(i, { resolve, reject }))
    for (const tensor of outputs.values()) {
      const t = done.then((out) => out.get(tensor))
      t.catch(() => {}) // a failure is reported once, through the step's own run below
      tensors.set(tensor, t)
    }
  }

  const runStep = async (i: number, outputs: ReadonlyMap<string, string>): Promise<void> => {
    const step = steps[i] as EnsembleStep
    const inputs = (await Promise.all(Object.entries(step.input_map).map(async ([name, tensor]) => {
      const t = await tensors.get(tensor)
      return t === undefined ? undefined : { ...t, name }
    }))).filter((t): t is Tensor => t !== undefined)
    if (cancel.aborted) throw new InferdError(Errors.REQUEST_CANCELLED)
    const stepRequest: InferenceRequest = {
      modelName: step.model_name,
      ...(step.model_version === -1 ? {} : { modelVersion: String(step.model_version) }),
      inputs,
      outputs: [...outputs.keys()].map((name) => ({ name })),
      ...(parameters === undefined ? {} : { parameters }),
    }
    let response: InferenceResponse
    try {
      response = await callers.run(chain, () => engine.infer(stepRequest, stepOptions))
    } catch (err) {
      throw stepError(model, i, step, err)
    }
    const produced = new Map<string, Tensor>()
    for (const [output, tensor] of outputs) {
      const t = response.outputs.find((o) => o.name === output)
      if (t === undefined) throw stepError(model, i, step, new InferdError(Errors.INTERNAL, [`output '${output}' is missing from the step's response`]))
      produced.set(tensor, { ...t, name: tensor })
    }
    settle.get(i)?.resolve(produced)
  }

  try {
    await Promise.all([...needed].map(([i, outputs]) => runStep(i, outputs).catch((err: unknown) => {
      settle.get(i)?.reject(err)
      throw err
    })))
  } catch (err) {
    cancel.cancel() // steps still queued are dropped, never computed
    throw err
  }
  const outputs = await Promise.all(requested.map(async (name) => checkOutput(model, await tensors.get(name), name)))
  const batched = model.signature.maxBatchSize > 0
  if (seen !== undefined) {
    seen.rows = batched ? (req.inputs[0]?.shape[0] ?? 1) : 1
    seen.times = NO_TIMES
  }
  return {
    ...(req.id === undefined ? {} : { id: req.id }),
    modelName: model.name,
    modelVersion: model.version,
    outputs: applyClassification(outputs, req.outputs, model.labels, batched),
  }
}

/**
 * The steps the requested outputs depend on, each with the outputs it must produce (step model
 * output → ensemble tensor), found by walking back from the requested tensors to their producers.
 */
function neededOutputs (steps: readonly EnsembleStep[], outputs: readonly string[], requested: readonly string[]): Map<number, Map<string, string>> {
  const producers = tensorProducers({ inputs: [], outputs, steps })
  const needed = new Map<number, Map<string, string>>()
  const queue = [...requested]
  const visited = new Set<string>()
  for (let tensor = queue.pop(); tensor !== undefined; tensor = queue.pop()) {
    if (visited.has(tensor)) continue
    visited.add(tensor)
    const i = producers.get(tensor)
    const step = i === undefined ? undefined : steps[i]
    if (i === undefined || step === undefined) continue // an ensemble input
    let own = needed.get(i)
    if (own === undefined) {
      own = new Map()
      needed.set(i, own)
      queue.push(...Object.values(step.input_map))
    }
    for (const [output, t] of Object.entries(step.output_map)) if (t === tensor) own.set(output, t)
  }
  return needed
}

function inherited (params: Parameters | undefined): Parameters | undefined {
  if (params === undefined) return undefined
  const kept = Object.fromEntries(INHERITED_PARAMETERS.filter((k) => params[k] !== undefined).map((k) => [k, params[k] as Parameters[string]]))
  return Object.keys(kept).length === 0 ? undefined : kept
}

/** An ensemble output as produced, checked against what the ensemble declares (metadata tells clients that). */
function checkOutput (model: EnsembleModel, t: Tensor | undefined, name: string): Tensor {
  const spec = model.signature.outputs.find((o) => o.name === name)
  if (t === undefined || spec === undefined) throw new InferdError(Errors.INTERNAL, [`ensemble '${model.name}': output '${name}' was not produced`])
  const offset = model.signature.maxBatchSize > 0 ? 1 : 0
  const shapeOk = t.shape.length === spec.dims.length + offset && spec.dims.every((d, k) => d === -1 || t.shape[k + offset] === d)
  if (t.datatype !== spec.datatype || !shapeOk) {
    const declared = `${spec.datatype} [${[...(offset === 1 ? [-1] : []), ...spec.dims].join(', ')}]`
    throw new InferdError(Errors.BACKEND_FAILED, [model.name, `output '${name}' came out ${t.datatype} [${t.shape.join(', ')}], but the ensemble declares ${declared}`])
  }
  return t
}

/**
 * A step's failure as the ensemble's: the same code (so the same HTTP and gRPC status), the
 * message prefixed with the step. A step model or version that does not exist is the ensemble
 * not being ready (a 404 would say the ensemble itself was not found).
 */
function stepError (model: EnsembleModel, i: number, step: EnsembleStep, err: unknown): InferdError {
  const e = toInferdError(err)
  const where = `step[${i}] (model '${step.model_name}')`
  if (e.code === Errors.MODEL_NOT_FOUND.code || e.code === Errors.MODEL_VERSION_NOT_FOUND.code) {
    return new InferdError(Errors.MODEL_NOT_READY, [model.name, model.version, `${where}: ${e.message}`], { cause: e })
  }
  return InferdError.fromJSON({
    code: e.code,
    message: `ensemble '${model.name}' ${where}: ${e.message}`,
    details: { ...e.details, ensemble: model.name, step: i, stepModel: step.model_name },
  })
}
