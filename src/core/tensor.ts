import { ARRAY_CTOR, type DataType, type DataTypeMap, ELEMENT_BYTES } from './dtype.js'

/**
 * A named tensor as inferd passes it between protocol, scheduler and backend. `shape` is the full
 * shape (batch dimension included). `data` is flat, row-major, with `product(shape)` elements.
 */
export interface Tensor<T extends DataType = DataType> {
  readonly name: string
  readonly datatype: T
  readonly shape: readonly number[]
  readonly data: DataTypeMap[T]
}

/** Number of elements a shape holds (1 for a scalar shape `[]`). */
export function elementCount (shape: readonly number[]): number {
  let n = 1
  for (const d of shape) n *= d
  return n
}

/** Number of elements actually held in `data`. */
export function dataLength (t: Tensor): number {
  return t.data.length
}

/** A zero-filled data array of `n` elements for a datatype. */
export function allocData<T extends DataType> (datatype: T, n: number): DataTypeMap[T] {
  if (datatype === 'BYTES') return Array.from({ length: n }, () => new Uint8Array(0)) as DataTypeMap[T]
  return new ARRAY_CTOR[datatype as Exclude<DataType, 'BYTES'>](n) as unknown as DataTypeMap[T]
}

export { ELEMENT_BYTES }
