import { type DataType, type DataTypeMap, ELEMENT_BYTES, type FixedDataType } from '../../core/dtype.js'
import { elementCount } from '../../core/tensor.js'
import { formatShape } from '../../core/validate.js'
import { Errors, InferdError } from '../../errors/index.js'
import { readBinaryTensorData } from '../http/v2/tensor-binary-read.js'

/**
 * Reads one entry of `raw_input_contents` into inferd's storage.
 *
 * The layout is the binary extension's (little-endian, row-major, BOOL one byte 0/1, BYTES
 * elements each a 4-byte little-endian length then the bytes), so fixed-size datatypes go
 * through the REST adapter's reader (copy-free when the bytes are aligned, which protobuf's
 * placement inside the message rarely allows: then one copy). Sizes are checked here first, so
 * messages speak of raw_input_contents rather than of the REST extension's binary_data_size.
 *
 * @param index - the entry's position in raw_input_contents (= the input's position), for messages
 * @throws InferdError REQ_BINARY_INVALID when the bytes do not fit the shape and datatype, a BYTES
 *   length runs past the end, or a BOOL byte is neither 0 nor 1
 */
export function readRawContents<T extends DataType> (
  name: string,
  datatype: T,
  shape: readonly number[],
  bytes: Uint8Array,
  index: number,
): DataTypeMap[T] {
  const count = elementCount(shape)
  if (datatype === 'BYTES') return readRawBytes(name, shape, count, bytes, index) as DataTypeMap[T]
  const want = count * ELEMENT_BYTES[datatype as FixedDataType]
  if (bytes.byteLength !== want) {
    throw invalid(`raw_input_contents[${index}] (input '${name}') has ${bytes.byteLength} bytes, but shape ${formatShape(shape)} of ${datatype} needs ${want}`)
  }
  return readBinaryTensorData(name, datatype, shape, bytes)
}

function readRawBytes (name: string, shape: readonly number[], count: number, bytes: Uint8Array, index: number): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const where = `raw_input_contents[${index}] (input '${name}')`
  const out: Uint8Array[] = []
  let pos = 0
  while (pos < bytes.byteLength) {
    if (out.length === count) {
      throw invalid(`${where}: shape ${formatShape(shape)} holds ${count} BYTES element${count === 1 ? '' : 's'}, but ${bytes.byteLength - pos} more bytes follow`)
    }
    if (bytes.byteLength - pos < 4) throw invalid(`${where}: BYTES element ${out.length} at byte ${pos} needs a 4-byte length, but only ${bytes.byteLength - pos} bytes remain`)
    const len = view.getUint32(pos, true)
    pos += 4
    if (len > bytes.byteLength - pos) throw invalid(`${where}: BYTES element ${out.length} declares ${len} bytes, but only ${bytes.byteLength - pos} remain`)
    out.push(new Uint8Array(bytes.buffer, bytes.byteOffset + pos, len)) // a plain view, as the REST reader makes
    pos += len
  }
  if (out.length !== count) throw invalid(`${where} holds ${out.length} BYTES element${out.length === 1 ? '' : 's'}, but shape ${formatShape(shape)} needs ${count}`)
  return out
}

function invalid (detail: string): InferdError {
  return new InferdError(Errors.REQ_BINARY_INVALID, [detail])
}
