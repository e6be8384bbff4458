import { toConfigType } from '../core/dtype.js'
import { wireShape } from '../core/signature.js'
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
}

/** Metadata of one served version; `versions` lists every READY version of the model. */
export function modelMetadata (repository: ModelRepository, model: ModelVersion): ModelMetadata {
  const { maxBatchSize, inputs, outputs } = model.signature
  return {
    name: model.name,
    versions: repository.list().filter((e) => e.name === model.name && e.state === 'READY' && e.version !== undefined).map((e) => e.version as string),
    platform: model.config.platform,
    inputs: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: wireShape(t, maxBatchSize) })),
    outputs: outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: wireShape(t, maxBatchSize) })),
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
