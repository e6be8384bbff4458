import { describe, expect, it } from 'vitest'
import type { ModelSignature } from '../../../core/signature.js'
import { InferdError } from '../../../errors/inferd-error.js'
import { encodeInferResponse } from './encode-response.js'
import { decodeRawBinaryRequest } from './raw-binary-request.js'
import { catchInferdError as failure } from '../../../../test/helpers/catch-inferd-error.js'


const sig = (maxBatchSize: number, datatype: 'FP32' | 'BYTES' | 'UINT8', dims: number[], inputs = 1): ModelSignature => ({
  maxBatchSize,
  inputs: Array.from({ length: inputs }, (_, i) => ({ name: `INPUT${i}`, datatype, dims })),
  outputs: [{ name: 'OUT', datatype: 'FP32', dims: [-1] }],
})

const f32Body = (...values: number[]): Buffer => Buffer.from(new Float32Array(values).buffer)

describe('decodeRawBinaryRequest', () => {
  it('deduces the one variable dimension from the byte count', () => {
    const req = decodeRawBinaryRequest(f32Body(0, 1, 2, 3, 4, 5, 6, 7), { modelName: 'm', modelVersion: '1' }, sig(0, 'FP32', [2, -1]))
    expect(req).toEqual({
      modelName: 'm',
      modelVersion: '1',
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [2, 4], data: new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]) }],
      parameters: { binary_data_output: true },
    })
  })

  it('prepends batch 1 for a batching model, and takes fixed shapes as they are', () => {
    expect(decodeRawBinaryRequest(f32Body(1, 2, 3), { modelName: 'm' }, sig(8, 'FP32', [-1])).inputs[0]?.shape).toEqual([1, 3])
    expect(decodeRawBinaryRequest(f32Body(1, 2), { modelName: 'm' }, sig(4, 'FP32', [2])).inputs[0]?.shape).toEqual([1, 2])
    expect(decodeRawBinaryRequest(Buffer.from([7, 8, 9]), { modelName: 'm' }, sig(0, 'UINT8', [3])).inputs[0]?.data).toEqual(new Uint8Array([7, 8, 9]))
  })

  it('takes the whole body as the single element of a BYTES input of shape [1]', () => {
    const body = Buffer.from('raw ✓ bytes')
    const req = decodeRawBinaryRequest(body, { modelName: 'm' }, sig(2, 'BYTES', [1]))
    expect(req.inputs[0]?.shape).toEqual([1, 1])
    expect(Buffer.from((req.inputs[0]?.data as Uint8Array[])[0] as Uint8Array).toString()).toBe('raw ✓ bytes')
  })

  it('makes every output binary in the response', () => {
    const req = decodeRawBinaryRequest(f32Body(1), { modelName: 'm' }, sig(0, 'FP32', [-1]))
    const out = encodeInferResponse({ modelName: 'm', modelVersion: '1', outputs: [{ name: 'OUT', datatype: 'FP32', shape: [1], data: new Float32Array([2]) }] }, req)
    if (typeof out === 'string') throw new Error(`expected binary outputs, got ${out}`)
    expect(JSON.parse(out.header).outputs).toEqual([{ name: 'OUT', datatype: 'FP32', shape: [1], parameters: { binary_data_size: 4 } }])
    expect(Buffer.concat(out.body)).toEqual(Buffer.from(new Float32Array([2]).buffer))
  })

  it.each([
    ['more than one input', sig(0, 'FP32', [-1], 3), f32Body(1, 2, 3),
      "invalid binary tensor data: a raw binary request (Inference-Header-Content-Length: 0) needs a model with exactly 1 input, but 'm' has 3"],
    ['two variable dimensions', sig(0, 'FP32', [-1, -1]), f32Body(1, 2),
      "invalid binary tensor data: the shape of raw binary input 'INPUT0' cannot be deduced: [-1,-1] has more than one variable dimension"],
    ['a size that is not a multiple', sig(0, 'FP32', [-1, 3]), f32Body(1, 2, 3, 4),
      "invalid binary tensor data: raw binary input 'INPUT0' (FP32 [-1,3]): 16 bytes is not a multiple of 12, the bytes per unit of its variable dimension"],
    ['a fixed shape of another size', sig(0, 'FP32', [2, 2]), f32Body(1, 2, 3),
      "invalid binary tensor data: raw binary input 'INPUT0' (FP32 [2,2]) needs 16 bytes, got 12"],
    ['a BYTES input not of shape [1]', sig(0, 'BYTES', [-1]), Buffer.from('x'),
      "invalid binary tensor data: raw binary BYTES input 'INPUT0' must have shape [1], but the model declares [-1]"],
  ] as const)('refuses %s', (_what, signature, body, message) => {
    const e = failure(() => decodeRawBinaryRequest(body, { modelName: 'm' }, signature))
    expect(e.code).toBe('INFERD_ERR_REQ_BINARY_INVALID')
    expect(e.message).toBe(message)
  })

  it('copies an unaligned raw body into aligned storage', () => {
    const outer = Buffer.concat([Buffer.alloc(1), f32Body(1.5, 2.5)])
    const req = decodeRawBinaryRequest(outer.subarray(1), { modelName: 'm' }, sig(0, 'FP32', [-1]))
    expect(req.inputs[0]?.data).toEqual(new Float32Array([1.5, 2.5]))
  })
})
