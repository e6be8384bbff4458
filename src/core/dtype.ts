/**
 * Tensor datatypes of the Open Inference Protocol (the names on the wire) and how inferd holds
 * their elements in memory.
 *
 * FP16 and BF16 have no JS number array: their elements stay as raw 16-bit patterns in a
 * Uint16Array (little-endian on the wire, as the binary extension requires). BOOL holds one byte
 * per element (0 or 1). BYTES holds one Uint8Array per element.
 */
export const DATATYPES = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64',
  'FP16', 'BF16', 'FP32', 'FP64', 'BYTES',
] as const

export type DataType = (typeof DATATYPES)[number]

export interface DataTypeMap {
  BOOL: Uint8Array
  UINT8: Uint8Array
  UINT16: Uint16Array
  UINT32: Uint32Array
  UINT64: BigUint64Array
  INT8: Int8Array
  INT16: Int16Array
  INT32: Int32Array
  INT64: BigInt64Array
  FP16: Uint16Array
  BF16: Uint16Array
  FP32: Float32Array
  FP64: Float64Array
  BYTES: Uint8Array[]
}

export type FixedDataType = Exclude<DataType, 'BYTES'>

/** Bytes per element on the wire; BYTES has none (each element is length-prefixed). */
export const ELEMENT_BYTES: Readonly<Record<FixedDataType, number>> = Object.freeze({
  BOOL: 1, UINT8: 1, UINT16: 2, UINT32: 4, UINT64: 8, INT8: 1, INT16: 2, INT32: 4, INT64: 8,
  FP16: 2, BF16: 2, FP32: 4, FP64: 8,
})

type TypedArrayCtor = { new (length: number): ArrayBufferView & { length: number }; new (buffer: ArrayBufferLike, byteOffset: number, length: number): ArrayBufferView & { length: number } }

/** The typed-array constructor that holds each fixed-size datatype. */
export const ARRAY_CTOR: Readonly<Record<FixedDataType, TypedArrayCtor>> = Object.freeze({
  BOOL: Uint8Array, UINT8: Uint8Array, UINT16: Uint16Array, UINT32: Uint32Array, UINT64: BigUint64Array,
  INT8: Int8Array, INT16: Int16Array, INT32: Int32Array, INT64: BigInt64Array,
  FP16: Uint16Array, BF16: Uint16Array, FP32: Float32Array, FP64: Float64Array,
})

const DATATYPE_SET: ReadonlySet<string> = new Set(DATATYPES)

export function isDataType (value: unknown): value is DataType {
  return typeof value === 'string' && DATATYPE_SET.has(value)
}

/** Triton model-config names (`TYPE_FP32`) ↔ protocol names (`FP32`). BYTES is `TYPE_STRING`. */
export function toConfigType (dt: DataType): string {
  return dt === 'BYTES' ? 'TYPE_STRING' : `TYPE_${dt}`
}

export function fromConfigType (name: string): DataType | undefined {
  const upper = name.toUpperCase()
  if (upper === 'TYPE_STRING' || upper === 'STRING') return 'BYTES'
  const bare = upper.startsWith('TYPE_') ? upper.slice(5) : upper
  return isDataType(bare) ? bare : undefined
}
