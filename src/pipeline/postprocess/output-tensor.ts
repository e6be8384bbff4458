import { numericValues } from '../../core/numeric-values.js'
import type { Tensor } from '../../core/tensor.js'
import { Errors, InferdError } from '../../errors/index.js'

/**
 * The model output a stage reads, with its per-item values as numbers. A missing output or a
 * BYTES one is a server-side fault (the config was checked against the model at load), reported
 * as BACKEND_FAILED rather than blamed on the client.
 */
export function rowsOf (outputs: ReadonlyMap<string, Tensor>, tensor: string, n: number, model: string): { values: ArrayLike<number>; perItem: number } {
  const t = outputs.get(tensor)
  if (t === undefined) throw new InferdError(Errors.BACKEND_FAILED, [model, `pipeline: the model returned no output '${tensor}'`])
  if (t.datatype === 'BYTES') throw new InferdError(Errors.BACKEND_FAILED, [model, `pipeline: output '${tensor}' is BYTES, not numbers`])
  const values = numericValues(t)
  if (n === 0 || values.length % n !== 0) throw new InferdError(Errors.BACKEND_FAILED, [model, `pipeline: output '${tensor}' of shape [${t.shape.join(',')}] does not split into ${n} items`])
  return { values, perItem: values.length / n }
}
