import { describe, expect, it } from 'vitest'
import type { Tensor } from '../core/tensor.js'
import { toFloat16Bits } from '../core/half.js'
import { decodeInferRequest } from '../protocols/http/v2/decode-request.js'
import { encodeInferBody } from './request-body.js'

// The bench's encoder is checked against inferd's own decoder: a body the server cannot read
// would measure nothing but errors.
const tensors: Tensor[] = [
  { name: 'f32', datatype: 'FP32', shape: [1, 3], data: Float32Array.from([0.1, -2.5, 3e-8]) },
  { name: 'i64', datatype: 'INT64', shape: [2], data: BigInt64Array.from([9007199254740993n, -4n]) },
  { name: 'b', datatype: 'BOOL', shape: [2], data: Uint8Array.from([1, 0]) },
  { name: 'h', datatype: 'FP16', shape: [1], data: Uint16Array.from([toFloat16Bits(1.5)]) },
  { name: 's', datatype: 'BYTES', shape: [2], data: [new TextEncoder().encode('héllo'), new Uint8Array(0)] },
]

function decodeBody (body: Buffer, headers: Readonly<Record<string, string>>) {
  const h = headers['inference-header-content-length']
  return decodeInferRequest(body, h === undefined ? undefined : Number(h), { modelName: 'm' })
}

describe('encodeInferBody', () => {
  for (const input of ['json', 'binary'] as const) {
    it(`${input} inputs: inferd decodes every datatype back to the same tensors`, () => {
      const { body, headers } = encodeInferBody(tensors, { input, output: 'json' })
      expect(headers['content-type']).toBe(input === 'json' ? 'application/json' : 'application/octet-stream')
      const decoded = decodeBody(body, headers)
      expect(decoded.inputs.map((t) => [t.name, t.datatype, t.shape])).toEqual(tensors.map((t) => [t.name, t.datatype, t.shape]))
      for (const [i, t] of tensors.entries()) {
        const got = decoded.inputs[i]!.data
        if (t.datatype === 'BYTES') expect((got as Uint8Array[]).map((b) => Buffer.from(b).toString())).toEqual(['héllo', ''])
        else expect(Array.from(got as ArrayLike<unknown>)).toEqual(Array.from(t.data as ArrayLike<unknown>))
      }
      expect(decoded.parameters?.binary_data_output).toBeUndefined()
    })
  }

  it('binary: the header length splits JSON from the tensor bytes, which are little-endian', () => {
    const f32: Tensor = { name: 'x', datatype: 'FP32', shape: [1, 2], data: Float32Array.from([1, 2]) }
    const { body, headers } = encodeInferBody([f32], { input: 'binary', output: 'binary' })
    const headerLength = Number(headers['inference-header-content-length'])
    const header = JSON.parse(body.subarray(0, headerLength).toString()) as Record<string, any>
    expect(header).toEqual({
      inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: 8 } }],
      parameters: { binary_data_output: true },
    })
    expect(body.length).toBe(headerLength + 8)
    expect(body.readFloatLE(headerLength + 4)).toBe(2)
  })

  it('json: writes float32 values at full precision and asks for binary outputs when told', () => {
    const { body } = encodeInferBody([tensors[0]!], { input: 'json', output: 'binary' })
    const parsed = JSON.parse(body.toString()) as { inputs: Array<{ data: number[] }>; parameters: unknown }
    expect(parsed.inputs[0]!.data).toEqual([Math.fround(0.1), -2.5, Math.fround(3e-8)])
    expect(parsed.parameters).toEqual({ binary_data_output: true })
  })
})
