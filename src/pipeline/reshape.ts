import type { Tensor } from '../core/tensor.js'
import type { ResolvedModelConfig } from '../repository/resolved-model-config.js'

/**
 * Triton's `reshape`: a tensor the client sends (or receives) with the config's `dims` is given
 * to (or comes from) the model with `reshape.shape`. The data is unchanged; only the shape
 * differs. A -1 in the target shape takes whatever size the element count leaves.
 */
export function reshapeInputs (inputs: readonly Tensor[], config: ResolvedModelConfig): readonly Tensor[] {
  if (!config.input.some((i) => i.reshape !== undefined)) return inputs
  const targets = new Map(config.input.map((i) => [i.name, i.reshape?.shape]))
  return inputs.map((t) => withShape(t, targets.get(t.name), config.max_batch_size > 0))
}

export function reshapeOutputs (outputs: readonly Tensor[], config: ResolvedModelConfig): Tensor[] {
  if (!config.output.some((o) => o.reshape !== undefined)) return [...outputs]
  const targets = new Map(config.output.map((o) => [o.name, o.reshape === undefined ? undefined : o.dims]))
  return outputs.map((t) => withShape(t, targets.get(t.name), config.max_batch_size > 0))
}

function withShape (t: Tensor, target: readonly number[] | undefined, batched: boolean): Tensor {
  if (target === undefined) return t
  const lead = batched ? [t.shape[0] ?? 1] : []
  const known = [...lead, ...target].reduce((n, d) => (d < 0 ? n : n * d), 1)
  const shape = [...lead, ...target.map((d) => (d < 0 ? (known === 0 ? 0 : t.data.length / known) : d))]
  return { ...t, shape }
}
