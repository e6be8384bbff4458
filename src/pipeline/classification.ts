import type { RequestedOutput } from '../core/inference.js'
import type { Tensor } from '../core/tensor.js'
import { numericValues } from '../core/numeric-values.js'
import { Errors, InferdError } from '../errors/index.js'

const utf8 = new TextEncoder()

/**
 * Triton's classification extension: an output requested with `"parameters": {"classification": k}`
 * comes back as a BYTES tensor of shape [batch, k] (or [k] for a model that does not batch) whose
 * elements read `"<value>:<index>[:<label>]"`, the k highest values of each row in descending
 * order (ties: lower index first), with labels from the output's `label_filename`.
 */
export function applyClassification (
  outputs: readonly Tensor[],
  requested: readonly RequestedOutput[] | undefined,
  labels: ReadonlyMap<string, readonly string[]>,
  batched: boolean,
): Tensor[] {
  if (requested === undefined) return [...outputs]
  const counts = new Map<string, number>()
  for (const r of requested) {
    const k = r.parameters?.['classification']
    if (k === undefined) continue
    const n = typeof k === 'bigint' ? Number(k) : k
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
      throw new InferdError(Errors.PARAMETER_INVALID, ['classification', `output '${r.name}': expected a positive integer, got ${JSON.stringify(String(k))}`])
    }
    counts.set(r.name, n)
  }
  if (counts.size === 0) return [...outputs]
  return outputs.map((t) => {
    const k = counts.get(t.name)
    return k === undefined ? t : classify(t, k, labels.get(t.name), batched)
  })
}

function classify (t: Tensor, k: number, labels: readonly string[] | undefined, batched: boolean): Tensor {
  if (t.datatype === 'BYTES') throw new InferdError(Errors.PARAMETER_INVALID, ['classification', `output '${t.name}' is BYTES, which has no values to rank`])
  const values = numericValues(t)
  const rows = batched ? (t.shape[0] ?? 1) : 1
  const perRow = rows === 0 ? 0 : values.length / rows
  const take = Math.min(k, perRow)
  const data: Uint8Array[] = []
  for (let r = 0; r < rows; r++) {
    const order = Array.from({ length: perRow }, (_, i) => i)
      .sort((a, b) => (values[r * perRow + b]! - values[r * perRow + a]!) || a - b)
    for (const index of order.slice(0, take)) {
      const label = labels?.[index]
      data.push(utf8.encode(`${values[r * perRow + index]}:${index}${label === undefined ? '' : `:${label}`}`))
    }
  }
  return { name: t.name, datatype: 'BYTES', shape: batched ? [rows, take] : [take], data }
}
