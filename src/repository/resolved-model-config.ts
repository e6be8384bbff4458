import type { DataType } from '../core/dtype.js'
import type { EnsembleScheduling } from '../pipeline/ensemble/ensemble-config.js'
import type { PipelineConfig } from '../pipeline/pipeline-config.js'
import type { AcceleratorConfig, WarmupInputConfig } from './model-config.js'
import type { VersionPolicy } from './version-policy.js'

/**
 * A model version's configuration after completion: what the config file said, merged with what
 * the model file declares, every field present with its default. Field names are Triton's, so the
 * protocol layer can report it as the model's config (converting `data_type` with `toConfigType`).
 * It holds plain data only (no label lists, no sessions), so it serializes as it is.
 */
export interface ResolvedModelConfig {
  readonly name: string
  /** Triton platform string of the backend (`onnxruntime_onnx`). */
  readonly platform: string
  readonly backend: string
  readonly default_model_filename: string
  readonly version_policy: VersionPolicy
  /** 0: no batching, dims are full shapes; N > 0: the first dimension is the batch, up to N. */
  readonly max_batch_size: number
  readonly input: readonly ResolvedModelInput[]
  /** The outputs served: all the model's, or the subset the config lists. */
  readonly output: readonly ResolvedModelOutput[]
  readonly instance_group: readonly ResolvedInstanceGroup[]
  /** Absent when the config does not enable dynamic batching. */
  readonly dynamic_batching?: ResolvedDynamicBatching
  readonly optimization: ResolvedOptimization
  readonly parameters: Readonly<Record<string, string>>
  readonly model_warmup: readonly ResolvedModelWarmup[]
  /** inferd extension: the friendly face, as written (each kind's settings are checked when the pipeline is built). */
  readonly pipeline?: PipelineConfig
  /** Present on an ensemble (platform: ensemble): its steps, Triton's ModelEnsembling (src/pipeline/ensemble). */
  readonly ensemble_scheduling?: EnsembleScheduling
}

export interface ResolvedModelInput {
  readonly name: string
  readonly data_type: DataType
  readonly format: 'FORMAT_NONE' | 'FORMAT_NHWC' | 'FORMAT_NCHW'
  /** As clients send it, without the batch dimension when max_batch_size > 0. */
  readonly dims: readonly number[]
  /** Present when the model takes another shape than `dims`: the input is reshaped to it before running. */
  readonly reshape?: { readonly shape: readonly number[] }
  readonly optional: boolean
}

export interface ResolvedModelOutput {
  readonly name: string
  readonly data_type: DataType
  readonly dims: readonly number[]
  /** Present when the model produces another shape than `dims`: the output is reshaped from it. */
  readonly reshape?: { readonly shape: readonly number[] }
  readonly label_filename?: string
}

/**
 * Instances of the model. KIND_AUTO is resolved at completion (GPU when one is available, else
 * CPU). `gpus` empty on a KIND_GPU group means every available GPU, as in Triton.
 */
export interface ResolvedInstanceGroup {
  readonly name: string
  readonly kind: 'KIND_CPU' | 'KIND_GPU'
  readonly count: number
  readonly gpus: readonly number[]
}

/** Triton's ModelQueuePolicy with its defaults applied. */
export interface ResolvedQueuePolicy {
  readonly timeout_action: 'REJECT' | 'DELAY'
  /** µs; 0 = no timeout. */
  readonly default_timeout_microseconds: number
  readonly allow_timeout_override: boolean
  /** Requests; 0 = unbounded. */
  readonly max_queue_size: number
}

export interface ResolvedDynamicBatching {
  /** Ascending; each ≤ max_batch_size. */
  readonly preferred_batch_size: readonly number[]
  /** µs. */
  readonly max_queue_delay_microseconds: number
  readonly preserve_ordering: boolean
  /** 0 = one queue, no priorities. */
  readonly priority_levels: number
  /** 0 when priority_levels is 0, else in 1..priority_levels. */
  readonly default_priority_level: number
  readonly default_queue_policy: ResolvedQueuePolicy
  /** One entry per level 1..priority_levels: the level's own policy or the default one. */
  readonly priority_queue_policy: Readonly<Record<number, ResolvedQueuePolicy>>
}

export interface ResolvedOptimization {
  /** Triton's graph level: -1 basic only (ONNX Runtime), 0 the framework default, 1 extended. */
  readonly graph: { readonly level: number }
  readonly execution_accelerators: {
    readonly gpu_execution_accelerator: readonly AcceleratorConfig[]
    readonly cpu_execution_accelerator: readonly AcceleratorConfig[]
  }
}

export interface ResolvedModelWarmup {
  readonly name: string
  readonly batch_size: number
  readonly inputs: Readonly<Record<string, WarmupInputConfig>>
  /** Executions of the sample, at least 1 (Triton's 0 means once). */
  readonly count: number
}
