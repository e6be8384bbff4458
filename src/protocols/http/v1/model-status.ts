import type { DataType } from '../../../core/dtype.js'
import { type TensorSpec, wireShape } from '../../../core/signature.js'
import { Errors } from '../../../errors/codes.js'
import { InferdError } from '../../../errors/inferd-error.js'
import { type ModelState, REASONS } from '../../../repository/model-state.js'
import type { ModelRepository, ModelVersion, RepositoryIndexEntry } from '../../../repository/repository.js'
import { DEFAULT_SIGNATURE } from './predict-request.js'

/** One entry of TF Serving's GetModelStatusResponse, as its REST API writes it. */
export interface ModelVersionStatus {
  version: string
  state: 'UNKNOWN' | 'START' | 'LOADING' | 'AVAILABLE' | 'UNLOADING' | 'END'
  status: { error_code: string; error_message: string }
}

/**
 * `GET /v1/models/{m}[/versions/{v}]`: TF Serving's model status, plus KServe v1's model-ready
 * fields (`name`, `ready`), so that clients of either protocol read their own answer:
 *
 *   {"name": "iris", "ready": true,
 *    "model_version_status": [{"version": "1", "state": "AVAILABLE",
 *                              "status": {"error_code": "OK", "error_message": ""}}]}
 *
 * States map from the repository's: READY → AVAILABLE, LOADING → LOADING, UNLOADING → UNLOADING,
 * UNAVAILABLE → END (its journey over: unloaded, or failed, the failure then in `status` with
 * error_code UNKNOWN) or START when never loaded. Every version the repository knows is listed;
 * `ready` is true when one listed version is AVAILABLE.
 *
 * @throws InferdError MODEL_NOT_FOUND, MODEL_VERSION_NOT_FOUND; MODEL_NOT_READY (with the reason)
 *   for a model whose configuration failed, which has no versions to report
 */
export function modelStatus (repository: ModelRepository, name: string, version?: string): { name: string; ready: boolean; model_version_status: ModelVersionStatus[] } {
  const entries = repository.list().filter((e) => e.name === name)
  if (entries.length === 0) throw new InferdError(Errors.MODEL_NOT_FOUND, [name])
  if (entries.every((e) => e.version === undefined)) repository.get(name) // throws why the model has no versions
  let listed = entries.filter((e) => e.version !== undefined)
  if (version !== undefined) {
    listed = listed.filter((e) => sameVersion(e.version as string, version))
    if (listed.length === 0) throw new InferdError(Errors.MODEL_VERSION_NOT_FOUND, [name, version])
  }
  const statuses = listed.map(versionStatus)
  return { name, ready: statuses.some((s) => s.state === 'AVAILABLE'), model_version_status: statuses }
}

function versionStatus (e: RepositoryIndexEntry): ModelVersionStatus {
  const failed = e.state === 'UNAVAILABLE' && !([REASONS.NOT_LOADED, REASONS.UNLOADED, REASONS.CLOSED, ''] as string[]).includes(e.reason)
  return {
    version: e.version as string,
    state: tfState(e.state, e.reason),
    status: failed ? { error_code: 'UNKNOWN', error_message: e.reason } : { error_code: 'OK', error_message: '' },
  }
}

function tfState (state: ModelState, reason: string): ModelVersionStatus['state'] {
  switch (state) {
    case 'READY': return 'AVAILABLE'
    case 'LOADING': return 'LOADING'
    case 'UNLOADING': return 'UNLOADING'
    case 'UNAVAILABLE': return reason === REASONS.NOT_LOADED ? 'START' : 'END'
  }
}

/** `"1"` and `"01"` name the same version folder. */
function sameVersion (a: string, b: string): boolean {
  return a === b || (/^\d+$/.test(b) && Number(a) === Number(b))
}

/** TF's DataType enum names for OIP datatypes. */
const TF_DTYPES: Readonly<Record<DataType, string>> = Object.freeze({
  BOOL: 'DT_BOOL', UINT8: 'DT_UINT8', UINT16: 'DT_UINT16', UINT32: 'DT_UINT32', UINT64: 'DT_UINT64',
  INT8: 'DT_INT8', INT16: 'DT_INT16', INT32: 'DT_INT32', INT64: 'DT_INT64',
  FP16: 'DT_HALF', BF16: 'DT_BFLOAT16', FP32: 'DT_FLOAT', FP64: 'DT_DOUBLE', BYTES: 'DT_STRING',
})

/**
 * `GET /v1/models/{m}[/versions/{v}]/metadata`: TF Serving's GetModelMetadataResponse with the
 * model's one signature, `serving_default` (dimension sizes are strings, as proto3 JSON writes
 * int64; -1 marks the batch and variable dimensions).
 */
export function modelMetadataV1 (model: ModelVersion): Record<string, unknown> {
  const { maxBatchSize, inputs, outputs } = model.signature
  const tensors = (specs: readonly TensorSpec[]): Record<string, unknown> => Object.fromEntries(specs.map((s) => [s.name, {
    dtype: TF_DTYPES[s.datatype],
    tensor_shape: { dim: wireShape(s, maxBatchSize).map((d) => ({ size: String(d), name: '' })), unknown_rank: false },
    name: s.name,
  }]))
  return {
    model_spec: { name: model.name, signature_name: '', version: model.version },
    metadata: {
      signature_def: {
        signature_def: {
          [DEFAULT_SIGNATURE]: { inputs: tensors(inputs), outputs: tensors(outputs), method_name: 'tensorflow/serving/predict' },
        },
      },
    },
  }
}
