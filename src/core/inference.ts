import type { Tensor } from './tensor.js'

/** A request parameter value, as the protocol allows (bool, int64, string; numbers may be float). */
export type ParameterValue = string | number | boolean | bigint

export type Parameters = Readonly<Record<string, ParameterValue>>

/** An output the client asked for, with its per-output parameters (`binary_data`, `classification`). */
export interface RequestedOutput {
  readonly name: string
  readonly parameters?: Parameters
}

/** A decoded, protocol-independent inference request. */
export interface InferenceRequest {
  readonly id?: string
  readonly modelName: string
  /** Absent: the version the policy serves by default (the highest ready one). */
  readonly modelVersion?: string
  readonly inputs: readonly Tensor[]
  /** Absent: every output of the model. */
  readonly outputs?: readonly RequestedOutput[]
  readonly parameters?: Parameters
}

/** The result of one inference request. */
export interface InferenceResponse {
  readonly id?: string
  readonly modelName: string
  readonly modelVersion: string
  readonly outputs: readonly Tensor[]
  readonly parameters?: Parameters
}
