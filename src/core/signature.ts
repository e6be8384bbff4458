import type { DataType } from './dtype.js'

/**
 * One input or output as the model declares it. `dims` excludes the batch dimension when the
 * model batches (`maxBatchSize > 0`), exactly as Triton's `dims` do; -1 marks a variable dimension.
 */
export interface TensorSpec {
  readonly name: string
  readonly datatype: DataType
  readonly dims: readonly number[]
  /** Input only: the request may leave this input out (Triton ModelInput `optional`). */
  readonly optional?: boolean
}

/** The full signature of a loaded model version: what validation checks requests against. */
export interface ModelSignature {
  /** 0: the model does not batch and `dims` are full shapes; N > 0: first dimension is the batch, up to N. */
  readonly maxBatchSize: number
  readonly inputs: readonly TensorSpec[]
  readonly outputs: readonly TensorSpec[]
}

/** The full shape a spec has on the wire (`[-1, ...dims]` for batching models), as metadata reports it. */
export function wireShape (spec: TensorSpec, maxBatchSize: number): number[] {
  return maxBatchSize > 0 ? [-1, ...spec.dims] : [...spec.dims]
}
