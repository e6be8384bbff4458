import { ARRAY_CTOR, type DataType, type DataTypeMap, ELEMENT_BYTES } from './dtype.js'
import { allocData } from './tensor.js'

/**
 * Zero-filled data arrays for request tensors, the small ones carved from shared slabs.
 *
 * Why: a typed array of more than 64 bytes gets a backing store of its own outside V8's heap,
 * and allocating one costs ~2.1 µs (Node 20, Float32Array(32), 2M in a loop) against ~0.07 µs for
 * a view into an existing ArrayBuffer; the stores also count as external memory, which makes V8
 * collect garbage sooner. A 1×32 FP32 input is such an array, one per request. So arrays up to
 * SMALL_BYTES are views into a 64 KiB slab, handed out in order and never reused: a new slab is
 * zero-filled, so every view starts zeroed, and a slab lives until the last view into it is
 * garbage (it pins at most SLAB_BYTES).
 *
 * A slab view does not own its buffer: core/transfer.ts copies it before it crosses to another
 * thread rather than cloning the whole slab.
 */
const SLAB_BYTES = 64 * 1024
const SMALL_BYTES = 4 * 1024

let slab = new ArrayBuffer(SLAB_BYTES)
let used = 0

/** Like allocData, but small arrays are views into a shared slab (8-byte aligned). */
export function allocRequestData<T extends DataType> (datatype: T, n: number): DataTypeMap[T] {
  if (datatype === 'BYTES') return allocData(datatype, n)
  const bytes = n * ELEMENT_BYTES[datatype as Exclude<DataType, 'BYTES'>]
  if (bytes === 0 || bytes > SMALL_BYTES) return allocData(datatype, n)
  if (used + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES)
    used = 0
  }
  const at = used
  used = (used + bytes + 7) & ~7
  return new ARRAY_CTOR[datatype as Exclude<DataType, 'BYTES'>](slab, at, n) as unknown as DataTypeMap[T]
}
