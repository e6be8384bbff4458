import type { InferenceRequest } from '../../../core/inference.js'
import type { ModelSignature, TensorSpec } from '../../../core/signature.js'
import type { Tensor } from '../../../core/tensor.js'
import { Errors } from '../../../errors/codes.js'
import { InferdError } from '../../../errors/inferd-error.js'
import type { DecodeTarget } from '../v2/decode-request.js'
import { type JsonValue, parseJsonExact, parseJsonFast, REPARSE_EXACT } from '../v2/json-text.js'
import { describe } from '../v2/tensor-json-read.js'
import { jsonTensor } from './json-tensor.js'

/** How the request sent its tensors, which decides the response's shape. */
export type PredictFormat =
  /** `{"instances": [...]}` → `{"predictions": [...]}`, one entry per instance. */
  | { readonly kind: 'row'; readonly instances: number }
  /** `{"inputs": ...}` → `{"outputs": ...}`, whole tensors. */
  | { readonly kind: 'columnar' }

export interface DecodedPredict {
  readonly request: InferenceRequest
  readonly format: PredictFormat
}

/** The one signature a served model has, as TF Serving names its default. */
export const DEFAULT_SIGNATURE = 'serving_default'

/**
 * Decodes a TF Serving / KServe v1 `:predict` body into a core inference request.
 *
 *   {"signature_name"?: "serving_default",
 *    "instances": [ row, row, … ]              row format: a row is the value of the only input,
 *                                              or {"<input>": value, …}; all rows alike, and row
 *                                              i is element i of dimension 0 of every input
 *    | "inputs": value | {"<input>": value, …}} columnar format: whole tensors, batch first
 *
 * Values are (nested) JSON lists, regular in shape; their nesting is the tensor's shape. The
 * datatype comes from the model's signature: numbers become the input's datatype with the v2
 * JSON rules (no lossy conversion; 64-bit integers exact; NaN/Infinity tokens accepted), BYTES
 * inputs take strings (UTF-8) or TF's `{"b64": "<base64>"}` for arbitrary bytes. Every other
 * check (names present, shapes against dims, batch limits) is the engine's, as for v2.
 *
 * @throws InferdError REQ_BODY_INVALID (envelope), INPUT_UNKNOWN, TENSOR_DATA_INVALID,
 *   TENSOR_SIZE_MISMATCH
 */
export function decodePredictRequest (body: Buffer | string, target: DecodeTarget, signature: ModelSignature): DecodedPredict {
  const text = typeof body === 'string' ? body : body.toString('utf8')
  // Fast parse first; a 64-bit integer that may have lost digits makes the readers ask again.
  try {
    return decodeValue(parseJsonFast(text), target, signature, false)
  } catch (e) {
    if (e !== REPARSE_EXACT) throw e
  }
  return decodeValue(parseJsonExact(text), target, signature, true)
}

function decodeValue (root: JsonValue, target: DecodeTarget, signature: ModelSignature, exact: boolean): DecodedPredict {
  if (!isObject(root)) throw bodyInvalid(`the request must be a JSON object, got ${describe(root)}`)
  const signatureName = root['signature_name']
  if (signatureName !== undefined && signatureName !== DEFAULT_SIGNATURE && signatureName !== '') {
    throw bodyInvalid(`signature_name ${describe(signatureName)} not found: each model has the one signature '${DEFAULT_SIGNATURE}'`)
  }
  const instances = root['instances']
  const columns = root['inputs']
  if (instances !== undefined && columns !== undefined) throw bodyInvalid("the request has both 'instances' (row format) and 'inputs' (columnar format); send one")
  if (instances === undefined && columns === undefined) throw bodyInvalid("the request needs 'instances' (row format) or 'inputs' (columnar format)")
  const named = instances !== undefined ? rowTensors(instances, target, signature) : columnTensors(columns as JsonValue, target, signature)
  const inputs: Tensor[] = []
  for (const [name, value] of named) inputs.push(jsonTensor(specOf(name, target, signature), value, exact))
  const request: InferenceRequest = {
    modelName: target.modelName,
    ...(target.modelVersion === undefined ? {} : { modelVersion: target.modelVersion }),
    inputs,
  }
  return { request, format: instances !== undefined ? { kind: 'row', instances: (instances as JsonValue[]).length } : { kind: 'columnar' } }
}

