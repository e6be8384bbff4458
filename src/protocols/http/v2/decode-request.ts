import { type DataType, isDataType } from '../../../core/dtype.js'
import type { InferenceRequest, Parameters, RequestedOutput } from '../../../core/inference.js'
import type { Tensor } from '../../../core/tensor.js'
import { Errors } from '../../../errors/codes.js'
import { InferdError } from '../../../errors/inferd-error.js'
import { type JsonValue, parseJsonExact, parseJsonFast, REPARSE_EXACT } from './json-text.js'
import { booleanParameter, readParameters, refuseSharedMemory } from './request-parameters.js'
import { readBinaryTensorData } from './tensor-binary-read.js'
import { describe, readJsonTensorData } from './tensor-json-read.js'

/** Which model the request is for: from the URL, not the body (the protocol puts it there). */
export interface DecodeTarget {
  readonly modelName: string
  /** Absent when the URL names no version. */
  readonly modelVersion?: string
}

/**
 * Decodes an OIP REST inference request body, JSON or JSON + binary tensor data.
 *
 *   body:  [ JSON header: headerLength bytes ][ input A bytes ][ input C bytes ] …
 *          binary sections follow in input order, one per input whose parameters carry
 *          `binary_data_size`; other inputs carry JSON `data`. Both kinds may be mixed.
 *
 * Checks here are those of the protocol (envelope, datatype names, shapes, element counts and
 * values, binary sizes); checks against the model's signature are core/validate.ts's.
 * `binary_data_output` and per-output `binary_data` stay in `parameters` for the encoder.
 * Unknown fields are ignored (the protocol is extensible); known fields of the wrong type fail.
 *
 * @param body - the whole HTTP body (a string only for pure JSON bodies)
 * @param headerLength - the `Inference-Header-Content-Length` value (inference-header.ts), or
 *   undefined when absent. 0 means a raw binary request, which needs the model's signature: the
 *   route must call decodeRawBinaryRequest instead (passing 0 here is a programming error).
 * @throws InferdError REQ_BODY_INVALID, REQ_BINARY_INVALID, DTYPE_UNKNOWN, INPUT_DUPLICATE,
 *   TENSOR_SHAPE_INVALID, TENSOR_SIZE_MISMATCH, TENSOR_DATA_INVALID, PARAMETER_INVALID,
 *   BACKEND_FEATURE_UNSUPPORTED (shared-memory parameters)
 */
export function decodeInferRequest (body: Buffer | string, headerLength: number | undefined, target: DecodeTarget): InferenceRequest {
  const { text, binary } = splitBody(body, headerLength)
  // Fast parse first; integers that may have lost digits make the readers ask for an exact one.
  try {
    return decodeRequestValue(parseJsonFast(text), target, binary, false)
  } catch (e) {
    if (e !== REPARSE_EXACT) throw e
  }
  return decodeRequestValue(parseJsonExact(text), target, binary, true)
}

function splitBody (body: Buffer | string, headerLength: number | undefined): { text: string; binary: Buffer | undefined } {
  if (headerLength === undefined) return { text: typeof body === 'string' ? body : body.toString('utf8'), binary: undefined }
  if (headerLength === 0) {
    throw new InferdError(Errors.INTERNAL, ['a raw binary request (Inference-Header-Content-Length: 0) must be decoded with decodeRawBinaryRequest'])
  }
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
  if (headerLength > bytes.length) {
    throw binaryInvalid(`Inference-Header-Content-Length is ${headerLength}, but the body has only ${bytes.length} bytes`)
  }
  return { text: bytes.toString('utf8', 0, headerLength), binary: bytes.subarray(headerLength) }
}

/**
 * Decodes an already-parsed request object (the JSON part only, plus the bytes after it).
 * @internal exported for tests and for callers that parsed the JSON themselves
 */
export function decodeRequestValue (root: JsonValue, target: DecodeTarget, binary: Uint8Array | undefined, exact: boolean): InferenceRequest {
  if (!isObject(root)) throw bodyInvalid(`the request must be a JSON object, got ${describe(root)}`)
  const id = root['id']
  if (id !== undefined && typeof id !== 'string') throw bodyInvalid(`'id' must be a string, got ${describe(id)}`)
  const parameters = readParameters(root['parameters'], 'parameters', exact)
  booleanParameter(parameters, 'binary_data_output', 'parameters')
  refuseSharedMemory(parameters, 'parameters')

  const rawInputs = root['inputs']
  if (!Array.isArray(rawInputs) || rawInputs.length === 0) {
    throw bodyInvalid(rawInputs === undefined ? "'inputs' is required" : `'inputs' must be a non-empty array, got ${describe(rawInputs)}`)
  }
  const cursor = { pos: 0 }
  const names = new Set<string>()
  const inputs = rawInputs.map((raw, i) => decodeInput(raw, i, names, binary, cursor, exact))
  if (binary !== undefined && cursor.pos !== binary.length) {
    const left = binary.length - cursor.pos
    throw binaryInvalid(cursor.pos === 0
      ? `${left} byte${left === 1 ? '' : 's'} follow the JSON header, but no input has a binary_data_size`
      : `${left} byte${left === 1 ? '' : 's'} left over after the last binary input (binary_data_size values add up to ${cursor.pos})`)
  }
  const outputs = readOutputs(root['outputs'], exact)
  return {
    ...(id === undefined ? {} : { id }),
    modelName: target.modelName,
    ...(target.modelVersion === undefined ? {} : { modelVersion: target.modelVersion }),
    inputs,
    ...(outputs === undefined ? {} : { outputs }),
    ...(parameters === undefined ? {} : { parameters }),
  }
}

