import { Errors, InferdError } from '../../errors/index.js'
import { decodeBase64 } from '../processors/base64.js'
import type { InputStage } from '../stages.js'
import { itemsOf, utf8Text } from './input-items.js'

const utf8 = new TextEncoder()

/**
 * A field passed to a BYTES model input as it is: `bytes` takes base64 in JSON (files: images,
 * audio for an ensemble whose first step decodes them), `string` takes text (for a model that
 * reads strings itself, such as a custom backend). Each item becomes one element of a `[n, 1]` tensor.
 */
export function passthroughInput (field: string, tensor: string, kind: 'bytes' | 'string'): InputStage {
  return {
    name: field,
    kind,
    tensors: [tensor],
    describe: kind === 'bytes' ? 'base64 data, or a list of them' : 'text, or a list of texts',
    fromJson (value) {
      const { items, listed } = itemsOf(field, value, (v) => typeof v === 'string', kind === 'bytes' ? 'base64 text' : 'text')
      if (kind === 'string') return { items: items.map((s) => nonEmpty(field, s as string)), listed }
      return { items: items.map((s) => decodeBase64(s as string, field)), listed }
    },
    fromBytes: (bytes) => (kind === 'string' ? nonEmpty(field, utf8Text(field, bytes)) : bytes),
    encode: async (items) => [{
      name: tensor,
      datatype: 'BYTES',
      shape: [items.length, 1],
      data: items.map((v) => (typeof v === 'string' ? utf8.encode(v) : v as Uint8Array)),
    }],
  }
}

function nonEmpty (field: string, s: string): string {
  if (s.trim() === '') throw new InferdError(Errors.TENSOR_DATA_INVALID, [field, 'is empty'])
  return s
}