/** Row format → each input's value, instances stacked along dimension 0. */
function rowTensors (instances: JsonValue, target: DecodeTarget, signature: ModelSignature): Map<string, JsonValue> {
  if (!Array.isArray(instances)) throw bodyInvalid(`'instances' must be a list, got ${describe(instances)}`)
  if (instances.length === 0) throw bodyInvalid("'instances' is empty: send at least one instance")
  const first = instances[0]
  if (!isNamedObject(first)) {
    // Plain values: the rows of the model's only input.
    const name = onlyInput(target, signature, 'instance')
    instances.forEach((row, i) => { if (isNamedObject(row)) throw bodyInvalid(`instances[${i}] is an object, but instances[0] is not: all instances must have the same form`) })
    return new Map([[name, instances]])
  }
  const names = Object.keys(first)
  if (names.length === 0) throw bodyInvalid('instances[0] is an empty object: name at least one input')
  const columns = new Map<string, JsonValue[]>(names.map((n) => [n, []]))
  instances.forEach((row, i) => {
    if (!isNamedObject(row)) throw bodyInvalid(`instances[${i}] is not an object, but instances[0] is: all instances must have the same form`)
    const keys = Object.keys(row)
    const odd = keys.find((k) => !columns.has(k)) ?? names.find((n) => !(n in row))
    if (odd !== undefined || keys.length !== names.length) {
      throw bodyInvalid(`instances[${i}] names the inputs ${list(keys)} but instances[0] names ${list(names)}: every instance must name the same inputs`)
    }
    for (const k of keys) columns.get(k)!.push(row[k] as JsonValue)
  })
  return columns
}

/** Columnar format → each input's whole value. */
function columnTensors (inputs: JsonValue, target: DecodeTarget, signature: ModelSignature): Map<string, JsonValue> {
  if (!isNamedObject(inputs)) return new Map([[onlyInput(target, signature, "value of 'inputs'"), inputs]])
  const names = Object.keys(inputs)
  if (names.length === 0) throw bodyInvalid("'inputs' is an empty object: name at least one input")
  return new Map(names.map((n) => [n, inputs[n] as JsonValue]))
}

/** The name of the model's single input, for requests that do not name it. */
function onlyInput (target: DecodeTarget, signature: ModelSignature, what: string): string {
  const only = signature.inputs.length === 1 ? signature.inputs[0] : undefined
  if (only === undefined) {
    throw bodyInvalid(`model '${target.modelName}' has ${signature.inputs.length} inputs (${list(signature.inputs.map((s) => s.name))}): each ${what} must be an object keyed by input name`)
  }
  return only.name
}

function specOf (name: string, target: DecodeTarget, signature: ModelSignature): TensorSpec {
  const spec = signature.inputs.find((s) => s.name === name)
  if (spec === undefined) throw new InferdError(Errors.INPUT_UNKNOWN, [target.modelName, name, list(signature.inputs.map((s) => s.name))])
  return spec
}

function isObject (v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** An object keyed by input names: any object but TF's `{"b64": …}` binary value. */
function isNamedObject (v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return isObject(v) && !(Object.keys(v).length === 1 && 'b64' in v)
}

function list (names: readonly string[]): string {
  return names.length === 0 ? '(none)' : names.map((n) => `'${n}'`).join(', ')
}

function bodyInvalid (detail: string): InferdError {
  return new InferdError(Errors.REQ_BODY_INVALID, [detail])
}
