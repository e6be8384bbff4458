import { ELEMENT_BYTES, type FixedDataType } from '../../../core/dtype.js'
import type { InferenceRequest } from '../../../core/inference.js'
import type { ModelSignature } from '../../../core/signature.js'
import type { Tensor } from '../../../core/tensor.js'
import { formatShape } from '../../../core/validate.js'
import { Errors } from '../../../errors/codes.js'
import { InferdError } from '../../../errors/inferd-error.js'
import type { DecodeTarget } from './decode-request.js'
import { readBinaryTensorData } from './tensor-binary-read.js'

/**
 * Decodes a raw binary request (Triton's binary extension, `Inference-Header-Content-Length: 0`):
 * the body is the bytes of the model's only input, with no JSON header, so the shape is deduced
 * from the byte count and the model's signature:
 *   - the model must have exactly one input;
 *   - non-BYTES: at most one variable (-1) dimension, sized to fit the body exactly (a body that
 *     is not a whole number of the fixed part is refused, where Triton would round down);
 *   - BYTES: the declared dims must hold exactly one element (`[1]`); the whole body is that
 *     element (no length prefix: Triton prepends one itself);
 *   - a batching model (maxBatchSize > 0) gets batch 1 prepended.
 * The decoded request asks for every output, returned as binary data (`binary_data_output`).
 *
 * @throws InferdError REQ_BINARY_INVALID when the model does not qualify or the size does not fit
 * @example
 * if (headerLength === 0) req = decodeRawBinaryRequest(body, { modelName }, signature)
 */
export function decodeRawBinaryRequest (body: Buffer, target: DecodeTarget, signature: ModelSignature): InferenceRequest {
  const [spec, ...others] = signature.inputs
  if (spec === undefined || others.length > 0) {
    throw binaryInvalid(`a raw binary request (Inference-Header-Content-Length: 0) needs a model with exactly 1 input, but '${target.modelName}' has ${signature.inputs.length}`)
  }
  const batch = signature.maxBatchSize > 0 ? [1] : []
  let shape: number[]
  let data: Tensor['data']
  if (spec.datatype === 'BYTES') {
    if (spec.dims.some((d) => d !== 1)) {
      throw binaryInvalid(`raw binary BYTES input '${spec.name}' must have shape [1], but the model declares ${formatShape(spec.dims)}`)
    }
    shape = [...batch, ...spec.dims]
    data = [new Uint8Array(body.buffer, body.byteOffset, body.byteLength)]
  } else {
    shape = [...batch, ...deduceDims(spec.name, spec.dims, ELEMENT_BYTES[spec.datatype as FixedDataType], body.byteLength, spec.datatype)]
    data = readBinaryTensorData(spec.name, spec.datatype, shape, body)
  }
  const input = { name: spec.name, datatype: spec.datatype, shape, data } as Tensor
  return {
    modelName: target.modelName,
    ...(target.modelVersion === undefined ? {} : { modelVersion: target.modelVersion }),
    inputs: [input],
    parameters: { binary_data_output: true },
  }
}

function deduceDims (name: string, dims: readonly number[], width: number, size: number, datatype: string): number[] {
  const variable = dims.filter((d) => d === -1).length
  if (variable > 1) {
    throw binaryInvalid(`the shape of raw binary input '${name}' cannot be deduced: ${formatShape(dims)} has more than one variable dimension`)
  }
  const fixedBytes = dims.reduce((n, d) => (d === -1 ? n : n * d), width)
  if (variable === 0) {
    if (size !== fixedBytes) throw binaryInvalid(`raw binary input '${name}' (${datatype} ${formatShape(dims)}) needs ${fixedBytes} bytes, got ${size}`)
    return [...dims]
  }
  if (fixedBytes === 0) {
    // A zero-sized fixed dimension leaves the variable one undetermined; only an empty body fits.
    if (size !== 0) throw binaryInvalid(`raw binary input '${name}' (${datatype} ${formatShape(dims)}) holds no bytes, got ${size}`)
    return dims.map((d) => (d === -1 ? 0 : d))
  }
  if (size % fixedBytes !== 0) {
    throw binaryInvalid(`raw binary input '${name}' (${datatype} ${formatShape(dims)}): ${size} bytes is not a multiple of ${fixedBytes}, the bytes per unit of its variable dimension`)
  }
  return dims.map((d) => (d === -1 ? size / fixedBytes : d))
}

function binaryInvalid (detail: string): InferdError {
  return new InferdError(Errors.REQ_BINARY_INVALID, [detail])
}
