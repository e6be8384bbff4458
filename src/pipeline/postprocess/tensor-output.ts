import type { DataType } from '../../core/dtype.js'
import { numericValues } from '../../core/numeric-values.js'
import type { Tensor } from '../../core/tensor.js'
import { Errors, InferdError } from '../../errors/index.js'
import type { OutputStage } from '../stages.js'

const utf8 = new TextDecoder()

export interface TensorOutputOptions {
  readonly name: string
  readonly model: string
  readonly tensor: string
  readonly datatype: DataType
  /** Per-item dims of the model output. */
  readonly dims: readonly number[]
}

/**
 * Passes a model output through: per item, a nested list of numbers in the output's shape, or
 * text for BYTES (an ensemble's strings, a custom backend's answer). In /v2, the tensor itself.
 */
export function tensorStage (o: TensorOutputOptions): OutputStage {
  const get = (outputs: ReadonlyMap<string, Tensor>): Tensor => {
    const t = outputs.get(o.tensor)
    if (t === undefined) throw new InferdError(Errors.BACKEND_FAILED, [o.model, `pipeline: the model returned no output '${o.tensor}'`])
    return t
  }
  // A declared single value per item ([1], [1, 1]: a custom model's score or label) reads as that
  // value rather than a one-element list; a variable dimension keeps the list whatever the data.
  const single = o.dims.every((d) => d === 1)
  return {
    name: o.name,
    kind: 'tensor',
    tensors: [o.tensor],
    datatype: o.datatype,
    dims: o.dims,
    describe: o.datatype === 'BYTES'
      ? (single ? 'text' : 'a list of texts')
      : (single ? 'a number' : `numbers shaped [${o.dims.join(', ')}]`),
    decode (outputs, n) {
      const t = get(outputs)
      const inner = t.shape.slice(1)
      const perItem = inner.reduce((a, b) => a * b, 1)
      const flat: ArrayLike<unknown> = t.datatype === 'BYTES' ? (t.data as Uint8Array[]).map((b) => utf8.decode(b)) : numericValues(t)
      return Array.from({ length: n }, (_, r) => nest(flat, r * perItem, single && perItem === 1 ? [] : inner))
    },
    toTensor (outputs) {
      const t = get(outputs)
      return { ...t, name: o.name }
    },
  }
}

/** The elements from `start` shaped as `dims` (a scalar for []). */
function nest (flat: ArrayLike<unknown>, start: number, dims: readonly number[]): unknown {
  if (dims.length === 0) return flat[start]
  const [d, ...rest] = dims as [number, ...number[]]
  const step = rest.reduce((a, b) => a * b, 1)
  return Array.from({ length: d }, (_, i) => nest(flat, start + i * step, rest))
}
