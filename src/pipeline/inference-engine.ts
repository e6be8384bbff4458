import type { BusyPoll } from '../core/busy-poll.js'
import type { CancelSignal } from '../core/cancellation.js'
import { requestChannel, type RequestTimes } from '../core/diagnostics.js'
import type { InferenceRequest, InferenceResponse, Parameters } from '../core/inference.js'
import type { Tensor } from '../core/tensor.js'
import { validateRequest } from '../core/validate.js'
import { Errors, InferdError } from '../errors/index.js'
import type { ModelRepository, ModelVersion } from '../repository/repository.js'
import { batchKey } from '../scheduler/batch-tensors.js'
import type { RequestTiming } from '../scheduler/queued-request.js'
import type { SchedulerRegistry } from '../scheduler/scheduler-registry.js'
import { defaultPipeline } from './build-pipeline.js'
import { applyClassification } from './classification.js'
import type { RunModel } from './pipeline.js'
import type { PipelineRegistry } from './pipeline-registry.js'
import { runEnsemble } from './ensemble/ensemble-executor.js'
import { reshapeInputs, reshapeOutputs } from './reshape.js'
import { type SchedulePolicy, schedulePolicy } from './schedule-policy.js'

export interface InferenceEngineOptions {
  /**
   * Milliseconds a request waits for a model that is loading or warming up (first load, explicit
   * load, a new version) before it fails with MODEL_NOT_READY; a request's `timeout` parameter
   * (µs) replaces it. Default 0: no wait.
   */
  readonly loadWaitMs?: number
  /** Pipelines of the served versions (raw data in, labelled answers out); none: no friendly face. */
  readonly pipelines?: PipelineRegistry
  /** Touched by an online request that finds no other in flight: keeps the event loop polling briefly after it. */
  readonly busyPoll?: BusyPoll
}

/** A friendly request (`POST /v2/models/{m}/predict`): fields named after the model's pipeline inputs. */
export interface PredictRequest {
  readonly id?: string
  readonly modelName: string
  readonly modelVersion?: string
  /** The fields, or the raw data of a pipeline with one input (an image file sent as the body). */
  readonly fields: Readonly<Record<string, unknown>> | Uint8Array
  /** Request parameters (priority, timeout), as in /v2. */
  readonly parameters?: Parameters
}

/** A friendly answer: one field per pipeline output. */
export interface PredictResponse {
  readonly id?: string
  readonly modelName: string
  readonly modelVersion: string
  readonly fields: Record<string, unknown>
}

/** Per-request options from the protocol adapter. */
export interface InferOptions {
  /** Aborted when the client goes away; a request still queued is then dropped, never computed. */
  readonly signal?: CancelSignal
  /**
   * Background work (batch jobs): queued below every priority level of the model, served only
   * when no online request waits, with no queue timeout (scheduler/priority-queue.ts). Not a
   * request parameter on purpose: no client of the online protocols can ask for it, or lose
   * priority by mistake; only in-process callers (the jobs runner) set it.
   */
  readonly background?: boolean
}

/**
 * The protocol-independent data path of one request:
 *
 *   resolve version ─► validate against its signature ─► reshape ─► model's scheduler
 *     (priority queue, dynamic batcher, instances) ─► reshape back ─► classification ─► response
 *
 * Nothing malformed reaches the scheduler. Draining: `close()` stops intake (new requests get
 * SHUTTING_DOWN) and resolves once every request in flight has settled.
 *
 * Every request that reached a model version, answered or failed (validation, queue, backend,
 * timeout, cancellation), is published on `inferd:engine:request` (core/diagnostics.ts) with its
 * duration and, answered, its queue and compute times: statistics subscribe there.
 */
export class InferenceEngine {
  readonly #repository: ModelRepository
  readonly #schedulers: SchedulerRegistry
  #inFlight = 0
  #closing = false
  #drained: (() => void) | undefined

  readonly #loadWaitMs: number
  readonly #busyPoll: BusyPoll | undefined
  readonly #pipelines: PipelineRegistry | undefined

