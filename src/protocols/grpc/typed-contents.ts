import type { DataType, DataTypeMap } from '../../core/dtype.js'
import { allocRequestData } from '../../core/data-slab.js'
import { elementCount, type Tensor } from '../../core/tensor.js'
import { formatShape } from '../../core/validate.js'
import { Errors, InferdError } from '../../errors/index.js'
import type { InferTensorContentsMessage, Int64Field } from './messages.js'

type ContentsField = keyof InferTensorContentsMessage

/**
 * Which `InferTensorContents` field carries each datatype, as the protocol maps them. FP16 and
 * BF16 have none: the protocol sends them only as raw bytes.
 */
export const CONTENTS_FIELD: Readonly<Record<DataType, ContentsField | undefined>> = Object.freeze({
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP16: undefined,
  BF16: undefined,
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
})

/** Ranges of the datatypes narrower than their contents field (int32 / uint32 on the wire). */
const NARROW: Partial<Record<DataType, readonly [number, number]>> = {
  INT8: [-0x80, 0x7f],
  INT16: [-0x8000, 0x7fff],
  UINT8: [0, 0xff],
  UINT16: [0, 0xffff],
}

/**
 * Reads one input's typed `contents` into inferd's storage.
 *
 * The elements must sit in their datatype's field and nowhere else, and number exactly
 * product(shape). Values that do not fit the datatype (300 for UINT8) are refused rather than
 * wrapped: protobuf carries INT8 and UINT8 in 32-bit fields, and silently keeping the low byte
 * would compute on numbers the client never sent.
 *
 * @throws InferdError TENSOR_DATA_INVALID (wrong field, FP16/BF16, out-of-range value),
 *   TENSOR_SIZE_MISMATCH (element count ≠ product(shape))
 */
export function readTypedContents<T extends DataType> (
  name: string,
  datatype: T,
  shape: readonly number[],
  contents: InferTensorContentsMessage,
): DataTypeMap[T] {
  const field = CONTENTS_FIELD[datatype]
  if (field === undefined) {
    throw new InferdError(Errors.TENSOR_DATA_INVALID, [name, `${datatype} has no typed contents field; send it in raw_input_contents (little-endian 16-bit values)`])
  }
  for (const [other, values] of Object.entries(contents) as Array<[ContentsField, unknown[] | undefined]>) {
    if (other !== field && values !== undefined && values.length > 0) {
      throw new InferdError(Errors.TENSOR_DATA_INVALID, [name, `${datatype} elements go in contents.${field}, but the request has ${values.length} in contents.${other}`])
    }
  }
  const values: readonly unknown[] = contents[field] ?? []
  const count = elementCount(shape)
  if (values.length !== count) throw new InferdError(Errors.TENSOR_SIZE_MISMATCH, [name, formatShape(shape), count, values.length])
  switch (datatype) {
    case 'BOOL': return Uint8Array.from(values as boolean[], (b) => (b ? 1 : 0)) as DataTypeMap[T]
    case 'INT64': return BigInt64Array.from(values as Int64Field[], (v) => BigInt(v)) as DataTypeMap[T]
    case 'UINT64': return BigUint64Array.from(values as Int64Field[], (v) => BigInt(v)) as DataTypeMap[T]
    // Small arrays from the request slabs (core/data-slab.ts), as the REST decoder's are.
    case 'FP32':
    case 'FP64':
    case 'INT32':
    case 'UINT32': return copyInto(allocRequestData(datatype, count) as NumberArray, values as number[]) as DataTypeMap[T]
    case 'BYTES': return (values as Uint8Array[]).slice() as DataTypeMap[T]
  }
  const [min, max] = NARROW[datatype] as readonly [number, number]
  const nums = values as number[]
  for (let i = 0; i < nums.length; i++) {
    const v = nums[i] as number
    if (v < min || v > max) {
      throw new InferdError(Errors.TENSOR_DATA_INVALID, [name, `element ${i}: ${v} is out of range for ${datatype} (${min} to ${max})`])
    }
  }
  const Ctor = datatype === 'INT8' ? Int8Array : datatype === 'INT16' ? Int16Array : datatype === 'UINT8' ? Uint8Array : Uint16Array
  return Ctor.from(nums) as DataTypeMap[T]
}

type NumberArray = Float32Array | Float64Array | Int32Array | Uint32Array

/** Copies numbers into a typed array (converted as assignment converts, as `from` does). */
function copyInto (out: NumberArray, values: readonly number[]): NumberArray {
  for (let i = 0; i < values.length; i++) out[i] = values[i]!
  return out
}

/**
 * One output's elements as typed `contents`: the inverse of {@link readTypedContents}. 64-bit
 * integers are written as decimal strings, so they stay exact.
 *
 * @returns undefined for FP16/BF16, which only have a raw form
 */
export function writeTypedContents (t: Tensor): InferTensorContentsMessage | undefined {
  const field = CONTENTS_FIELD[t.datatype]
  if (field === undefined) return undefined
  switch (t.datatype) {
    case 'BOOL': return { bool_contents: Array.from(t.data as Uint8Array, (b) => b !== 0) }
    case 'INT64': case 'UINT64': return { [field]: Array.from(t.data as BigInt64Array, (v) => v.toString()) }
    case 'BYTES': return { bytes_contents: [...(t.data as Uint8Array[])] }
    default: return { [field]: Array.from(t.data as ArrayLike<number>) }
  }
}
