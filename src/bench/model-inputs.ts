import { isDataType } from '../core/dtype.js'
import type { InputDims } from './input-file.js'
import type { InputSpec } from './tensor-data.js'

/**
 * What the load generator must know about a model's inputs, read from the server itself:
 * `GET /v2/models/{m}` (names, datatypes, shapes with -1 for variable dimensions) and, where the
 * server has the model-configuration extension, `GET /v2/models/{m}/config` (`max_batch_size`,
 * which tells whether the leading -1 is the batch dimension).
 */

export interface ModelInputs {
  readonly inputs: readonly InputDims[]
  /** True when the first dimension of every input is the batch dimension (left out of `dims`). */
  readonly batched: boolean
}

export interface ModelRef {
  /** `http://host:port`, no trailing slash. */
  readonly baseUrl: string
  readonly model: string
  readonly version?: string | undefined
}

const FETCH_TIMEOUT_MS = 10_000

/** The model's path on the server: `/v2/models/{m}` or `/v2/models/{m}/versions/{v}`. */
export function modelPath (ref: ModelRef): string {
  const m = `/v2/models/${encodeURIComponent(ref.model)}`
  return ref.version === undefined ? m : `${m}/versions/${encodeURIComponent(ref.version)}`
}

/**
 * Asks the server for the model's inputs.
 *
 * @throws Error when the server cannot be reached or does not serve the model
 */
export async function fetchModelInputs (ref: ModelRef): Promise<ModelInputs> {
  const url = `${ref.baseUrl}${modelPath(ref)}`
  let res: Response
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) })
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message
    throw new Error(`cannot reach ${ref.baseUrl} (${cause}): is the server running?`)
  }
  const text = await res.text()
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status} ${text.slice(0, 300)}`)
  const meta = JSON.parse(text) as { inputs?: Array<{ name?: unknown; datatype?: unknown; shape?: unknown }> }
  const raw = (meta.inputs ?? []).map((t, i) => {
    if (typeof t.name !== 'string' || !isDataType(t.datatype) || !Array.isArray(t.shape) || !t.shape.every(Number.isInteger)) {
      throw new Error(`GET ${url}: input ${i} is not a valid tensor description: ${JSON.stringify(t)}`)
    }
    return { name: t.name, datatype: t.datatype, shape: t.shape as number[] }
  })
  if (raw.length === 0) throw new Error(`GET ${url}: the model declares no inputs`)
  const maxBatchSize = await fetchMaxBatchSize(`${url}/config`)
  // Without a config, a leading -1 on every input is taken as the batch dimension, as a server
  // that batches describes it.
  const batched = maxBatchSize === undefined ? raw.every((t) => t.shape[0] === -1) : maxBatchSize > 0
  return { batched, inputs: raw.map((t) => ({ name: t.name, datatype: t.datatype, dims: batched ? t.shape.slice(1) : t.shape })) }
}

async function fetchMaxBatchSize (url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) })
    if (res.status !== 200) return undefined
    const value = ((await res.json()) as { max_batch_size?: unknown }).max_batch_size
    return typeof value === 'number' ? value : undefined
  } catch {
    return undefined
  }
}

/**
 * Parses one `--shape name:d1,d2,...` (perf_analyzer's form: dims exclude the batch dimension
 * when the model batches).
 */
export function parseShapeOption (text: string): [string, number[]] {
  const at = text.lastIndexOf(':')
  const name = text.slice(0, at)
  const dims = text.slice(at + 1).split(',').map(Number)
  if (at <= 0 || !dims.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new RangeError(`--shape '${text}': expected name:d1,d2,... with whole-number sizes`)
  }
  return [name, dims]
}

export interface ResolveOptions {
  readonly batchSize: number
  /** `--shape` overrides by input name. */
  readonly shapes?: ReadonlyMap<string, readonly number[]>
}

/**
 * The model's inputs with `--shape` applied (dims still exclude the batch dimension when the model
 * batches; variable dimensions may remain for an input file that gives its own shapes).
 *
 * @throws RangeError for a shape of an unknown input, a shape that contradicts the model, or a
 *   batch size above 1 for a model that does not batch
 */
export function applyShapes (model: ModelInputs, options: ResolveOptions): InputDims[] {
  const shapes = options.shapes ?? new Map()
  for (const name of shapes.keys()) {
    if (!model.inputs.some((t) => t.name === name)) throw new RangeError(`--shape: the model has no input '${name}' (inputs: ${model.inputs.map((t) => t.name).join(', ')})`)
  }
  if (!model.batched && options.batchSize !== 1) throw new RangeError(`the model does not batch: the batch size must be 1, got ${options.batchSize}`)
  return model.inputs.map((t) => {
    const given = shapes.get(t.name)
    if (given === undefined) return t
    const fits = given.length === t.dims.length && t.dims.every((d, i) => d < 0 || d === given[i])
    if (!fits) throw new RangeError(`--shape ${t.name}:${given.join(',')} does not fit the model's [${t.dims.join(',')}]${model.batched ? ' (batch dimension excluded)' : ''}`)
    return { ...t, dims: [...given] }
  })
}

/**
 * The full shape of each request tensor (batch dimension first when the model batches).
 *
 * @throws RangeError for a variable dimension left open
 */
export function requestSpecs (dims: readonly InputDims[], batched: boolean, batchSize: number): InputSpec[] {
  return dims.map((t) => {
    if (t.dims.some((d) => d < 0)) {
      throw new RangeError(`input '${t.name}' has variable dimensions [${t.dims.join(',')}]: give its shape with --shape ${t.name}:${t.dims.map((d) => (d < 0 ? 'N' : d)).join(',')}`)
    }
    return { name: t.name, datatype: t.datatype, shape: batched ? [batchSize, ...t.dims] : [...t.dims] }
  })
}
