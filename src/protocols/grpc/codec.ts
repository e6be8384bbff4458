import { type DataType, isDataType } from '../../core/dtype.js'
import type { InferenceRequest, InferenceResponse, Parameters, RequestedOutput } from '../../core/inference.js'
import { elementCount, type Tensor } from '../../core/tensor.js'
import { Errors, InferdError } from '../../errors/index.js'
import { binaryTensorBytes } from '../http/v2/tensor-binary-write.js'
import { booleanParameter, refuseSharedMemory } from '../http/v2/request-parameters.js'
import type { InferInputTensorMessage, InferOutputTensorMessage, Int64Field, ModelInferRequestMessage, ModelInferResponseMessage } from './messages.js'
import { readInferParameters, writeInferParameters } from './parameters.js'
import { readRawContents } from './raw-contents.js'
import { readTypedContents, writeTypedContents } from './typed-contents.js'

/**
 * `ModelInferRequest` → core InferenceRequest.
 *
 * Tensor data comes either as typed `contents` on each input, or as `raw_input_contents` (one
 * entry per input, in input order); never both, as the protocol requires. Checks here are the
 * protocol's (envelope, datatype names, shapes, element counts and values, raw sizes); checks
 * against the model's signature are core/validate.ts's, shared with REST, so both protocols
 * answer a bad request with the same error code.
 *
 * `model_version` and `id` left empty read as absent (proto3 cannot tell the two apart).
 *
 * @throws InferdError REQ_BODY_INVALID, REQ_BINARY_INVALID, DTYPE_UNKNOWN, INPUT_DUPLICATE,
 *   TENSOR_SHAPE_INVALID, TENSOR_SIZE_MISMATCH, TENSOR_DATA_INVALID, PARAMETER_INVALID,
 *   BACKEND_FEATURE_UNSUPPORTED (shared-memory parameters)
 */
export function decodeInferRequest (msg: ModelInferRequestMessage): InferenceRequest {
  const parameters = readInferParameters(msg.parameters, 'parameters')
  booleanParameter(parameters, 'binary_data_output', 'parameters')
  refuseSharedMemory(parameters, 'parameters')
  const inputs = msg.inputs ?? []
  if (inputs.length === 0) throw bodyInvalid("'inputs' must hold at least one input")
  const raw = msg.raw_input_contents ?? []
  if (raw.length > 0 && raw.length !== inputs.length) {
    throw binaryInvalid(`raw_input_contents has ${raw.length} entr${raw.length === 1 ? 'y' : 'ies'}, but the request has ${inputs.length} input${inputs.length === 1 ? '' : 's'}: give one per input, in input order`)
  }
  const names = new Set<string>()
  const tensors = inputs.map((input, i) => decodeInput(input, i, names, raw.length > 0 ? raw[i] : undefined))
  const outputs = decodeOutputs(msg)
  const id = msg.id ?? ''
  const version = msg.model_version ?? ''
  return {
    ...(id === '' ? {} : { id }),
    modelName: msg.model_name ?? '',
    ...(version === '' ? {} : { modelVersion: version }),
    inputs: tensors,
    ...(outputs === undefined ? {} : { outputs }),
    ...(parameters === undefined ? {} : { parameters }),
  }
}

function decodeInput (input: InferInputTensorMessage, index: number, names: Set<string>, raw: Uint8Array | undefined): Tensor {
  const where = `inputs[${index}]`
  const name = input.name ?? ''
  if (name === '') throw bodyInvalid(`'${where}.name' must be a non-empty string`)
  if (names.has(name)) throw new InferdError(Errors.INPUT_DUPLICATE, [name])
  names.add(name)
  const datatype = input.datatype ?? ''
  if (!isDataType(datatype)) throw new InferdError(Errors.DTYPE_UNKNOWN, [name, datatype])
  const shape = decodeShape(input.shape ?? [], name)
  const params = readInferParameters(input.parameters, `${where}.parameters`)
  refuseSharedMemory(params, `${where}.parameters`)
  if (raw !== undefined) {
    if (input.contents !== undefined) throw binaryInvalid(`input '${name}' has contents, but the request also has raw_input_contents: use one or the other`)
    return tensor(name, datatype, shape, readRawContents(name, datatype, shape, raw, index))
  }
  if (input.contents === undefined) {
    if (elementCount(shape) === 0) return tensor(name, datatype, shape, readTypedContents(name, datatype, shape, {}))
    throw new InferdError(Errors.TENSOR_DATA_INVALID, [name, 'the input has no contents, and the request has no raw_input_contents'])
  }
  return tensor(name, datatype, shape, readTypedContents(name, datatype, shape, input.contents))
}

