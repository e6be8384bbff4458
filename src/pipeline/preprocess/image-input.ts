import type { Tensor } from '../../core/tensor.js'
import { concatInputs } from '../../scheduler/batch-tensors.js'
import { decodeBase64 } from '../processors/base64.js'
import { type ImageSpec, preprocessImage } from '../processors/image.js'
import type { InputStage } from '../stages.js'
import { itemsOf } from './input-items.js'

/**
 * An image field: base64 (or a data: URL) in JSON, the encoded file's bytes in /v2; decoded,
 * resized and normalised by sharp (processors/image.ts) into the model's input. Images of a batch
 * are decoded concurrently (sharp works on libuv's thread pool, off the event loop).
 */
export function imageInput (field: string, tensor: string, spec: ImageSpec): InputStage {
  return {
    name: field,
    kind: 'image',
    tensors: [tensor],
    describe: 'a JPEG, PNG or WebP image as base64 (or a data: URL), or a list of them',
    fromJson: (value) => {
      const { items, listed } = itemsOf(field, value, (v) => typeof v === 'string', 'a base64 image')
      return { items: items.map((s) => decodeBase64(s as string, field)), listed }
    },
    fromBytes: (bytes) => bytes,
    async encode (items) {
      const tensors = await Promise.all(items.map((b) => preprocessImage(b as Uint8Array, spec, field)))
      const [batch] = concatInputs(tensors.map((t) => [t])) as [Tensor]
      return [{ ...batch, name: tensor }]
    },
  }
}
