import type { DataType } from '../../core/dtype.js'
import type { Tensor } from '../../core/tensor.js'
import { Errors, InferdError } from '../../errors/index.js'
import { readJsonTensorData } from '../../protocols/http/v2/tensor-json-read.js'
import type { InputStage } from '../stages.js'
import { jsonType } from './input-items.js'

/**
 * A numeric model input in a friendly request, for models with no `pipeline:` section: one item
 * is a (nested) list in the input's per-item dims, or a number when the dims are []; a list of
 * such items is several. Variable dims (-1) take what the first item has; items must agree.
 */
export function tensorInput (field: string, datatype: Exclude<DataType, 'BYTES'>, dims: readonly number[]): InputStage {
  const depth = dims.length
  return {
    name: field,
    kind: 'tensor',
    tensors: [field],
    describe: depth === 0 ? `a number, or a list of numbers (${datatype})` : `numbers nested ${depth} deep, shaped [${dims.join(', ')}] (${datatype}), or a list of them`,
    fromJson (value) {
      const d = depthOf(value)
      if (d === depth) return { items: [value], listed: false }
      if (d === depth + 1 && Array.isArray(value) && value.length > 0) return { items: value, listed: true }
      throw new InferdError(Errors.TENSOR_DATA_INVALID, [field, `expected ${depth === 0 ? 'a number' : `a list nested ${depth} deep`} (dims [${dims.join(', ')}]), or a list of those; got ${d < 0 ? jsonType(value) : `nesting ${d} deep`}`])
    },
    fromBytes: () => { throw new InferdError(Errors.DTYPE_INVALID, [field, 'BYTES', datatype]) },
    async encode (items) {
      const shape = shapeOf(items[0])
      const flat: number[] = []
      items.forEach((item, i) => {
        const s = shapeOf(item)
        if (s.join() !== shape.join()) throw new InferdError(Errors.TENSOR_DATA_INVALID, [field, `item ${i} is shaped [${s.join(', ')}], item 0 [${shape.join(', ')}]`])
        dims.forEach((d, k) => {
          if (d >= 0 && s[k] !== d) throw new InferdError(Errors.TENSOR_SHAPE_MISMATCH, [field, `[${s.join(', ')}]`, `[${dims.join(', ')}]`])
        })
        flatten(item, s, flat, field)
      })
      // The /v2 JSON reader converts the numbers, so both faces take the same values (integer
      // ranges, half floats, 64-bit integers) and refuse the same ones.
      return [{ name: field, datatype, shape: [items.length, ...shape], data: readJsonTensorData(field, datatype, [flat.length], flat, true) } as Tensor]
    },
  }
}

/** Nesting depth of a regular list (0 for a number), or -1 for anything else. */
function depthOf (v: unknown): number {
  if (typeof v === 'number' || typeof v === 'boolean') return 0
  if (!Array.isArray(v) || v.length === 0) return -1
  const d = depthOf(v[0])
  return d < 0 ? -1 : d + 1
}

function shapeOf (v: unknown): number[] {
  const shape: number[] = []
  let x = v
  while (Array.isArray(x)) { shape.push(x.length); x = x[0] }
  return shape
}

/**
 * Appends the numbers of `v`, which must be a regular list of `shape` (the shape of its first
 * elements): `[1, [2, 3]]` or `[[1, 2], [3]]` are refused rather than flattened into wrong rows.
 */
function flatten (v: unknown, shape: readonly number[], out: number[], field: string): void {
  const [d, ...rest] = shape
  if (d !== undefined) {
    if (!Array.isArray(v) || v.length !== d) {
      throw new InferdError(Errors.TENSOR_DATA_INVALID, [field, `irregular nesting: expected a list of ${d}, found ${Array.isArray(v) ? `a list of ${v.length}` : jsonType(v)}`])
    }
    for (const x of v) flatten(x, rest, out, field)
    return
  }
  if (typeof v === 'boolean') { out.push(v ? 1 : 0); return }
  if (typeof v !== 'number') throw new InferdError(Errors.TENSOR_DATA_INVALID, [field, `expected numbers, found ${jsonType(v)}`])
  out.push(v)
}
