import { TypeCompiler } from '@sinclair/typebox/compiler'
import { parseDocument } from 'yaml'
import { type DataType, fromConfigType } from '../core/dtype.js'
import { Errors } from '../errors/codes.js'
import { InferdError } from '../errors/inferd-error.js'
import { type EnsembleScheduling, normalizeEnsemble } from '../pipeline/ensemble/ensemble-config.js'
import { type ConfigProblem, joinProblems, schemaProblem } from './config-problems.js'
import {
  type DynamicBatchingConfig, type InstanceGroupConfig, type ModelConfigFile, ModelConfigSchema, type ModelInputFile,
  type ModelOutputFile, type OptimizationFile, type WarmupInputFile,
} from './model-config-schema.js'
import type { VersionPolicy } from './version-policy.js'

export type { DynamicBatchingConfig, InstanceGroupConfig, InstanceKind, QueuePolicyConfig } from './model-config-schema.js'

/** A tensor as the config describes it; fields left out are taken from the model at load. */
export interface TensorConfig {
  readonly name: string
  readonly data_type?: DataType
  /** Without the batch dimension when the model batches (Triton's `dims`). */
  readonly dims?: readonly number[]
  /** The shape the model itself takes, when it differs from `dims` (same element count). */
  readonly reshape?: { readonly shape: readonly number[] }
}

export interface ModelInputConfig extends TensorConfig {
  readonly format?: 'FORMAT_NONE' | 'FORMAT_NHWC' | 'FORMAT_NCHW'
  /** The request may leave this input out. */
  readonly optional?: boolean
}

export interface ModelOutputConfig extends TensorConfig {
  /** One label a line, relative to the model folder; read at load (classification extension). */
  readonly label_filename?: string
}

/** An execution accelerator (ONNX Runtime execution provider) with its parameters as strings. */
export interface AcceleratorConfig {
  readonly name: string
  readonly parameters: Readonly<Record<string, string>>
}

export interface OptimizationConfig {
  readonly graph?: { readonly level?: number }
  readonly execution_accelerators?: {
    readonly gpu_execution_accelerator?: readonly AcceleratorConfig[]
    readonly cpu_execution_accelerator?: readonly AcceleratorConfig[]
  }
}

/** How a warmup sample's data is made: exactly one of the three is set. */
export interface WarmupInputConfig {
  readonly data_type: DataType
  readonly dims: readonly number[]
  readonly zero_data?: true
  readonly random_data?: true
  readonly input_data_file?: string
}

export interface ModelWarmupConfig {
  readonly name: string
  readonly batch_size?: number
  readonly inputs: Readonly<Record<string, WarmupInputConfig>>
  readonly count?: number
}

/**
 * A parsed, checked `config.yaml`: Triton's ModelConfig field names, with datatypes as protocol
 * names (`FP32`), parameters as plain strings and the version policy as one branch. Fields left
 * out stay out; `completeConfig` fills them from the model and the defaults.
 */
export type ModelConfig = Omit<ModelConfigFile, 'version_policy' | 'input' | 'output' | 'optimization' | 'parameters' | 'model_warmup' | 'ensemble_scheduling'> & {
  readonly version_policy?: VersionPolicy
  readonly input?: readonly ModelInputConfig[]
  readonly output?: readonly ModelOutputConfig[]
  readonly instance_group?: readonly InstanceGroupConfig[]
  readonly dynamic_batching?: DynamicBatchingConfig
  readonly optimization?: OptimizationConfig
  readonly parameters?: Readonly<Record<string, string>>
  readonly model_warmup?: readonly ModelWarmupConfig[]
  /** Present on an ensemble (platform: ensemble), checked and with every field filled in. */
  readonly ensemble_scheduling?: EnsembleScheduling
}

/** Where a config came from, for messages. */
export interface ParseModelConfigOptions {
  /** The model's folder name; a `name` in the file must equal it. */
  readonly modelName: string
  /** The file (or source) named in error messages. */
  readonly file: string
}

const checkSchema = TypeCompiler.Compile(ModelConfigSchema)

/**
 * Parses a model's config.yaml text (JSON is YAML too, so the load API's `config` parameter
 * parses here as well). An empty file is an empty config.
 *
 * @throws InferdError MODEL_CONFIG_INVALID naming the file, the field path and the problem
 * @example
 * parseModelConfig('max_batch_size: 8\ninput: [{ name: x, data_type: TYPE_FP32, dims: [4] }]', { modelName: 'm', file: 'm/config.yaml' })
 */
