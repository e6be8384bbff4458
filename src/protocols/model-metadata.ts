import { toConfigType } from '../core/dtype.js'
import { wireShape } from '../core/signature.js'
import type { PipelineRegistry } from '../pipeline/pipeline-registry.js'
import type { ModelRepository, ModelVersion } from '../repository/repository.js'

/** OIP `$metadata_tensor`. */
export interface TensorMetadata { name: string; datatype: string; shape: number[] }

/** OIP `$metadata_model_response`, shared by REST and gRPC. */
export interface ModelMetadata {
  name: string
  versions: string[]
  platform: string
  inputs: TensorMetadata[]
  outputs: TensorMetadata[]
  /**
   * inferd extension, for a model with a `pipeline:` section: the friendly endpoint's request and
   * response fields, and the model's own tensors (inputs/outputs then list the pipeline's BYTES
   * face, which /v2 infer accepts; the tensors are accepted too).
   */
  pipeline?: PipelineMetadata
}

export interface PipelineMetadata {
  endpoint: string
  request: Record<string, string>
  response: Record<string, string>
  model_inputs?: TensorMetadata[]
  model_outputs?: TensorMetadata[]
}

/**
 * Metadata of one served version; `versions` lists every READY version of the model. With the
 * pipelines, a model whose config has a `pipeline:` section shows that face.
 */
export function modelMetadata (repository: ModelRepository, model: ModelVersion, pipelines?: PipelineRegistry): ModelMetadata {
  const { maxBatchSize, inputs, outputs } = model.signature
  const tensorInputs = inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: wireShape(t, maxBatchSize) }))
  const tensorOutputs = outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: wireShape(t, maxBatchSize) }))
  const base = {
    name: model.name,
    versions: repository.list().filter((e) => e.name === model.name && e.state === 'READY' && e.version !== undefined).map((e) => e.version as string),
    platform: model.config.platform,
  }
  // A model without a `pipeline:` section answers /predict with its tensors by name: the
  // metadata says all there is to know, and stays exactly the protocol's.
  const configured = pipelines?.configured(model)
  if (configured === undefined) return { ...base, inputs: tensorInputs, outputs: tensorOutputs }
  const describe = {
    endpoint: `/v2/models/${model.name}/predict`,
    request: Object.fromEntries(configured.inputs.map((s) => [s.name, s.describe])),
    response: Object.fromEntries(configured.outputs.map((s) => [s.name, s.describe])),
  }
  return {
    ...base,
    inputs: configured.inputs.map((s) => ({ name: s.name, datatype: 'BYTES', shape: [-1] })),
    outputs: configured.outputs.map((s) => ({ name: s.name, datatype: s.datatype, shape: [-1, ...s.dims] })),
    pipeline: { ...describe, model_inputs: tensorInputs, model_outputs: tensorOutputs },
  }
}

/**
 * The model configuration in Triton's JSON form (model_configuration extension): the resolved
 * config with datatypes written as Triton writes them (`TYPE_FP32`, BYTES as `TYPE_STRING`).
 */
export function tritonModelConfig (model: ModelVersion): Record<string, unknown> {
  const c = model.config
  return {
    ...c,
    input: c.input.map((t) => ({ ...t, data_type: toConfigType(t.data_type) })),
    output: c.output.map((t) => ({ ...t, data_type: toConfigType(t.data_type) })),
    model_warmup: c.model_warmup.map((w) => ({
      ...w,
      inputs: Object.fromEntries(Object.entries(w.inputs).map(([k, v]) => [k, { ...v, data_type: toConfigType(v.data_type) }])),
    })),
  }
}
