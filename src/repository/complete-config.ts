import type { Backend, DeclaredSignature, DeclaredTensor } from '../backends/backend.js'
import { type DataType, toConfigType } from '../core/dtype.js'
import type { ModelSignature, TensorSpec } from '../core/signature.js'
import { Errors } from '../errors/codes.js'
import { InferdError } from '../errors/inferd-error.js'
import type { DynamicBatchingConfig, ModelConfig, QueuePolicyConfig, TensorConfig } from './model-config.js'
import type {
  ResolvedDynamicBatching, ResolvedInstanceGroup, ResolvedModelConfig, ResolvedModelInput, ResolvedModelOutput,
  ResolvedModelWarmup, ResolvedQueuePolicy,
} from './resolved-model-config.js'
import { DEFAULT_VERSION_POLICY } from './version-policy.js'

export interface CompleteConfigOptions {
  /** The model's name (its folder, or the single file's base name). */
  readonly modelName: string
  /** The backend that opened the model: supplies `backend`, `platform` and the default file name. */
  readonly backend: Pick<Backend, 'name' | 'platform' | 'defaultModelFilename'>
  /**
   * max_batch_size given to a model whose config sets none and whose every input and output has
   * a variable first dimension; 0 turns that detection off.
   */
  readonly defaultMaxBatchSize: number
  /** Resolves KIND_AUTO instance groups to KIND_GPU rather than KIND_CPU. Default false. */
  readonly gpuAvailable?: boolean
}

/** A config completed against the model: the full config and the signature requests are checked against. */
export interface CompletedConfig {
  readonly config: ResolvedModelConfig
  readonly signature: ModelSignature
}

/**
 * Merges a parsed config (possibly empty) with what an opened model declares.
 *
 * - No `input`/`output` in the config: names, datatypes and shapes come from the model. Inputs the
 *   config leaves out are added from the model (the model needs them all); outputs the config
 *   lists are the only ones served.
 * - Batching: a config's `max_batch_size` > 0 requires a variable (-1) first dimension on every
 *   input and served output. With none set, the model batches (at `defaultMaxBatchSize`) when
 *   every input and output has a variable first dimension, unless the config gives some tensor's
 *   dims at the model's full rank (then its author described full shapes).
 * - The config may narrow a variable model dimension to a size, never contradict a fixed one:
 *   a differing datatype, rank or fixed size, or a -1 where the model is fixed, is refused (as
 *   Triton does), and so is a tensor name the model does not have.
 *
 * @throws InferdError MODEL_CONFIG_INVALID naming the field and both values
 * @example
 * completeConfig({}, session.declared, { modelName: 'mlp', backend, defaultMaxBatchSize: 256 })
 */