function decodeShape (dims: readonly Int64Field[], name: string): number[] {
  const shape = dims.map(Number)
  // Dimensions beyond 2^53 read inexactly; no message can hold such a tensor anyway.
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new InferdError(Errors.TENSOR_SHAPE_INVALID, [name, `[${dims.join(',')}] (dimensions must be non-negative integers)`])
  }
  return shape
}

function decodeOutputs (msg: ModelInferRequestMessage): RequestedOutput[] | undefined {
  const outputs = msg.outputs ?? []
  // None named: every output, as in REST.
  if (outputs.length === 0) return undefined
  const seen = new Set<string>()
  return outputs.map((o, i) => {
    const name = o.name ?? ''
    if (name === '') throw bodyInvalid(`'outputs[${i}].name' must be a non-empty string`)
    if (seen.has(name)) throw bodyInvalid(`output '${name}' is requested more than once`)
    seen.add(name)
    const parameters: Parameters | undefined = readInferParameters(o.parameters, `outputs[${i}].parameters`)
    booleanParameter(parameters, 'binary_data', `outputs[${i}].parameters`)
    refuseSharedMemory(parameters, `outputs[${i}].parameters`)
    return parameters === undefined ? { name } : { name, parameters }
  })
}

/**
 * Core InferenceResponse → `ModelInferResponse`.
 *
 * Outputs travel in `raw_output_contents` (one entry per output, in output order), as Triton
 * answers: the compact form, and the only one FP16 and BF16 have. A request that sets the
 * parameter `binary_data_output` to false gets typed `contents` instead, unless an output is
 * FP16 or BF16: the protocol lets a response use only one of the two forms, so those keep every
 * output raw. When the request named outputs, only those are written.
 */
export function encodeInferResponse (res: InferenceResponse, req: Pick<InferenceRequest, 'id' | 'outputs' | 'parameters'>): ModelInferResponseMessage {
  const requested = req.outputs === undefined ? undefined : new Set(req.outputs.map((o) => o.name))
  const tensors = requested === undefined ? res.outputs : res.outputs.filter((t) => requested.has(t.name))
  const typed = req.parameters?.['binary_data_output'] === false && tensors.every((t) => t.datatype !== 'FP16' && t.datatype !== 'BF16')
  const outputs: InferOutputTensorMessage[] = tensors.map((t) => {
    const head = { name: t.name, datatype: t.datatype, shape: [...t.shape] }
    return typed ? { ...head, contents: writeTypedContents(t) ?? {} } : head
  })
  return {
    model_name: res.modelName,
    model_version: res.modelVersion,
    ...(req.id === undefined ? {} : { id: req.id }),
    ...(res.parameters === undefined || Object.keys(res.parameters).length === 0 ? {} : { parameters: writeInferParameters(res.parameters) }),
    outputs,
    ...(typed ? {} : { raw_output_contents: tensors.map(binaryTensorBytes) }),
  }
}

function tensor (name: string, datatype: DataType, shape: readonly number[], data: Tensor['data']): Tensor {
  return { name, datatype, shape, data } as Tensor
}

function bodyInvalid (detail: string): InferdError {
  return new InferdError(Errors.REQ_BODY_INVALID, [detail])
}

function binaryInvalid (detail: string): InferdError {
  return new InferdError(Errors.REQ_BINARY_INVALID, [detail])
}
