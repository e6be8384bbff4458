import { type Static, type TSchema, Type } from '@sinclair/typebox'
import { PipelineSchema } from '../pipeline/pipeline-config.js'
import { EnsembleSchedulingSchema } from '../pipeline/ensemble/ensemble-config.js'

/**
 * The schema of `<repository>/<model>/config.yaml`, as written: Triton's `ModelConfig` (from
 * model_config.proto) in the snake_case field names of its JSON form. Every object is closed
 * (`additionalProperties: false`) so that a misspelt field is an error naming its path rather than
 * a setting silently ignored.
 *
 * Only the parts of ModelConfig that inferd serves are accepted; a Triton field outside this list
 * (sequence_batching, ...) is refused as unknown, which is more honest than
 * accepting a setting that would do nothing. Values stay as written here; `model-config.ts`
 * normalizes them (datatype names, parameter values, the version-policy branch).
 *
 * A schema may carry `expected`: the wording used when a value matches none of a union's forms.
 */

const closed = { additionalProperties: false } as const

/** One integer dimension; 0 and values below -1 are refused by the parser with a clearer message. */
const Dim = Type.Integer()
const Dims = Type.Array(Dim)

/** Triton's datatype names (`TYPE_FP32`) or the protocol's (`FP32`); checked by the parser. */
const DataTypeName = Type.String({ minLength: 1 })

/** A scalar written in YAML where Triton has a string; kept as its string form. */
const ScalarString = Type.Union([Type.String(), Type.Number(), Type.Boolean()], { expected: 'a string, number or boolean' })

export const TensorReshapeSchema = Type.Object({ shape: Dims }, closed)

export const ModelInputSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  data_type: Type.Optional(DataTypeName),
  format: Type.Optional(Type.Union([Type.Literal('FORMAT_NONE'), Type.Literal('FORMAT_NHWC'), Type.Literal('FORMAT_NCHW')], {
    expected: 'one of FORMAT_NONE, FORMAT_NHWC, FORMAT_NCHW',
  })),
  dims: Type.Optional(Dims),
  reshape: Type.Optional(TensorReshapeSchema),
  optional: Type.Optional(Type.Boolean()),
}, closed)

export const ModelOutputSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  data_type: Type.Optional(DataTypeName),
  dims: Type.Optional(Dims),
  reshape: Type.Optional(TensorReshapeSchema),
  label_filename: Type.Optional(Type.String({ minLength: 1 })),
}, closed)

export const VersionPolicySchema = Type.Object({
  latest: Type.Optional(Type.Object({ num_versions: Type.Optional(Type.Integer({ minimum: 1 })) }, closed)),
  all: Type.Optional(Type.Object({}, closed)),
  specific: Type.Optional(Type.Object({ versions: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1 }) }, closed)),
}, closed)

export const InstanceKindSchema = Type.Union([Type.Literal('KIND_AUTO'), Type.Literal('KIND_CPU'), Type.Literal('KIND_GPU')], {
  expected: 'one of KIND_AUTO, KIND_CPU, KIND_GPU',
})

export const InstanceGroupSchema = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1 })),
  count: Type.Optional(Type.Integer({ minimum: 1 })),
  kind: Type.Optional(InstanceKindSchema),
  gpus: Type.Optional(Type.Array(Type.Integer({ minimum: 0 }))),
}, closed)

export const QueuePolicySchema = Type.Object({
  timeout_action: Type.Optional(Type.Union([Type.Literal('REJECT'), Type.Literal('DELAY')], { expected: 'REJECT or DELAY' })),
  /** µs; 0 = no timeout. */
  default_timeout_microseconds: Type.Optional(Type.Integer({ minimum: 0 })),
  allow_timeout_override: Type.Optional(Type.Boolean()),
  /** requests; 0 = unbounded. */
  max_queue_size: Type.Optional(Type.Integer({ minimum: 0 })),
}, closed)

export const DynamicBatchingSchema = Type.Object({
  preferred_batch_size: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }))),
  /** µs a request may wait for others to join its batch; 0 = gather only what is already queued. */
  max_queue_delay_microseconds: Type.Optional(Type.Integer({ minimum: 0 })),
  preserve_ordering: Type.Optional(Type.Boolean()),
  /** 0 = no priorities; otherwise levels 1 (highest) .. priority_levels. */
  priority_levels: Type.Optional(Type.Integer({ minimum: 0 })),
  default_priority_level: Type.Optional(Type.Integer({ minimum: 0 })),
  default_queue_policy: Type.Optional(QueuePolicySchema),
  /** Keyed by priority level (a positive integer). */
  priority_queue_policy: Type.Optional(Type.Record(Type.String({ pattern: '^[1-9][0-9]*$' }), QueuePolicySchema, {
    ...closed,
    expected: 'priority levels (positive integers) as keys',
  })),
}, closed)

const AcceleratorSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  parameters: Type.Optional(Type.Record(Type.String(), ScalarString)),
}, closed)

export const OptimizationSchema = Type.Object({
  graph: Type.Optional(Type.Object({ level: Type.Optional(Type.Integer()) }, closed)),
  execution_accelerators: Type.Optional(Type.Object({
    gpu_execution_accelerator: Type.Optional(Type.Array(AcceleratorSchema)),
    cpu_execution_accelerator: Type.Optional(Type.Array(AcceleratorSchema)),
  }, closed)),
}, closed)

/** Triton's `{ key: { string_value: "1" } }`, or plainly `{ key: "1" }` / `{ key: 1 }`. */
export const ParameterValueSchema = Type.Union([
  Type.String(), Type.Number(), Type.Boolean(),
  Type.Object({ string_value: ScalarString }, closed),
], { expected: 'a string, number, boolean or { string_value: ... }' })

export const WarmupInputSchema = Type.Object({
  data_type: DataTypeName,
  dims: Dims,
  zero_data: Type.Optional(Type.Boolean()),
  random_data: Type.Optional(Type.Boolean()),
  input_data_file: Type.Optional(Type.String({ minLength: 1 })),
}, closed)

export const ModelWarmupSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  batch_size: Type.Optional(Type.Integer({ minimum: 1 })),
  inputs: Type.Record(Type.String({ minLength: 1 }), WarmupInputSchema),
  /** Executions of this sample; Triton's 0 (the default) means once. */
  count: Type.Optional(Type.Integer({ minimum: 0 })),
}, closed)

export const ModelConfigSchema = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1 })),
  platform: Type.Optional(Type.String({ minLength: 1 })),
  backend: Type.Optional(Type.String({ minLength: 1 })),
  default_model_filename: Type.Optional(Type.String({ minLength: 1 })),
  version_policy: Type.Optional(VersionPolicySchema),
  max_batch_size: Type.Optional(Type.Integer({ minimum: 0 })),
  input: Type.Optional(Type.Array(ModelInputSchema)),
  output: Type.Optional(Type.Array(ModelOutputSchema)),
  instance_group: Type.Optional(Type.Array(InstanceGroupSchema)),
  dynamic_batching: Type.Optional(DynamicBatchingSchema),
  optimization: Type.Optional(OptimizationSchema),
  parameters: Type.Optional(Type.Record(Type.String({ minLength: 1 }), ParameterValueSchema)),
  model_warmup: Type.Optional(Type.Array(ModelWarmupSchema)),
  /** inferd extension: raw data in, labelled answers out (src/pipeline/pipeline-config.ts). */
  pipeline: Type.Optional(PipelineSchema),
  /** Triton's ensembles (platform: ensemble): steps over other models (src/pipeline/ensemble/ensemble-config.ts). */
  ensemble_scheduling: Type.Optional(EnsembleSchedulingSchema),
}, closed)

/** config.yaml as written, before normalization. */
export type ModelConfigFile = Static<typeof ModelConfigSchema>
export type ModelInputFile = Static<typeof ModelInputSchema>
export type ModelOutputFile = Static<typeof ModelOutputSchema>
export type InstanceGroupConfig = Static<typeof InstanceGroupSchema>
export type InstanceKind = Static<typeof InstanceKindSchema>
export type QueuePolicyConfig = Static<typeof QueuePolicySchema>
export type DynamicBatchingConfig = Static<typeof DynamicBatchingSchema>
export type WarmupInputFile = Static<typeof WarmupInputSchema>
export type ModelWarmupFile = Static<typeof ModelWarmupSchema>
export type OptimizationFile = Static<typeof OptimizationSchema>

/** The wording for a union mismatch, when the schema provides one. @internal */
export function expectedOf (schema: TSchema): string | undefined {
  const expected: unknown = (schema as Record<string, unknown>)['expected']
  return typeof expected === 'string' ? expected : undefined
}
