import { endianness } from 'node:os'
import type { Tensor } from '../core/tensor.js'
import { fromBFloat16Bits, fromFloat16Bits } from '../core/half.js'

/**
 * Encodes one Open Inference Protocol inference request body, once, before the load starts; the
 * load generator then sends the same bytes again and again.
 *
 * - `json`: every input's `data` is a flat JSON array (floats at full float32 precision, as a
 *   client converting a float32 array to JSON numbers sends them).
 * - `binary`: Triton's binary tensor data extension: a JSON header whose inputs carry
 *   `parameters.binary_data_size`, then each tensor's little-endian bytes, and the header's length
 *   in `Inference-Header-Content-Length`.
 *
 * Binary outputs are asked for with the request parameter `binary_data_output`.
 */

export type TensorFormat = 'json' | 'binary'

export interface EncodeOptions {
  /** How input tensors travel. */
  readonly input: TensorFormat
  /** How the server should send output tensors back. */
  readonly output: TensorFormat
}

/** A ready-to-send request body and the headers that describe it. */
export interface EncodedBody {
  readonly body: Buffer
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>
}

const LITTLE_ENDIAN = endianness() === 'LE'

/** Encodes `inputs` as one inference request body. */
export function encodeInferBody (inputs: readonly Tensor[], options: EncodeOptions): EncodedBody {
  const params = options.output === 'binary' ? ',"parameters":{"binary_data_output":true}' : ''
  if (options.input === 'json') {
    const text = `{"inputs":[${inputs.map((t) => `${tensorHead(t)},"data":${jsonData(t)}}`).join(',')}]${params}}`
    return { body: Buffer.from(text, 'utf8'), headers: { 'content-type': 'application/json' } }
  }
  const chunks = inputs.map(binaryData)
  const heads = inputs.map((t, i) => `${tensorHead(t)},"parameters":{"binary_data_size":${chunks[i]!.length}}}`)
  const header = Buffer.from(`{"inputs":[${heads.join(',')}]${params}}`, 'utf8')
  return {
    body: Buffer.concat([header, ...chunks]),
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
  }
}

function tensorHead (t: Tensor): string {
  return `{"name":${JSON.stringify(t.name)},"shape":${JSON.stringify(t.shape)},"datatype":"${t.datatype}"`
}

function jsonData (t: Tensor): string {
  const d = t.data
  switch (t.datatype) {
    case 'BYTES': {
      const decoder = new TextDecoder()
      return JSON.stringify((d as Uint8Array[]).map((el) => decoder.decode(el)))
    }
    case 'BOOL': return JSON.stringify(Array.from(d as Uint8Array, (v) => v !== 0))
    case 'FP16': return JSON.stringify(Array.from(d as Uint16Array, fromFloat16Bits))
    case 'BF16': return JSON.stringify(Array.from(d as Uint16Array, fromBFloat16Bits))
    // 64-bit integers are written digit for digit: JSON.stringify refuses BigInt, and Number would round.
    case 'INT64': case 'UINT64': return `[${Array.from(d as BigInt64Array, String).join(',')}]`
    default: return JSON.stringify(Array.from(d as Float32Array))
  }
}

function binaryData (t: Tensor): Buffer {
  if (t.datatype === 'BYTES') {
    return Buffer.concat((t.data as Uint8Array[]).flatMap((el) => {
      const len = Buffer.alloc(4)
      len.writeUInt32LE(el.byteLength)
      return [len, el]
    }))
  }
  // The extension fixes little-endian; typed arrays use the host's order, which is little-endian on
  // every platform Node ships for. Refuse rather than send wrong bytes on a big-endian host.
  if (!LITTLE_ENDIAN) throw new Error('binary tensor data needs a little-endian host; use --input-tensor-format json')
  const view = t.data as ArrayBufferView
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength)
}
