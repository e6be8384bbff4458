import { toConfigType } from '../../core/dtype.js'
import type { ResolvedDynamicBatching, ResolvedModelConfig, ResolvedQueuePolicy } from '../../repository/resolved-model-config.js'

/**
 * A plain object for proto/model_config.proto's `ModelConfig` (enums by name, as proto-loader
 * encodes them). Typed loosely on purpose: it exists only to be serialized.
 * @internal
 */
export type ModelConfigMessage = Record<string, unknown>

/**
 * A model version's resolved configuration as Triton's `ModelConfig` message: the same content as
 * the REST `/config` answer (model-metadata.ts's tritonModelConfig), field by field, so that
 * nothing the proto does not define reaches the encoder and every enum carries a name it knows.
 */
export function modelConfigMessage (c: ResolvedModelConfig): ModelConfigMessage {
  return {
    name: c.name,
    platform: c.platform,
    backend: c.backend,
    default_model_filename: c.default_model_filename,
    version_policy: c.version_policy,
    max_batch_size: c.max_batch_size,
    input: c.input.map((t) => ({
      name: t.name,
      data_type: toConfigType(t.data_type),
      format: t.format,
      dims: [...t.dims],
      ...(t.reshape === undefined ? {} : { reshape: { shape: [...t.reshape.shape] } }),
      optional: t.optional,
    })),
    output: c.output.map((t) => ({
      name: t.name,
      data_type: toConfigType(t.data_type),
      dims: [...t.dims],
      ...(t.reshape === undefined ? {} : { reshape: { shape: [...t.reshape.shape] } }),
      ...(t.label_filename === undefined ? {} : { label_filename: t.label_filename }),
    })),
    instance_group: c.instance_group.map((g) => ({ name: g.name, kind: g.kind, count: g.count, gpus: [...g.gpus] })),
    ...(c.dynamic_batching === undefined ? {} : { dynamic_batching: dynamicBatching(c.dynamic_batching) }),
    ...(c.ensemble_scheduling === undefined ? {} : { ensemble_scheduling: { step: c.ensemble_scheduling.step.map((st) => ({ ...st, input_map: { ...st.input_map }, output_map: { ...st.output_map } })) } }),
    optimization: {
      graph: { level: c.optimization.graph.level },
      execution_accelerators: {
        gpu_execution_accelerator: c.optimization.execution_accelerators.gpu_execution_accelerator.map((a) => ({ name: a.name, parameters: { ...a.parameters } })),
        cpu_execution_accelerator: c.optimization.execution_accelerators.cpu_execution_accelerator.map((a) => ({ name: a.name, parameters: { ...a.parameters } })),
      },
    },
    parameters: Object.fromEntries(Object.entries(c.parameters).map(([k, v]) => [k, { string_value: v }])),
    model_warmup: c.model_warmup.map((w) => ({
      name: w.name,
      batch_size: w.batch_size,
      count: w.count,
      inputs: Object.fromEntries(Object.entries(w.inputs).map(([k, v]) => [k, {
        data_type: toConfigType(v.data_type),
        dims: [...v.dims],
        ...(v.zero_data === true ? { zero_data: true } : {}),
        ...(v.random_data === true ? { random_data: true } : {}),
        ...(v.input_data_file === undefined ? {} : { input_data_file: v.input_data_file }),
      }])),
    })),
  }
}

function dynamicBatching (b: ResolvedDynamicBatching): ModelConfigMessage {
  return {
    preferred_batch_size: [...b.preferred_batch_size],
    max_queue_delay_microseconds: b.max_queue_delay_microseconds,
    preserve_ordering: b.preserve_ordering,
    priority_levels: b.priority_levels,
    default_priority_level: b.default_priority_level,
    default_queue_policy: queuePolicy(b.default_queue_policy),
    priority_queue_policy: Object.fromEntries(Object.entries(b.priority_queue_policy).map(([level, p]) => [level, queuePolicy(p)])),
  }
}

function queuePolicy (p: ResolvedQueuePolicy): ModelConfigMessage {
  return {
    timeout_action: p.timeout_action,
    default_timeout_microseconds: p.default_timeout_microseconds,
    allow_timeout_override: p.allow_timeout_override,
    max_queue_size: p.max_queue_size,
  }
}