export function parseModelConfig (text: string, options: ParseModelConfigOptions): ModelConfig {
  const doc = parseDocument(text, { uniqueKeys: true })
  const yamlError = doc.errors[0]
  if (yamlError !== undefined) {
    const where = yamlError.linePos === undefined ? '' : ` at line ${yamlError.linePos[0].line}, column ${yamlError.linePos[0].col}`
    // The library appends the position and a source excerpt; the message keeps the position only.
    const what = yamlError.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '')
    throw invalid(options, `not valid YAML${where}: ${what}`)
  }
  return validateModelConfig(doc.toJS({ maxAliasCount: 100 }) ?? {}, options)
}

/**
 * Checks an already-parsed config value (from YAML or JSON) and normalizes it.
 *
 * @throws InferdError MODEL_CONFIG_INVALID naming the file, the field path and the problem
 */
export function validateModelConfig (value: unknown, options: ParseModelConfigOptions): ModelConfig {
  if (!checkSchema.Check(value)) {
    const seen = new Set<string>()
    const problems: ConfigProblem[] = []
    for (const error of checkSchema.Errors(value)) {
      // One problem per field: a missing field also fails its type check, which says nothing new.
      if (seen.has(error.path)) continue
      seen.add(error.path)
      problems.push(schemaProblem(error, value))
    }
    throw invalid(options, joinProblems(problems))
  }
  const problems: ConfigProblem[] = []
  const config = normalize(value, options, problems)
  if (problems.length > 0) throw invalid(options, joinProblems(problems))
  return config
}

function invalid (options: ParseModelConfigOptions, detail: string): InferdError {
  return new InferdError(Errors.MODEL_CONFIG_INVALID, [options.modelName, `${options.file}: ${detail}`], {
    details: { file: options.file },
  })
}

/** The semantic checks the schema cannot express, and the conversion to {@link ModelConfig}. */
function normalize (raw: ModelConfigFile, options: ParseModelConfigOptions, problems: ConfigProblem[]): ModelConfig {
  const { version_policy: policy, input, output, optimization, parameters, model_warmup: warmup, ensemble_scheduling: _ensemble, ...rest } = raw
  if (raw.name !== undefined && raw.name !== options.modelName) {
    problems.push({ path: 'name', problem: `'${raw.name}' does not match the model folder '${options.modelName}'` })
  }
  const ensemble = normalizeEnsemble(raw, options.modelName, problems) // src/pipeline/ensemble
  const config: ModelConfig = {
    ...rest,
    ...(policy === undefined ? {} : { version_policy: versionPolicy(policy, problems) }),
    ...(input === undefined ? {} : { input: tensors('input', input, problems) }),
    ...(output === undefined ? {} : { output: tensors('output', output, problems) }),
    ...(optimization === undefined ? {} : { optimization: optimizationConfig(optimization) }),
    ...(parameters === undefined ? {} : { parameters: parameterStrings(parameters) }),
    ...(warmup === undefined ? {} : { model_warmup: warmup.map((w, i) => ({ ...w, inputs: warmupInputs(`model_warmup[${i}]`, w.inputs, problems) })) }),
    ...(ensemble === undefined ? {} : { ensemble_scheduling: ensemble }),
  }
  raw.instance_group?.forEach((group, i) => {
    if (group.kind === 'KIND_CPU' && group.gpus !== undefined && group.gpus.length > 0) {
      problems.push({ path: `instance_group[${i}].gpus`, problem: 'only KIND_GPU and KIND_AUTO groups take gpus' })
    }
  })
  if (raw.dynamic_batching !== undefined) checkPriorities(raw.dynamic_batching, problems)
  return config
}

function versionPolicy (raw: NonNullable<ModelConfigFile['version_policy']>, problems: ConfigProblem[]): VersionPolicy {
  const branches = Object.keys(raw)
  if (branches.length !== 1) {
    problems.push({ path: 'version_policy', problem: `give exactly one of latest, all, specific (got ${branches.length === 0 ? 'none' : branches.join(', ')})` })
  }
  if (raw.specific !== undefined) return { specific: { versions: raw.specific.versions } }
  if (raw.all !== undefined) return { all: {} }
  return { latest: { num_versions: raw.latest?.num_versions ?? 1 } }
}

/** Datatype names and dims of each tensor, with duplicate names refused. */
function tensors<T extends ModelInputFile | ModelOutputFile> (kind: 'input' | 'output', list: readonly T[], problems: ConfigProblem[]): Array<Omit<T, 'data_type'> & { data_type?: DataType }> {
  const names = new Set<string>()
  return list.map((t, i) => {
    const at = `${kind}[${i}]`
    if (names.has(t.name)) problems.push({ path: `${at}.name`, problem: `'${t.name}' is listed twice` })
    names.add(t.name)
    if (t.dims !== undefined) checkDims(`${at}.dims`, t.dims, problems)
    if (t.reshape !== undefined) {
      checkDims(`${at}.reshape.shape`, t.reshape.shape, problems)
      if (t.dims !== undefined) checkReshape(at, t.dims, t.reshape.shape, problems)
    }
    const { data_type: name, ...rest } = t
    const dt = name === undefined ? undefined : dataType(`${at}.data_type`, name, problems)
    return dt === undefined ? rest : { ...rest, data_type: dt }
  })
}

