import type { InferenceRequest } from '../core/inference.js'
import type { Tensor } from '../core/tensor.js'
import { Errors, InferdError } from '../errors/index.js'
import { concatInputs } from '../scheduler/batch-tensors.js'
import type { InputStage, ItemFacts, OutputStage } from './stages.js'

/**
 * Runs model tensors through the model's own data path (validation, scheduler) and returns the
 * outputs asked for, in that order. The engine provides it.
 */
export type RunModel = (inputs: Tensor[], outputNames: readonly string[]) => Promise<Tensor[]>

/**
 * Runs one item through a model that needs more than one call per item (a stateful model over
 * audio frames). Returns that item's outputs with a leading dimension of 1.
 */
export type ItemRunner = (item: ReadonlyMap<string, unknown>, run: RunModel, outputNames: readonly string[]) => Promise<{ outputs: Map<string, Tensor>; facts?: ItemFacts }>

/** The model outputs for a run of consecutive items. */
interface Chunk {
  readonly outputs: Map<string, Tensor>
  readonly count: number
  readonly facts?: ItemFacts
}

/** Friendly answer: one value per output field, a list when the request sent lists. */
export interface PredictResult {
  readonly fields: Record<string, unknown>
  readonly items: number
}

export interface PipelineOptions {
  readonly model: string
  readonly inputs: readonly InputStage[]
  readonly outputs: readonly OutputStage[]
  /** The model's max_batch_size: items per model call (0: one item per call). */
  readonly maxBatchSize: number
  /** Present when items cannot be batched into one call (sequence models). */
  readonly itemRunner?: ItemRunner
  /** The model's inputs that stages fill, in the shape the model declares (for fitting [n,1] ↔ [n]). */
  readonly inputRanks: ReadonlyMap<string, number>
}

/**
 * A model's friendly face: raw data in (images, text, audio, records), labelled answers out.
 *
 *   fields / BYTES ─► items ─► chunks of ≤ max_batch_size ─► input stages (decode, pre-process)
 *     ─► the model's scheduler, one call per chunk, chunks concurrently ─► output stages
 *     (softmax, top-k, labels, unscale, CTC …) ─► answer fields / output tensors
 *
 * Everything the client sent is checked before the model is called, so bad data is a 400 that
 * names the field, and the model's own validation still guards the tensors the stages made.
 */
export class Pipeline {
  readonly model: string
  readonly inputs: readonly InputStage[]
  readonly outputs: readonly OutputStage[]
  readonly #options: PipelineOptions
  readonly #inputNames: ReadonlySet<string>

  constructor (options: PipelineOptions) {
    this.#options = options
    this.model = options.model
    this.inputs = options.inputs
    this.outputs = options.outputs
    this.#inputNames = new Set(options.inputs.map((s) => s.name))
  }

