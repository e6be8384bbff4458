/**
 * The inference messages of proto/grpc_service.proto as plain objects, the way @grpc/proto-loader
 * hands them over with {@link LOADER_OPTIONS} (see proto.ts): field names as in the proto, 64-bit
 * integers as decimal strings (so values beyond 2^53 stay exact), `bytes` as Buffers (views on
 * the received message, no copy), enums as their names, and fields the sender left out absent
 * (not defaulted). When encoding, 64-bit fields also take numbers.
 *
 * Written by hand, since the proto is loaded at run time and nothing is generated; only the
 * messages the codec reads or writes field by field are here.
 *
 * @internal
 */

/** A 64-bit integer field: a decimal string when decoded; a string or a safe number when encoded. */
export type Int64Field = string | number

/** `InferParameter`: one of its value fields is set; `parameter_choice` names which (decoded only). */
export interface InferParameterMessage {
  bool_param?: boolean
  int64_param?: Int64Field
  string_param?: string
  double_param?: number
  uint64_param?: Int64Field
  parameter_choice?: string
}

export type InferParameterMap = Record<string, InferParameterMessage>

/** `InferTensorContents`: elements in the repeated field of their datatype. */
export interface InferTensorContentsMessage {
  bool_contents?: boolean[]
  int_contents?: number[]
  int64_contents?: Int64Field[]
  uint_contents?: number[]
  uint64_contents?: Int64Field[]
  fp32_contents?: number[]
  fp64_contents?: number[]
  bytes_contents?: Uint8Array[]
}

/** `ModelInferRequest.InferInputTensor`. */
export interface InferInputTensorMessage {
  name?: string
  datatype?: string
  shape?: Int64Field[]
  parameters?: InferParameterMap
  contents?: InferTensorContentsMessage
}

/** `ModelInferRequest.InferRequestedOutputTensor`. */
export interface InferRequestedOutputMessage {
  name?: string
  parameters?: InferParameterMap
}

/** `ModelInferRequest`. */
export interface ModelInferRequestMessage {
  model_name?: string
  model_version?: string
  id?: string
  parameters?: InferParameterMap
  inputs?: InferInputTensorMessage[]
  outputs?: InferRequestedOutputMessage[]
  raw_input_contents?: Uint8Array[]
}

/** `ModelInferResponse.InferOutputTensor`. */
export interface InferOutputTensorMessage {
  name: string
  datatype: string
  shape: Int64Field[]
  parameters?: InferParameterMap
  contents?: InferTensorContentsMessage
}

/** `ModelInferResponse`. */
export interface ModelInferResponseMessage {
  model_name: string
  model_version: string
  id?: string
  parameters?: InferParameterMap
  outputs: InferOutputTensorMessage[]
  raw_output_contents?: Uint8Array[]
}

/** `ModelStreamInferResponse`: a response, or the error its request ended with. */
export interface ModelStreamInferResponseMessage {
  error_message?: string
  infer_response?: Partial<ModelInferResponseMessage>
}

/** Requests naming a model and optionally a version (ModelReady, ModelMetadata, ModelConfig, ModelStatistics). */
export interface ModelRefMessage {
  name?: string
  version?: string
}

/** `ModelRepositoryParameter`. */
export interface ModelRepositoryParameterMessage {
  bool_param?: boolean
  int64_param?: Int64Field
  string_param?: string
  bytes_param?: Uint8Array
  parameter_choice?: string
}

/** `RepositoryModelLoadRequest` and `RepositoryModelUnloadRequest`. */
export interface RepositoryModelRequestMessage {
  repository_name?: string
  model_name?: string
  parameters?: Record<string, ModelRepositoryParameterMessage>
}

/** `RepositoryIndexRequest`. */
export interface RepositoryIndexRequestMessage {
  repository_name?: string
  ready?: boolean
}
