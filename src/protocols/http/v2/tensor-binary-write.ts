import type { Tensor } from '../../../core/tensor.js'
import { Errors } from '../../../errors/codes.js'
import { InferdError } from '../../../errors/inferd-error.js'

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/**
 * A tensor's data laid out as Triton's binary extension wants it: little-endian, row-major;
 * BYTES as 4-byte little-endian lengths each followed by the element's bytes.
 *
 * Fixed-size datatypes are returned as a view on the tensor's own memory (no copy); BYTES are
 * gathered into one new buffer. The caller must not mutate the tensor until the bytes are sent.
 */
export function binaryTensorBytes (t: Tensor): Buffer {
  if (t.datatype === 'BYTES') return gatherBytes(t.data as readonly Uint8Array[])
  if (!LITTLE_ENDIAN) throw new InferdError(Errors.BACKEND_FEATURE_UNSUPPORTED, ['binary tensor data on a big-endian host'])
  const view = t.data as ArrayBufferView
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength)
}

function gatherBytes (elements: readonly Uint8Array[]): Buffer {
  let size = 0
  for (const el of elements) size += 4 + el.byteLength
  const out = Buffer.allocUnsafe(size)
  let pos = 0
  for (const el of elements) {
    out.writeUInt32LE(el.byteLength, pos)
    out.set(el, pos + 4)
    pos += 4 + el.byteLength
  }
  return out
}
