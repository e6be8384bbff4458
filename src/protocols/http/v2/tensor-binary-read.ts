import { ARRAY_CTOR, type DataType, type DataTypeMap, ELEMENT_BYTES, type FixedDataType } from '../../../core/dtype.js'
import { elementCount } from '../../../core/tensor.js'
import { formatShape } from '../../../core/validate.js'
import { Errors } from '../../../errors/codes.js'
import { InferdError } from '../../../errors/inferd-error.js'

/**
 * Binary tensor data (Triton's binary extension) → inferd's typed storage.
 *
 * Wire layout: little-endian, row-major, no padding; BOOL one byte 0/1; BYTES each element a
 * 4-byte little-endian unsigned length followed by that many bytes.
 *
 * Copy-free where possible. The result is a view on the request body's memory when the bytes
 * sit at an offset the typed array allows (a multiple of the element size). Buffer slices after
 * a JSON header usually do not: then the bytes are copied once into a fresh, aligned buffer.
 * BYTES elements are always views. Views keep the whole body alive for as long as the tensor
 * lives; that is the request's lifetime, so it is the cheaper trade.
 *
 * Byte order: typed arrays use the host's, and the wire is little-endian. Every platform
 * onnxruntime-node ships for (x64, arm64) is little-endian; a big-endian host fails loudly here
 * instead of computing on swapped bytes.
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/**
 * Reads one tensor from exactly its `binary_data_size` bytes.
 *
 * @param bytes - the tensor's bytes, and nothing else
 * @throws InferdError REQ_BINARY_INVALID when the size does not fit the shape and datatype, a
 *   BYTES length prefix runs past the end, or a BOOL byte is neither 0 nor 1
 */
export function readBinaryTensorData<T extends DataType> (
  name: string,
  datatype: T,
  shape: readonly number[],
  bytes: Uint8Array,
): DataTypeMap[T] {
  const count = elementCount(shape)
  if (datatype === 'BYTES') return readBytesElements(name, shape, count, bytes) as DataTypeMap[T]
  if (!LITTLE_ENDIAN) throw new InferdError(Errors.BACKEND_FEATURE_UNSUPPORTED, ['binary tensor data on a big-endian host'])
  const fixed = datatype as FixedDataType
  const width = ELEMENT_BYTES[fixed]
  const want = count * width
  if (bytes.byteLength !== want) {
    throw binaryInvalid(`input '${name}': binary_data_size is ${bytes.byteLength} bytes, but shape ${formatShape(shape)} of ${datatype} needs ${want}`)
  }
  if (fixed === 'BOOL') checkBoolBytes(name, bytes)
  const Ctor = ARRAY_CTOR[fixed]
  if (bytes.byteOffset % width === 0) return new Ctor(bytes.buffer, bytes.byteOffset, count) as unknown as DataTypeMap[T]
  const aligned = new Uint8Array(want)
  aligned.set(bytes)
  return new Ctor(aligned.buffer, 0, count) as unknown as DataTypeMap[T]
}

function readBytesElements (name: string, shape: readonly number[], count: number, bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const end = bytes.byteLength
  const out: Uint8Array[] = []
  let pos = 0
  while (pos < end) {
    if (out.length === count) {
      throw binaryInvalid(`input '${name}': shape ${formatShape(shape)} holds ${count} BYTES element${count === 1 ? '' : 's'}, but ${end - pos} more byte${end - pos === 1 ? '' : 's'} follow within its binary_data_size ${end}`)
    }
    if (end - pos < 4) {
      throw binaryInvalid(`input '${name}': BYTES element ${out.length} at byte ${pos} needs a 4-byte length, but only ${end - pos} byte${end - pos === 1 ? '' : 's'} remain of binary_data_size ${end}`)
    }
    const len = view.getUint32(pos, true)
    pos += 4
    if (len > end - pos) {
      throw binaryInvalid(`input '${name}': BYTES element ${out.length} declares ${len} bytes, but only ${end - pos} remain of binary_data_size ${end}`)
    }
    out.push(new Uint8Array(bytes.buffer, bytes.byteOffset + pos, len))
    pos += len
  }
  if (out.length !== count) {
    throw binaryInvalid(`input '${name}': binary_data_size ${end} holds ${out.length} BYTES element${out.length === 1 ? '' : 's'}, but shape ${formatShape(shape)} needs ${count}`)
  }
  return out
}

function checkBoolBytes (name: string, bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number
    if (b > 1) throw binaryInvalid(`input '${name}': BOOL element ${i} is byte ${b}, not 0 or 1`)
  }
}

function binaryInvalid (detail: string): InferdError {
  return new InferdError(Errors.REQ_BINARY_INVALID, [detail])
}
