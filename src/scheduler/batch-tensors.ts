import type { DataType, DataTypeMap } from '../core/dtype.js'
import { allocData, type Tensor } from '../core/tensor.js'

/**
 * Concatenates each named input of several requests along the batch dimension (dimension 0).
 * Callers guarantee the requests are compatible: the same input names, datatypes and non-batch
 * dimensions (see `batchKey`). Inputs are matched by name, not position: two requests may list
 * the same inputs in different orders and still share a batch. One request alone is passed
 * through without a copy.
 */
export function concatInputs (requests: readonly (readonly Tensor[])[]): Tensor[] {
  const first = requests[0]
  if (first === undefined) return []
  if (requests.length === 1) return [...first]
  return first.map((t, i) => {
    const parts = requests.map((r) => (r[i]?.name === t.name ? r[i] : r.find((x) => x.name === t.name)) as Tensor)
    let rows = 0
    let length = 0
    for (const p of parts) { rows += p.shape[0] ?? 0; length += p.data.length }
    const shape = [rows, ...t.shape.slice(1)]
    if (t.datatype === 'BYTES') return { name: t.name, datatype: t.datatype, shape, data: parts.flatMap((p) => p.data as Uint8Array[]) }
    const data = allocData(t.datatype, length) as Exclude<DataTypeMap[DataType], Uint8Array[]>
    let offset = 0
    for (const p of parts) {
      ;(data as Float32Array).set(p.data as Float32Array, offset)
      offset += p.data.length
    }
    return { name: t.name, datatype: t.datatype, shape, data }
  })
}

/**
 * Splits batched outputs back into per-request outputs: request k gets rows
 * [start_k, start_k + rows_k) of every output. Views, not copies (subarray), since the batch's
 * buffers are not reused after the split.
 */
export function splitOutputs (outputs: readonly Tensor[], rows: readonly number[]): Tensor[][] {
  if (rows.length === 1) return [[...outputs]]
  const result: Tensor[][] = rows.map(() => [])
  for (const t of outputs) {
    const total = t.shape[0] ?? 0
    const perRow = total === 0 ? 0 : t.data.length / total
    let start = 0
    rows.forEach((n, k) => {
      const from = start * perRow
      const to = (start + n) * perRow
      const data = t.datatype === 'BYTES'
        ? (t.data as Uint8Array[]).slice(from, to)
        : (t.data as Float32Array).subarray(from, to)
      result[k]!.push({ name: t.name, datatype: t.datatype, shape: [n, ...t.shape.slice(1)], data } as Tensor)
      start += n
    })
  }
  return result
}

/**
 * Requests may share a batch when their inputs agree on everything but the batch dimension. The
 * key is built from input names, datatypes and trailing dimensions, in the order the request
 * sent them (normalised by name so that order does not matter).
 */
export function batchKey (inputs: readonly Tensor[]): string {
  let key = ''
  const sorted = inputs.length > 1 ? [...inputs].sort((a, b) => (a.name < b.name ? -1 : 1)) : inputs
  for (const t of sorted) key += `${t.name}\u0000${t.datatype}\u0000${t.shape.slice(1).join(',')}\u0001`
  return key
}
