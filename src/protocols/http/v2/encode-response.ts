import type { InferenceRequest, InferenceResponse, Parameters } from '../../../core/inference.js'
import type { Tensor } from '../../../core/tensor.js'
import { binaryTensorBytes } from './tensor-binary-write.js'
import { jsonTensorData, type NonFiniteJson } from './tensor-json-write.js'

/** A response with binary outputs: send `header`'s UTF-8 bytes, then each chunk of `body` in order. */
export interface BinaryInferResponse {
  /** The JSON part: the response object, binary outputs carrying `parameters.binary_data_size`. */
  readonly header: string
  /** UTF-8 byte length of `header`: the `Inference-Header-Content-Length` response header. */
  readonly headerLength: number
  /** One chunk per binary output, in the order the outputs appear in `header`. */
  readonly body: readonly Buffer[]
}

export interface EncodeResponseOptions {
  /** How NaN/±Infinity appear in JSON data (tensor-json-write.ts). Default `'literal'`, as Triton. */
  readonly nonFinite?: NonFiniteJson
}

/** The parts of the decoded request that shape its response. */
export type ResponseChoices = Pick<InferenceRequest, 'id' | 'outputs' | 'parameters'>

/**
 * Encodes an inference response as OIP REST JSON, or as JSON plus binary tensor data when any
 * returned output is to be binary: per output, its requested `binary_data` parameter if given,
 * else the request's `binary_data_output` (Triton's precedence).
 *
 *   { "model_name", "model_version", "id"?, "parameters"?, "outputs": [
 *       { "name", "datatype", "shape", "data": [flat] }                          JSON output
 *       { "name", "datatype", "shape", "parameters": { "binary_data_size": n } } binary output
 *   ] }
 *
 * `id` is echoed only when the request had one. When the request named outputs, only those are
 * written (in the response's order). JSON data is flat and exact: INT64/UINT64 are written
 * digit for digit, FP16/BF16 as the numbers their bits hold, BYTES as UTF-8 strings, BOOL as
 * true/false.
 *
 * @returns the JSON text when every output is JSON, else a {@link BinaryInferResponse}
 * @example
 * const out = encodeInferResponse(res, req)
 * if (typeof out === 'string') reply.type('application/json').send(out)
 * else reply.header('inference-header-content-length', out.headerLength).type('application/octet-stream')
 *   .send(Buffer.concat([Buffer.from(out.header), ...out.body]))
 */
export function encodeInferResponse (res: InferenceResponse, req: ResponseChoices, opts: EncodeResponseOptions = {}): string | BinaryInferResponse {
  const nonFinite = opts.nonFinite ?? 'literal'
  const requested = req.outputs === undefined ? undefined : new Map(req.outputs.map((o) => [o.name, o.parameters]))
  const allBinary = req.parameters?.['binary_data_output'] === true
  const chunks: Buffer[] = []
  let s = `{"model_name":${JSON.stringify(res.modelName)},"model_version":${JSON.stringify(res.modelVersion)}`
  if (req.id !== undefined) s += `,"id":${JSON.stringify(req.id)}`
  if (res.parameters !== undefined && Object.keys(res.parameters).length > 0) s += `,"parameters":${parametersText(res.parameters)}`
  s += ',"outputs":['
  let first = true
  for (const t of res.outputs) {
    if (requested !== undefined && !requested.has(t.name)) continue
    const own = requested?.get(t.name)?.['binary_data']
    const binary = typeof own === 'boolean' ? own : allBinary
    if (!first) s += ','
    first = false
    s += outputHead(t)
    if (binary) {
      const bytes = binaryTensorBytes(t)
      chunks.push(bytes)
      s += `,"parameters":{"binary_data_size":${bytes.byteLength}}}`
    } else {
      s += `,"data":${jsonTensorData(t, nonFinite)}}`
    }
  }
  s += ']}'
  if (chunks.length === 0) return s
  return { header: s, headerLength: Buffer.byteLength(s, 'utf8'), body: chunks }
}

function outputHead (t: Tensor): string {
  return `{"name":${JSON.stringify(t.name)},"datatype":"${t.datatype}","shape":[${t.shape.join(',')}]`
}

function parametersText (params: Parameters): string {
  const parts: string[] = []
  for (const [key, v] of Object.entries(params)) {
    parts.push(`${JSON.stringify(key)}:${typeof v === 'bigint' ? v.toString() : JSON.stringify(v)}`)
  }
  return `{${parts.join(',')}}`
}
