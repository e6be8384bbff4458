import { fromBFloat16Bits, fromFloat16Bits } from '../../../core/half.js'
import type { InferenceResponse } from '../../../core/inference.js'
import type { Tensor } from '../../../core/tensor.js'
import { formatShape } from '../../../core/validate.js'
import { Errors } from '../../../errors/codes.js'
import { InferdError } from '../../../errors/inferd-error.js'
import type { PredictFormat } from './predict-request.js'

/**
 * Encodes a `:predict` response the way TF Serving writes it:
 *
 *   row format        {"predictions": [ p0, p1, … ]}   one entry per instance: with a single
 *                                                      output its row's value, else
 *                                                      {"<output>": value, …}
 *   columnar format   {"outputs": value}               a single output's whole tensor, else
 *                     {"outputs": {"<output>": value, …}}
 *
 * Values are nested lists following the shape. Floats are written as the numbers they hold, with
 * TF's `NaN`, `Infinity` and `-Infinity` tokens for non-finite ones; 64-bit integers digit for
 * digit; BOOL as true/false; BYTES as UTF-8 strings, except outputs whose name ends in `_bytes`,
 * which TF Serving marks binary: those are `{"b64": "<base64>"}`.
 *
 * @throws InferdError PREDICT_ROWS_MISMATCH when, in row format, an output's first dimension is
 *   not the number of instances (it cannot be split into per-instance predictions)
 */
export function encodePredictResponse (res: InferenceResponse, format: PredictFormat): string {
  const outputs = res.outputs
  if (format.kind === 'columnar') {
    if (outputs.length === 1) return `{"outputs":${nested(elementText(outputs[0]!), outputs[0]!.shape, 0)}}`
    return `{"outputs":{${outputs.map((t) => `${JSON.stringify(t.name)}:${nested(elementText(t), t.shape, 0)}`).join(',')}}}`
  }
  const n = format.instances
  for (const t of outputs) {
    if (t.shape.length === 0 || t.shape[0] !== n) throw new InferdError(Errors.PREDICT_ROWS_MISMATCH, [t.name, formatShape(t.shape), n])
  }
  const rows = outputs.map((t) => {
    const text = elementText(t)
    const inner = t.shape.slice(1)
    let step = 1
    for (const d of inner) step *= d
    return (i: number): string => nested(text, inner, i * step)
  })
  const names = outputs.map((t) => JSON.stringify(t.name))
  const parts: string[] = []
  for (let i = 0; i < n; i++) {
    if (rows.length === 1) parts.push(rows[0]!(i))
    else parts.push(`{${rows.map((row, k) => `${names[k]!}:${row(i)}`).join(',')}}`)
  }
  return `{"predictions":[${parts.join(',')}]}`
}

/** The JSON text of the elements from flat index `start` laid out as `dims` (a scalar for `[]`). */
function nested (el: (i: number) => string, dims: readonly number[], start: number): string {
  if (dims.length === 0) return el(start)
  const d = dims[0] as number
  const rest = dims.slice(1)
  let step = 1
  for (const x of rest) step *= x
  let s = '['
  for (let i = 0; i < d; i++) {
    if (i > 0) s += ','
    s += nested(el, rest, start + i * step)
  }
  return `${s}]`
}

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true })

/** The JSON text of one element of `t`, by flat index. */
function elementText (t: Tensor): (i: number) => string {
  switch (t.datatype) {
    case 'FP32':
    case 'FP64': {
      const data = t.data as Float32Array | Float64Array
      return (i) => numberText(data[i] as number)
    }
    case 'FP16': {
      const data = t.data as Uint16Array
      return (i) => numberText(fromFloat16Bits(data[i] as number))
    }
    case 'BF16': {
      const data = t.data as Uint16Array
      return (i) => numberText(fromBFloat16Bits(data[i] as number))
    }
    case 'INT64':
    case 'UINT64': {
      const data = t.data as BigInt64Array | BigUint64Array
      return (i) => (data[i] as bigint).toString()
    }
    case 'BOOL': {
      const data = t.data as Uint8Array
      return (i) => (data[i] === 0 ? 'false' : 'true')
    }
    case 'BYTES': {
      const data = t.data as readonly Uint8Array[]
      // TF Serving's convention: a `_bytes` suffix marks a binary string output.
      if (t.name.endsWith('_bytes')) return (i) => `{"b64":"${base64(data[i] as Uint8Array)}"}`
      return (i) => JSON.stringify(utf8.decode(data[i]))
    }
    default: {
      const data = t.data as ArrayLike<number>
      return (i) => String(data[i])
    }
  }
}

/** A float as JSON, with TF Serving's tokens for the values JSON cannot spell. */
function numberText (v: number): string {
  return Number.isFinite(v) ? JSON.stringify(v) : String(v)
}

function base64 (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}