  /** True when a /v2 request is addressed to this face: all its inputs are pipeline fields. */
  handles (req: InferenceRequest): boolean {
    return req.inputs.length > 0 && req.inputs.every((t) => this.#inputNames.has(t.name))
  }

  /**
   * A /v2 request that names some pipeline fields and some model tensors is neither face: say so,
   * rather than let the tensor validation call the fields unknown.
   */
  refuseMixed (req: InferenceRequest): void {
    const field = req.inputs.find((t) => this.#inputNames.has(t.name))
    if (field === undefined) return
    const other = req.inputs.find((t) => !this.#inputNames.has(t.name)) as { name: string }
    throw new InferdError(Errors.REQ_BODY_INVALID, [`'${field.name}' is a pipeline field of model '${this.model}' and '${other.name}' is not: send either the pipeline's fields (${this.inputs.map((s) => s.name).join(', ')}) or the model's own tensors`])
  }

  /**
   * The friendly endpoint: a JSON object of fields in (or, for a one-input pipeline, the raw file:
   * an image, a WAV, a text), answer fields out.
   */
  async predict (body: Readonly<Record<string, unknown>> | Uint8Array, run: RunModel): Promise<PredictResult> {
    let listed = false
    const items = new Map<string, unknown[]>()
    if (body instanceof Uint8Array) {
      const [stage, ...more] = this.inputs
      if (stage === undefined || more.length > 0) {
        throw new InferdError(Errors.REQ_BODY_INVALID, [`model '${this.model}' takes several fields (${this.inputs.map((s) => s.name).join(', ')}): send them as a JSON object`])
      }
      items.set(stage.name, [stage.fromBytes(body)])
    } else {
      for (const key of Object.keys(body)) {
        if (!this.#inputNames.has(key)) throw new InferdError(Errors.INPUT_UNKNOWN, [this.model, key, this.inputs.map((s) => s.name).join(', ')])
      }
      for (const stage of this.inputs) {
        if (!Object.hasOwn(body, stage.name)) throw new InferdError(Errors.INPUT_MISSING, [this.model, stage.name])
        const parsed = stage.fromJson(body[stage.name])
        listed ||= parsed.listed
        items.set(stage.name, parsed.items)
      }
    }
    const n = this.#count(items)
    const values = await this.#run(items, n, this.outputs, run, (stage, outputs, count, facts) => stage.decode(outputs, count, facts))
    const fields: Record<string, unknown> = {}
    this.outputs.forEach((stage, i) => { fields[stage.name] = listed ? values[i] : values[i]?.[0] })
    return { fields, items: n }
  }

  /** The /v2 face: BYTES inputs named after the fields, one item per element; outputs as tensors. */
  async infer (req: InferenceRequest, run: RunModel): Promise<Tensor[]> {
    const items = new Map<string, unknown[]>()
    for (const t of req.inputs) {
      const stage = this.inputs.find((s) => s.name === t.name) as InputStage
      if (items.has(t.name)) throw new InferdError(Errors.INPUT_DUPLICATE, [t.name])
      if (t.datatype !== 'BYTES') throw new InferdError(Errors.DTYPE_INVALID, [t.name, t.datatype, 'BYTES'])
      const [n, width = 1, ...rest] = t.shape
      if (n === undefined || t.shape.length > 2 || rest.length > 0 || width !== 1) {
        throw new InferdError(Errors.TENSOR_SHAPE_MISMATCH, [t.name, `[${t.shape.join(',')}]`, '[-1] or [-1,1] (one element per item)'])
      }
      const elements = t.data as Uint8Array[]
      if (elements.length !== n) throw new InferdError(Errors.TENSOR_SIZE_MISMATCH, [t.name, `[${t.shape.join(',')}]`, n, elements.length])
      items.set(t.name, elements.map((e) => stage.fromBytes(e)))
    }
    for (const stage of this.inputs) if (!items.has(stage.name)) throw new InferdError(Errors.INPUT_MISSING, [this.model, stage.name])
    const wanted = req.outputs === undefined || req.outputs.length === 0
      ? this.outputs
      : req.outputs.map((o) => {
        const stage = this.outputs.find((s) => s.name === o.name)
        if (stage === undefined) throw new InferdError(Errors.OUTPUT_UNKNOWN, [this.model, o.name, this.outputs.map((s) => s.name).join(', ')])
        return stage
      })
    const n = this.#count(items)
    const parts = await this.#run(items, n, wanted, run, (stage, outputs, count, facts) => [stage.toTensor(outputs, count, facts)])
    return parts.map((chunks) => (concatInputs((chunks as Tensor[]).map((t) => [t]))[0] as Tensor))
  }

  #count (items: ReadonlyMap<string, unknown[]>): number {
    const counts = [...items].map(([name, list]) => ({ name, n: list.length }))
    const first = counts[0]
    if (first === undefined) throw new InferdError(Errors.INPUT_MISSING, [this.model, this.inputs[0]?.name ?? '?'])
    const other = counts.find((c) => c.n !== first.n)
    if (other !== undefined) {
      throw new InferdError(Errors.TENSOR_DATA_INVALID, [other.name, `has ${other.n} items but '${first.name}' has ${first.n}; every field needs one per item`])
    }
    if (first.n === 0) throw new InferdError(Errors.TENSOR_DATA_INVALID, [first.name, 'holds no items'])
    return first.n
  }

  /**
   * Splits the items into chunks the model can take in one call, runs the chunks concurrently
   * (so the scheduler may batch them with other requests), and collects each output stage's
   * results per chunk, in item order.
   */
  async #run (
    items: ReadonlyMap<string, unknown[]>,
    n: number,
    stages: readonly OutputStage[],
    run: RunModel,
    collect: (stage: OutputStage, outputs: ReadonlyMap<string, Tensor>, count: number, facts?: ItemFacts) => unknown[],
  ): Promise<unknown[][]> {
    const outputNames = [...new Set(stages.flatMap((s) => s.tensors))]
    const { maxBatchSize, itemRunner } = this.#options
    const size = itemRunner === undefined && maxBatchSize > 0 ? maxBatchSize : 1
    const chunks: Array<Promise<Chunk>> = []
    for (let start = 0; start < n; start += size) {
      const count = Math.min(size, n - start)
      chunks.push(this.#runChunk(items, start, count, outputNames, run))
    }
    const done = await Promise.all(chunks)
    return stages.map((stage) => done.flatMap((c) => collect(stage, c.outputs, c.count, c.facts)))
  }

  async #runChunk (
    items: ReadonlyMap<string, unknown[]>,
    start: number,
    count: number,
    outputNames: readonly string[],
    run: RunModel,
  ): Promise<Chunk> {
    const { itemRunner, maxBatchSize } = this.#options
    if (itemRunner !== undefined) {
      const item = new Map([...items].map(([name, list]) => [name, list[start]]))
      const { outputs, facts } = await itemRunner(item, run, outputNames)
      return { outputs, count: 1, ...(facts === undefined ? {} : { facts }) }
    }
    const encoded = await Promise.all(this.inputs.map((stage) => stage.encode((items.get(stage.name) as unknown[]).slice(start, start + count))))
    const fitted = encoded.flat().map((t) => this.#fit(t, maxBatchSize > 0))
    const inputs = fitted.map((f) => f.tensor)
    // A model that does not batch, fed its one item without the item dimension, answers without
    // one too: add it back. One whose input kept a leading 1 (its own N axis) keeps it in its outputs.
    const squeezed = fitted.some((f) => f.droppedItemAxis)
    const outputs = await run(inputs, [...outputNames])
    const byName = new Map<string, Tensor>()
    outputs.forEach((t, i) => {
      byName.set(outputNames[i] ?? t.name, squeezed ? { ...t, shape: [1, ...t.shape] } : t)
    })
    return { outputs: byName, count }
  }

  /**
   * Stages make `[items, ...]`; a model that does not batch takes one item without that leading
   * dimension, and a model input of per-item shape [] takes `[n]` where a stage made `[n, 1]`.
   */
  #fit (t: Tensor, batched: boolean): { tensor: Tensor; droppedItemAxis: boolean } {
    const rank = this.#options.inputRanks.get(t.name)
    if (rank === undefined || rank === t.shape.length) return { tensor: t, droppedItemAxis: false }
    if (!batched && t.shape.length === rank + 1 && t.shape[0] === 1) return { tensor: { ...t, shape: t.shape.slice(1) }, droppedItemAxis: true }
    if (t.shape.length === rank + 1 && t.shape[t.shape.length - 1] === 1) return { tensor: { ...t, shape: t.shape.slice(0, -1) }, droppedItemAxis: false }
    return { tensor: t, droppedItemAxis: false }
  }

}