export function completeConfig (config: ModelConfig, declared: DeclaredSignature, options: CompleteConfigOptions): CompletedConfig {
  const fail = (message: string): never => { throw new InferdError(Errors.MODEL_CONFIG_INVALID, [options.modelName, message]) }
  const maxBatchSize = decideMaxBatchSize(config, declared, options.defaultMaxBatchSize)

  const inputConfigs = new Map((config.input ?? []).map((c) => [c.name, c]))
  for (const name of inputConfigs.keys()) {
    if (!declared.inputs.some((t) => t.name === name)) fail(`input '${name}' is not an input of the model (the model's inputs: ${names(declared.inputs)})`)
  }
  // Config order first (it is what metadata reports), then the inputs the config left out.
  const inputOrder = [...inputConfigs.keys(), ...declared.inputs.map((t) => t.name).filter((n) => !inputConfigs.has(n))]
  const input: ResolvedModelInput[] = inputOrder.map((name) => {
    const model = declared.inputs.find((t) => t.name === name) as DeclaredTensor
    const cfg = inputConfigs.get(name)
    return {
      ...resolveTensor('input', cfg, model, maxBatchSize, fail),
      format: cfg?.format ?? 'FORMAT_NONE',
      optional: cfg?.optional ?? false,
    }
  })

  const outputConfigs = config.output !== undefined && config.output.length > 0 ? config.output : declared.outputs.map((t) => ({ name: t.name }))
  const output: ResolvedModelOutput[] = outputConfigs.map((cfg) => {
    const model = declared.outputs.find((t) => t.name === cfg.name) ??
      fail(`output '${cfg.name}' is not an output of the model (the model's outputs: ${names(declared.outputs)})`)
    const label = 'label_filename' in cfg && cfg.label_filename !== undefined ? { label_filename: cfg.label_filename } : {}
    return { ...resolveTensor('output', cfg, model, maxBatchSize, fail), ...label }
  })

  const resolved: ResolvedModelConfig = {
    name: options.modelName,
    platform: options.backend.platform,
    backend: options.backend.name,
    default_model_filename: config.default_model_filename ?? options.backend.defaultModelFilename,
    version_policy: config.version_policy ?? DEFAULT_VERSION_POLICY,
    max_batch_size: maxBatchSize,
    input,
    output,
    instance_group: instanceGroups(config, options),
    ...(config.dynamic_batching === undefined ? {} : { dynamic_batching: dynamicBatching(config.dynamic_batching, maxBatchSize, fail) }),
    optimization: {
      graph: { level: config.optimization?.graph?.level ?? 0 },
      execution_accelerators: {
        gpu_execution_accelerator: config.optimization?.execution_accelerators?.gpu_execution_accelerator ?? [],
        cpu_execution_accelerator: config.optimization?.execution_accelerators?.cpu_execution_accelerator ?? [],
      },
    },
    parameters: config.parameters ?? {},
    model_warmup: warmups(config, input, maxBatchSize, fail),
    ...(config.pipeline === undefined ? {} : { pipeline: config.pipeline }),
    ...(config.ensemble_scheduling === undefined ? {} : { ensemble_scheduling: config.ensemble_scheduling }),
  }
  return {
    config: resolved,
    signature: {
      maxBatchSize,
      inputs: input.map((t) => spec(t, t.optional)),
      outputs: output.map((t) => spec(t, false)),
    },
  }
}

function decideMaxBatchSize (config: ModelConfig, declared: DeclaredSignature, defaultMaxBatchSize: number): number {
  if (config.max_batch_size !== undefined) return config.max_batch_size
  if (defaultMaxBatchSize <= 0 || declared.inputs.length === 0) return 0
  const tensors = [...declared.inputs, ...declared.outputs]
  if (!tensors.every((t) => t.shape !== undefined && t.shape.length > 0 && t.shape[0] === -1)) return 0
  const fullRank = [...(config.input ?? []), ...(config.output ?? [])].some((c) => {
    const shape = c.reshape?.shape ?? c.dims
    const model = tensors.find((t) => t.name === c.name)
    return shape !== undefined && model?.shape !== undefined && shape.length === model.shape.length
  })
  return fullRank ? 0 : defaultMaxBatchSize
}

type Fail = (message: string) => never

/** Datatype and dims of one tensor, from the config where it speaks and the model otherwise. */
function resolveTensor (kind: 'input' | 'output', cfg: TensorConfig | undefined, model: DeclaredTensor, maxBatchSize: number, fail: Fail): {
  name: string; data_type: DataType; dims: readonly number[]; reshape?: { readonly shape: readonly number[] }
} {
  const label = `${kind} '${model.name}'`
  let modelDims: readonly number[] | undefined = model.shape
  if (modelDims !== undefined && maxBatchSize > 0) {
    const first = modelDims[0]
    if (first === undefined) fail(`max_batch_size ${maxBatchSize} but ${label} is a scalar, with no dimension to batch`)
    if (first !== -1) fail(`max_batch_size ${maxBatchSize} but ${label} has fixed first dimension ${String(first)}`)
    modelDims = modelDims.slice(1)
  }
  if (cfg?.data_type !== undefined && cfg.data_type !== model.datatype) {
    fail(`${label} data_type: config says ${toConfigType(cfg.data_type)}, the model says ${toConfigType(model.datatype)}`)
  }
  if (cfg?.reshape !== undefined && cfg.dims === undefined) fail(`${label} reshape: needs dims (the shape clients use) beside it`)
  const modelFacing = cfg?.reshape?.shape ?? cfg?.dims
  if (modelFacing !== undefined && modelDims !== undefined && contradicts(modelFacing, modelDims)) {
    const field = cfg?.reshape !== undefined ? 'reshape.shape' : 'dims'
    const batchNote = maxBatchSize > 0 ? ' (without the batch dimension)' : ''
    fail(`${label} ${field}: config says ${show(modelFacing)}, the model says ${show(modelDims)}${batchNote}`)
  }
  const dims = cfg?.dims ?? modelDims ?? fail(`${label}: the model does not declare its shape; give dims in the config`)
  return {
    name: model.name,
    data_type: model.datatype,
    dims: [...dims],
    ...(cfg?.reshape === undefined ? {} : { reshape: { shape: [...cfg.reshape.shape] } }),
  }
}

