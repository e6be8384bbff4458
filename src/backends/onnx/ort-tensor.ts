import ort from 'onnxruntime-node'
import type { DataType, DataTypeMap } from '../../core/dtype.js'
import type { Tensor } from '../../core/tensor.js'
import { Errors, InferdError } from '../../errors/index.js'
import { datatypeFromOrt, ortTypeOf } from './ort-types.js'

// ignoreBOM keeps a leading U+FEFF as data (the default would strip it from the element).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const utf8enc = new TextEncoder()

/**
 * Core tensor → onnxruntime tensor. Typed arrays are handed over without a copy. BYTES elements
 * become JS strings (onnxruntime-node's string tensors hold UTF-8 text). `asF32` marks an input
 * whose BF16 boundary was moved into the graph (bf16-rewrite.ts): its BF16 bits widen to f32.
 */
export function toOrtTensor (t: Tensor, asF32: boolean): ort.Tensor {
  const dims = [...t.shape]
  if (t.datatype === 'BF16') {
    if (!asF32) throw new Error(`input '${t.name}' is BF16 but the session was not rewritten for it`)
    return new ort.Tensor('float32', bf16ToF32(t.data as Uint16Array), dims)
  }
  if (t.datatype === 'BYTES') {
    return new ort.Tensor('string', (t.data as Uint8Array[]).map((b, i) => bytesToText(t.name, b, i)), dims)
  }
  return new ort.Tensor(ortTypeOf(t.datatype) as 'float32', t.data as Float32Array, dims)
}

/** onnxruntime tensor → core tensor. `asBf16` narrows an f32 output back to the BF16 the model declared. */
export function fromOrtTensor (name: string, value: ort.Tensor, asBf16: boolean): Tensor {
  const shape = value.dims.map(Number)
  if (asBf16) return { name, datatype: 'BF16', shape, data: f32ToBf16(value.data as Float32Array) }
  const datatype = datatypeFromOrt(value.type)
  if (datatype === undefined) throw new Error(`output '${name}' has unsupported onnxruntime type '${value.type}'`)
  if (datatype === 'BYTES') {
    return { name, datatype, shape, data: (value.data as string[]).map((s) => utf8enc.encode(s)) }
  }
  return { name, datatype, shape, data: value.data as DataTypeMap[Exclude<DataType, 'BYTES'>] }
}

/**
 * onnxruntime-node takes string elements as JS strings and hands them to onnxruntime as C strings:
 * invalid UTF-8 would turn into U+FFFD and a NUL byte would end the element early. Both would
 * change the client's data without a word, so such elements are refused instead.
 */
function bytesToText (name: string, bytes: Uint8Array, index: number): string {
  if (bytes.includes(0)) {
    throw new InferdError(Errors.TENSOR_DATA_INVALID, [name, `BYTES element ${index} holds a NUL byte, which onnxruntime string tensors cannot carry`])
  }
  try {
    return utf8.decode(bytes)
  } catch {
    throw new InferdError(Errors.TENSOR_DATA_INVALID, [name, `BYTES element ${index} is not valid UTF-8, which onnxruntime string tensors require`])
  }
}

/** BF16 is the top half of an IEEE f32: widening is a 16-bit shift, exact. */
function bf16ToF32 (bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length)
  const u32 = new Uint32Array(out.buffer)
  for (let i = 0; i < bits.length; i++) u32[i] = bits[i]! << 16
  return out
}

/** Exact for values that came from a BF16 cast inside the graph: the low half is zero. */
function f32ToBf16 (values: Float32Array): Uint16Array {
  const u32 = new Uint32Array(values.buffer, values.byteOffset, values.length)
  const out = new Uint16Array(values.length)
  for (let i = 0; i < values.length; i++) out[i] = u32[i]! >>> 16
  return out
}