function dataType (path: string, name: string, problems: ConfigProblem[]): DataType | undefined {
  const dt = fromConfigType(name)
  if (dt === undefined) problems.push({ path, problem: `unknown datatype '${name}' (expected a Triton name such as TYPE_FP32, or FP32)` })
  return dt
}

function checkDims (path: string, dims: readonly number[], problems: ConfigProblem[]): void {
  dims.forEach((d, i) => {
    if (d !== -1 && d < 1) problems.push({ path: `${path}[${i}]`, problem: `${d} is not a valid dimension (a size of at least 1, or -1 for a variable one)` })
  })
}

function checkReshape (at: string, dims: readonly number[], shape: readonly number[], problems: ConfigProblem[]): void {
  if (dims.includes(-1) || shape.includes(-1)) return
  const count = (s: readonly number[]): number => s.reduce((n, d) => n * d, 1)
  if (count(dims) !== count(shape)) {
    problems.push({ path: `${at}.reshape.shape`, problem: `[${shape.join(', ')}] holds ${count(shape)} elements but dims [${dims.join(', ')}] hold ${count(dims)}` })
  }
}

function checkPriorities (db: DynamicBatchingConfig, problems: ConfigProblem[]): void {
  const levels = db.priority_levels ?? 0
  const defaultLevel = db.default_priority_level ?? 0
  if (levels === 0 && defaultLevel !== 0) {
    problems.push({ path: 'dynamic_batching.default_priority_level', problem: 'needs priority_levels to be set' })
  }
  if (levels > 0 && (defaultLevel < 1 || defaultLevel > levels)) {
    problems.push({ path: 'dynamic_batching.default_priority_level', problem: `must be between 1 and priority_levels (${levels}), got ${defaultLevel}` })
  }
  for (const key of Object.keys(db.priority_queue_policy ?? {})) {
    if (Number(key) > levels) {
      problems.push({ path: `dynamic_batching.priority_queue_policy[${key}]`, problem: `level ${key} is beyond priority_levels (${levels})` })
    }
  }
}

function optimizationConfig (raw: OptimizationFile): OptimizationConfig {
  const accelerators = (list: NonNullable<NonNullable<OptimizationFile['execution_accelerators']>['cpu_execution_accelerator']>): AcceleratorConfig[] =>
    list.map((a) => ({ name: a.name, parameters: Object.fromEntries(Object.entries(a.parameters ?? {}).map(([k, v]) => [k, String(v)])) }))
  const ea = raw.execution_accelerators
  return {
    ...(raw.graph === undefined ? {} : { graph: raw.graph }),
    ...(ea === undefined
      ? {}
      : {
          execution_accelerators: {
            ...(ea.gpu_execution_accelerator === undefined ? {} : { gpu_execution_accelerator: accelerators(ea.gpu_execution_accelerator) }),
            ...(ea.cpu_execution_accelerator === undefined ? {} : { cpu_execution_accelerator: accelerators(ea.cpu_execution_accelerator) }),
          },
        }),
  }
}

/** Triton's `{ string_value: "1" }` and the plain scalar forms both become `"1"`. */
function parameterStrings (raw: NonNullable<ModelConfigFile['parameters']>): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === 'object' ? String(v.string_value) : String(v)]))
}

function warmupInputs (at: string, raw: Record<string, WarmupInputFile>, problems: ConfigProblem[]): Record<string, WarmupInputConfig> {
  const out: Record<string, WarmupInputConfig> = {}
  for (const [name, input] of Object.entries(raw)) {
    const path = `${at}.inputs.${name}`
    checkDims(`${path}.dims`, input.dims, problems)
    const sources = [input.zero_data === true, input.random_data === true, input.input_data_file !== undefined].filter(Boolean).length
    if (sources !== 1) problems.push({ path, problem: 'give exactly one of zero_data: true, random_data: true, input_data_file' })
    const dt = dataType(`${path}.data_type`, input.data_type, problems) ?? 'FP32'
    out[name] = {
      data_type: dt,
      dims: input.dims,
      ...(input.zero_data === true ? { zero_data: true } : {}),
      ...(input.random_data === true ? { random_data: true } : {}),
      ...(input.input_data_file === undefined ? {} : { input_data_file: input.input_data_file }),
    }
  }
  return out
}