/** A config shape contradicts the model's when the ranks differ or a fixed model size differs (a config -1 included). */
function contradicts (configDims: readonly number[], modelDims: readonly number[]): boolean {
  if (configDims.length !== modelDims.length) return true
  return modelDims.some((d, i) => d !== -1 && configDims[i] !== d)
}

function instanceGroups (config: ModelConfig, options: CompleteConfigOptions): ResolvedInstanceGroup[] {
  const groups = config.instance_group !== undefined && config.instance_group.length > 0 ? config.instance_group : [{}]
  return groups.map((g, i) => {
    const kind = g.kind === undefined || g.kind === 'KIND_AUTO' ? (options.gpuAvailable === true ? 'KIND_GPU' : 'KIND_CPU') : g.kind
    return { name: g.name ?? `${options.modelName}_${i}`, kind, count: g.count ?? 1, gpus: kind === 'KIND_GPU' ? [...(g.gpus ?? [])] : [] }
  })
}

function queuePolicy (p: QueuePolicyConfig | undefined): ResolvedQueuePolicy {
  return {
    timeout_action: p?.timeout_action ?? 'REJECT',
    default_timeout_microseconds: p?.default_timeout_microseconds ?? 0,
    allow_timeout_override: p?.allow_timeout_override ?? false,
    max_queue_size: p?.max_queue_size ?? 0,
  }
}

function dynamicBatching (db: DynamicBatchingConfig, maxBatchSize: number, fail: Fail): ResolvedDynamicBatching {
  const preferred = [...new Set(db.preferred_batch_size ?? [])].sort((a, b) => a - b)
  const tooLarge = preferred.find((n) => n > maxBatchSize)
  if (tooLarge !== undefined) fail(`dynamic_batching.preferred_batch_size: ${tooLarge} is larger than max_batch_size ${maxBatchSize}`)
  const levels = db.priority_levels ?? 0
  const defaultPolicy = queuePolicy(db.default_queue_policy)
  const perLevel: Record<number, ResolvedQueuePolicy> = {}
  for (let level = 1; level <= levels; level++) {
    const own = db.priority_queue_policy?.[String(level)]
    perLevel[level] = own === undefined ? defaultPolicy : queuePolicy(own)
  }
  return {
    preferred_batch_size: preferred,
    max_queue_delay_microseconds: db.max_queue_delay_microseconds ?? 0,
    preserve_ordering: db.preserve_ordering ?? false,
    priority_levels: levels,
    default_priority_level: db.default_priority_level ?? 0,
    default_queue_policy: defaultPolicy,
    priority_queue_policy: perLevel,
  }
}

function warmups (config: ModelConfig, input: readonly ResolvedModelInput[], maxBatchSize: number, fail: Fail): ResolvedModelWarmup[] {
  return (config.model_warmup ?? []).map((w, i) => {
    const batchSize = w.batch_size ?? 1
    const limit = Math.max(1, maxBatchSize)
    if (batchSize > limit) fail(`model_warmup[${i}].batch_size: ${batchSize} is larger than ${maxBatchSize > 0 ? `max_batch_size ${maxBatchSize}` : '1 (the model does not batch)'}`)
    for (const name of Object.keys(w.inputs)) {
      if (!input.some((t) => t.name === name)) fail(`model_warmup[${i}].inputs: '${name}' is not an input of the model (inputs: ${names(input)})`)
    }
    return { name: w.name, batch_size: batchSize, inputs: w.inputs, count: Math.max(1, w.count ?? 0) }
  })
}

function spec (t: { name: string; data_type: DataType; dims: readonly number[] }, optional: boolean): TensorSpec {
  return { name: t.name, datatype: t.data_type, dims: t.dims, ...(optional ? { optional: true } : {}) }
}

function names (list: ReadonlyArray<{ name: string }>): string {
  return list.length === 0 ? '(none)' : list.map((t) => t.name).join(', ')
}

function show (dims: readonly number[]): string {
  return `[${dims.join(', ')}]`
}