function decodeInput (raw: JsonValue, index: number, names: Set<string>, binary: Uint8Array | undefined, cursor: { pos: number }, exact: boolean): Tensor {
  const where = `inputs[${index}]`
  if (!isObject(raw)) throw bodyInvalid(`'${where}' must be an object, got ${describe(raw)}`)
  const name = raw['name']
  if (typeof name !== 'string' || name === '') throw bodyInvalid(`'${where}.name' must be a non-empty string, got ${describe(name)}`)
  if (names.has(name)) throw new InferdError(Errors.INPUT_DUPLICATE, [name])
  names.add(name)
  const datatype = raw['datatype']
  if (typeof datatype !== 'string') throw bodyInvalid(`'${where}.datatype' must be a string, got ${describe(datatype)}`)
  if (!isDataType(datatype)) throw new InferdError(Errors.DTYPE_UNKNOWN, [name, datatype])
  const shape = readShape(raw['shape'], name, where)
  const params = readParameters(raw['parameters'], `${where}.parameters`, exact)
  refuseSharedMemory(params, `${where}.parameters`)
  const size = params?.['binary_data_size']
  const data = raw['data']
  if (size === undefined) {
    if (data === undefined) throw new InferdError(Errors.TENSOR_DATA_INVALID, [name, "the input has neither 'data' nor a binary_data_size parameter"])
    if (!Array.isArray(data)) throw bodyInvalid(`'${where}.data' must be an array, got ${describe(data)}`)
    return tensor(name, datatype, shape, readJsonTensorData(name, datatype, shape, data, exact))
  }
  if (data !== undefined) throw binaryInvalid(`input '${name}' has both 'data' and a binary_data_size parameter`)
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new InferdError(Errors.PARAMETER_INVALID, [`${where}.parameters.binary_data_size`, `must be a non-negative integer, got ${describe(size)}`])
  }
  if (binary === undefined) {
    throw binaryInvalid(`input '${name}' has a binary_data_size, but the request has no Inference-Header-Content-Length header`)
  }
  const remain = binary.length - cursor.pos
  if (size > remain) {
    throw binaryInvalid(`input '${name}' needs ${size} bytes of binary data at offset ${cursor.pos} after the JSON header, but only ${remain} remain`)
  }
  const bytes = binary.subarray(cursor.pos, cursor.pos + size)
  cursor.pos += size
  return tensor(name, datatype, shape, readBinaryTensorData(name, datatype, shape, bytes))
}

function readShape (value: JsonValue | undefined, name: string, where: string): number[] {
  if (!Array.isArray(value)) throw bodyInvalid(`'${where}.shape' must be an array, got ${describe(value)}`)
  for (const d of value) {
    // bigint dims are beyond 2^53: no body can hold such a tensor.
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new InferdError(Errors.TENSOR_SHAPE_INVALID, [name, `[${value.map((v) => describe(v)).join(',')}] (dimensions must be non-negative integers)`])
    }
  }
  return value as number[]
}

function readOutputs (value: JsonValue | undefined, exact: boolean): RequestedOutput[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw bodyInvalid(`'outputs' must be an array, got ${describe(value)}`)
  // An empty list asks for nothing in particular: every output, as Triton reads it.
  if (value.length === 0) return undefined
  const seen = new Set<string>()
  return value.map((raw, i) => {
    const where = `outputs[${i}]`
    if (!isObject(raw)) throw bodyInvalid(`'${where}' must be an object, got ${describe(raw)}`)
    const name = raw['name']
    if (typeof name !== 'string' || name === '') throw bodyInvalid(`'${where}.name' must be a non-empty string, got ${describe(name)}`)
    if (seen.has(name)) throw bodyInvalid(`output '${name}' is requested more than once`)
    seen.add(name)
    const parameters: Parameters | undefined = readParameters(raw['parameters'], `${where}.parameters`, exact)
    booleanParameter(parameters, 'binary_data', `${where}.parameters`)
    refuseSharedMemory(parameters, `${where}.parameters`)
    return parameters === undefined ? { name } : { name, parameters }
  })
}

function tensor (name: string, datatype: DataType, shape: readonly number[], data: Tensor['data']): Tensor {
  return { name, datatype, shape, data } as Tensor
}

function isObject (v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function bodyInvalid (detail: string): InferdError {
  return new InferdError(Errors.REQ_BODY_INVALID, [detail])
}

function binaryInvalid (detail: string): InferdError {
  return new InferdError(Errors.REQ_BINARY_INVALID, [detail])
}