  constructor (repository: ModelRepository, schedulers: SchedulerRegistry, options: InferenceEngineOptions = {}) {
    this.#repository = repository
    this.#schedulers = schedulers
    this.#loadWaitMs = options.loadWaitMs ?? 0
    this.#pipelines = options.pipelines
    this.#busyPoll = options.busyPoll
  }

  /**
   * One /v2 request. A request whose inputs are named after the model's pipeline fields (BYTES:
   * images, texts, WAV files, JSON records) goes through that pipeline; any other is validated
   * against the model's own tensors.
   */
  infer (req: InferenceRequest, opts: InferOptions = {}): Promise<InferenceResponse> {
    // Not async itself: #withModel settles every failure as a rejection, so one promise is enough.
    return this.#withModel(req, opts, async (model, seen) => {
      const pipeline = this.#pipelines?.configured(model)
      if (pipeline === undefined || !pipeline.handles(req)) {
        pipeline?.refuseMixed(req)
        return this.#infer(model, req, opts, seen)
      }
      const outputs = await pipeline.infer(req, this.#runner(model, req, opts, seen))
      return { ...(req.id === undefined ? {} : { id: req.id }), modelName: model.name, modelVersion: model.version, outputs }
    })
  }

  /**
   * One friendly request: raw data in the fields the model's pipeline names (or, for a model with
   * none, its tensors by name), labelled answers out. Same scheduler, statistics and errors as /v2.
   */
  async predict (req: PredictRequest, opts: InferOptions = {}): Promise<PredictResponse> {
    const ref: InferenceRequest = { modelName: req.modelName, ...(req.modelVersion === undefined ? {} : { modelVersion: req.modelVersion }), inputs: [], ...(req.parameters === undefined ? {} : { parameters: req.parameters }) }
    return this.#withModel(ref, opts, async (model, seen) => {
      const pipeline = this.#pipelines?.friendly(model) ?? defaultPipeline(model)
      const result = await pipeline.predict(req.fields, this.#runner(model, ref, opts, seen))
      return { ...(req.id === undefined ? {} : { id: req.id }), modelName: model.name, modelVersion: model.version, fields: result.fields }
    })
  }

  /** Runs model tensors for a pipeline through the model's own path, parameters (priority, timeout) carried over. */
  #runner (model: ModelVersion, req: InferenceRequest, opts: InferOptions, seen: Seen): RunModel {
    return async (inputs, outputNames) => {
      const inner: InferenceRequest = {
        modelName: model.name,
        modelVersion: model.version,
        inputs,
        outputs: outputNames.map((name) => ({ name })),
        ...(req.parameters === undefined ? {} : { parameters: req.parameters }),
      }
      // Pre-processing awaited (image decoding): a reload may have retired this version
      // meanwhile. Its successor takes the same tensors, so the request goes there.
      const current = this.#schedulers.get(model) === undefined ? this.#repository.get(model.name, req.modelVersion) : model
      return (await this.#infer(current, { ...inner, modelVersion: current.version }, opts, seen)).outputs as Tensor[]
    }
  }

  /** Resolves the version (waiting for a load), runs `body`, and publishes the request's statistics. */
  async #withModel<T> (req: InferenceRequest, opts: InferOptions, body: (model: ModelVersion, seen: Seen) => Promise<T>): Promise<T> {
    if (this.#closing) throw new InferdError(Errors.SHUTTING_DOWN)
    const started = performance.now()
    let model: ModelVersion
    try {
      model = this.#repository.get(req.modelName, req.modelVersion)
    } catch {
      // Loading (or warming up): wait rather than fail. whenReady rethrows when the model will not
      // become ready. get() is called again after the wait and nothing awaits between it and the
      // enqueue in #infer, so a reload can never swap the version out from under the request.
      const waitMs = requestWaitMs(req, this.#loadWaitMs)
      await this.#repository.whenReady(req.modelName, req.modelVersion, { waitMs, ...(opts.signal === undefined ? {} : { signal: opts.signal }) })
      model = this.#repository.get(req.modelName, req.modelVersion)
    }
    const seen: Seen = { rows: 0, times: undefined }
    try {
      const response = await body(model, seen)
      if (requestChannel.hasSubscribers) {
        requestChannel.publish({ model, durationNs: sinceNs(started), rows: seen.rows, ...(seen.times === undefined ? {} : { times: seen.times }) })
      }
      return response
    } catch (err) {
      if (requestChannel.hasSubscribers) requestChannel.publish({ model, durationNs: sinceNs(started), rows: 0, error: err as Error })
      throw err
    }
  }

  async #infer (model: ModelVersion, req: InferenceRequest, opts: InferOptions, seen: Seen): Promise<InferenceResponse> {
    validateRequest(req, model.name, model.signature)
    // Ensembles have no scheduler: their steps are requests to this engine (src/pipeline/ensemble).
    if (model.config.ensemble_scheduling !== undefined) return runEnsemble(this, model, req, opts, seen)
    const runtime = this.#schedulers.get(model)
    if (runtime === undefined) throw new InferdError(Errors.MODEL_NOT_READY, [model.name, model.version, 'no scheduler'])
    const policy = opts.background === true ? BACKGROUND_POLICY : schedulePolicy(req.parameters, runtime.batching)
    const outputNames = req.outputs !== undefined && req.outputs.length > 0 ? req.outputs.map((o) => o.name) : model.signature.outputs.map((o) => o.name)
    const inputs = reshapeInputs(req.inputs, model.config)
    const batched = model.signature.maxBatchSize > 0
    const rows = batched ? (inputs[0]?.shape[0] ?? 1) : 1
    // A request that finds nothing else in flight is a lone client's: poll for its next one. Under
    // concurrent load the loop is busy anyway, and polling through its short idle gaps took CPU
    // from everything else on the machine (10 % less throughput at 64 clients).
    if (this.#inFlight === 0 && opts.background !== true) this.#busyPoll?.touch()
    this.#inFlight++
    try {
      const raw = await new Promise<Tensor[]>((resolve, reject) => {
        const now = performance.now()
        runtime.scheduler.enqueue({
          inputs,
          outputNames,
          rows,
          key: batched ? batchKey(inputs) : '',
          priority: policy.priority,
          enqueuedAt: now,
          deadline: policy.timeoutUs > 0 ? now + policy.timeoutUs / 1000 : Infinity,
          timeoutAction: policy.timeoutAction,
          ...(opts.background === true ? { background: true } : {}),
          ...(opts.signal === undefined ? {} : { signal: opts.signal }),
          resolve: (outputs: Tensor[], timing: RequestTiming) => { seen.times = timing; resolve(outputs) },
          reject,
        })
      })
      const outputs = applyClassification(reshapeOutputs(raw, model.config), req.outputs, model.labels, batched)
      seen.rows += rows // a pipeline may call the model several times for one request
      return {
        ...(req.id === undefined ? {} : { id: req.id }),
        modelName: model.name,
        modelVersion: model.version,
        outputs,
      }
    } finally {
      if (--this.#inFlight === 0) this.#drained?.()
    }
  }

  get inFlight (): number { return this.#inFlight }

  /** The pipelines of the served versions, for metadata. */
  get pipelines (): PipelineRegistry | undefined { return this.#pipelines }

  async close (): Promise<void> {
    this.#closing = true
    if (this.#inFlight > 0) await new Promise<void>((resolve) => { this.#drained = resolve })
  }
}

/** Background requests: the queue serves them after every level, so their level is moot; no timeout. */
const BACKGROUND_POLICY: SchedulePolicy = { priority: 1, timeoutUs: 0, timeoutAction: 'REJECT' }

/** What the data path learned about a request, for its `inferd:engine:request` message. */
interface Seen {
  rows: number
  times: RequestTimes | undefined
}

/** How long a request waits for its model to load: its `timeout` parameter (µs) when positive, else the default. */
function requestWaitMs (req: InferenceRequest, fallbackMs: number): number {
  const t = req.parameters?.timeout
  const us = typeof t === 'bigint' ? Number(t) : t
  return typeof us === 'number' && us > 0 ? us / 1000 : fallbackMs
}

function sinceNs (startMs: number): number {
  return Math.round((performance.now() - startMs) * 1e6)
}
