import type { TensorSpec } from '../../../core/signature.js'
import type { Tensor } from '../../../core/tensor.js'
import { formatShape } from '../../../core/validate.js'
import { Errors } from '../../../errors/codes.js'
import { InferdError } from '../../../errors/inferd-error.js'
import type { JsonValue } from '../v2/json-text.js'
import { describe, readJsonTensorData } from '../v2/tensor-json-read.js'

/**
 * One TF Serving JSON value → a tensor of the datatype its spec declares. The value's nesting is
 * the shape (a bare value is a scalar, shape `[]`); the lists must be regular. Numbers, booleans
 * and strings are converted by the v2 JSON readers, so the two protocols accept exactly the same
 * element values; BYTES additionally takes TF's `{"b64": "<base64>"}` for arbitrary bytes.
 *
 * @param exact - whether `value` came from an exact parse (json-text.ts); may throw REPARSE_EXACT
 * @throws InferdError TENSOR_DATA_INVALID (ragged lists, an element of the wrong kind, bad base64)
 */
export function jsonTensor (spec: TensorSpec, value: JsonValue, exact: boolean): Tensor {
  const { name, datatype } = spec
  const shape: number[] = []
  for (let v: JsonValue | undefined = value; Array.isArray(v); v = v[0]) shape.push(v.length)
  const leaves: JsonValue[] = []
  flatten(name, value, shape, 0, '', leaves)
  if (datatype === 'BYTES') return { name, datatype, shape, data: leaves.map((v, i) => bytesOf(name, v, i)) }
  const wrapped = leaves.findIndex((v) => typeof v === 'object' && v !== null && !Array.isArray(v))
  if (wrapped !== -1) {
    throw new InferdError(Errors.TENSOR_DATA_INVALID, [name, `element ${wrapped} is an object; ${'b64' in (leaves[wrapped] as object) ? '{"b64": …} values are only for BYTES (string) inputs' : 'expected a number'} (the input is ${datatype})`])
  }
  return { name, datatype, shape, data: readJsonTensorData(name, datatype, shape, leaves, exact) } as Tensor
}

/** Checks the nesting against `shape` (from the first elements) and collects the leaves in order. */
function flatten (name: string, value: JsonValue, shape: readonly number[], depth: number, path: string, out: JsonValue[]): void {
  if (depth === shape.length) {
    if (Array.isArray(value)) throw ragged(name, `${path || 'the value'} is a list where ${formatShape(shape)} needs a single value`)
    out.push(value)
    return
  }
  const want = shape[depth] as number
  if (!Array.isArray(value)) throw ragged(name, `${path || 'the value'} is ${describe(value)} where ${formatShape(shape)} needs a list of ${want}`)
  if (value.length !== want) throw ragged(name, `${path || 'the value'} holds ${value.length} element${value.length === 1 ? '' : 's'} where ${formatShape(shape)} needs ${want}`)
  for (let i = 0; i < value.length; i++) flatten(name, value[i] as JsonValue, shape, depth + 1, `${path}[${i}]`, out)
}

const utf8 = new TextEncoder()
/** Standard or URL-safe alphabet, padding optional. */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/

function bytesOf (name: string, v: JsonValue, index: number): Uint8Array {
  if (typeof v === 'string') return utf8.encode(v)
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && 'b64' in v) {
    const b64 = v['b64']
    if (typeof b64 !== 'string' || !BASE64.test(b64) || b64.replace(/=+$/, '').length % 4 === 1) {
      throw new InferdError(Errors.TENSOR_DATA_INVALID, [name, `element ${index}: "b64" must hold base64 text, got ${describe(b64 as JsonValue)}`])
    }
    const bytes = Buffer.from(b64, 'base64')
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  throw new InferdError(Errors.TENSOR_DATA_INVALID, [name, `element ${index}: ${describe(v)} is not a string or {"b64": …} (the input is BYTES)`])
}

function ragged (name: string, detail: string): InferdError {
  return new InferdError(Errors.TENSOR_DATA_INVALID, [name, `the lists are not regular: ${detail}`])
}
