import type { Tensor } from '../../core/tensor.js'
import type { OutputStage } from '../stages.js'
import { rowsOf } from './output-tensor.js'

export interface ValueOptions {
  readonly name: string
  readonly model: string
  readonly tensor: string
  /** Undoes the target scaling used in training: `{ mean, std }` (y·std + mean) or `{ min, max }` (y·(max−min) + min). */
  readonly unscale?: { readonly mean: number; readonly std: number } | { readonly min: number; readonly max: number }
  /** Values per item (product of the output's dims), or undefined when a dimension is variable. */
  readonly width: number | undefined
}

/**
 * Post-processing for regression: the model's output, back in the target's units. One value per
 * item reads as a number; several as a list. In /v2, an FP32 tensor `[n]` or `[n, width]`.
 */
export function valueStage (o: ValueOptions): OutputStage {
  const u = o.unscale
  const unscale = u === undefined
    ? (y: number) => y
    : 'mean' in u ? (y: number) => y * u.std + u.mean : (y: number) => y * (u.max - u.min) + u.min
  const scalar = o.width === 1
  const rows = (outputs: ReadonlyMap<string, Tensor>, n: number): { values: Float64Array; perItem: number } => {
    const { values, perItem } = rowsOf(outputs, o.tensor, n, o.model)
    return { values: Float64Array.from(values as ArrayLike<number>, unscale), perItem }
  }
  return {
    name: o.name,
    kind: 'value',
    tensors: [o.tensor],
    datatype: 'FP32',
    dims: scalar ? [] : [o.width ?? -1],
    describe: scalar ? 'number' : 'list of numbers',
    decode (outputs, n) {
      const { values, perItem } = rows(outputs, n)
      return Array.from({ length: n }, (_, r) => {
        const row = Array.from(values.subarray(r * perItem, (r + 1) * perItem))
        // Only a declared single value reads as a number: a variable-width output stays a list
        // even when an item has one value, so the answer's type does not depend on the data.
        return scalar ? row[0] : row
      })
    },
    toTensor (outputs, n) {
      const { values, perItem } = rows(outputs, n)
      return { name: o.name, datatype: 'FP32', shape: perItem === 1 && scalar ? [n] : [n, perItem], data: Float32Array.from(values) }
    },
  }
}
