import { describe, expect, it } from 'vitest'
import { catchInferdError } from '../../../../test/helpers/catch-inferd-error.js'
import type { DataType } from '../../../core/dtype.js'
import { toFloat16Bits } from '../../../core/half.js'
import type { ModelSignature } from '../../../core/signature.js'
import type { Tensor } from '../../../core/tensor.js'
import { decodePredictRequest } from './predict-request.js'
import { encodePredictResponse } from './predict-response.js'

const spec = (name: string, datatype: DataType, dims: number[]) => ({ name, datatype, dims })
const ONE: ModelSignature = { maxBatchSize: 8, inputs: [spec('x', 'FP32', [2])], outputs: [spec('y', 'FP32', [2])] }
const TWO: ModelSignature = {
  maxBatchSize: 8,
  inputs: [spec('a', 'INT64', [-1]), spec('s', 'BYTES', [])],
  outputs: [spec('y', 'FP32', [])],
}
const target = { modelName: 'm' }
const decode = (body: unknown, sig: ModelSignature = ONE) => decodePredictRequest(typeof body === 'string' ? body : JSON.stringify(body), target, sig)
const tensor = (name: string, datatype: DataType, shape: number[], data: Tensor['data']): Tensor => ({ name, datatype, shape, data } as Tensor)
const response = (...outputs: Tensor[]) => ({ modelName: 'm', modelVersion: '1', outputs })

describe('decodePredictRequest', () => {
  it('stacks row-format instances along dimension 0, plain or keyed by input name', () => {
    for (const instances of [[[1, 2], [3, 4], [5, 6]], [{ x: [1, 2] }, { x: [3, 4] }, { x: [5, 6] }]]) {
      const { request, format } = decode({ instances })
      expect(format).toEqual({ kind: 'row', instances: 3 })
      expect(request.inputs).toEqual([tensor('x', 'FP32', [3, 2], new Float32Array([1, 2, 3, 4, 5, 6]))])
      expect(request.modelName).toBe('m')
    }
  })

  it('takes columnar tensors whole, with exact 64-bit integers, strings and b64 for BYTES', () => {
    const { request, format } = decode('{"inputs": {"a": [[9223372036854775807, -1]], "s": ["é", {"b64": "AQI="}]}}', TWO)
    expect(format).toEqual({ kind: 'columnar' })
    expect(request.inputs[0]).toEqual(tensor('a', 'INT64', [1, 2], new BigInt64Array([9223372036854775807n, -1n])))
    expect(request.inputs[1]!.shape).toEqual([2])
    expect((request.inputs[1]!.data as Uint8Array[]).map((b) => [...b])).toEqual([[0xc3, 0xa9], [1, 2]])
  })

  it('reads a bare scalar as shape [] and NaN tokens as numbers', () => {
    const { request } = decode('{"inputs": NaN}')
    expect(request.inputs[0]!.shape).toEqual([])
    expect(Number.isNaN((request.inputs[0]!.data as Float32Array)[0])).toBe(true)
  })

  it('names what is wrong', () => {
    expect(catchInferdError(() => decode({ instances: [[1, 2], [3]] })).message).toMatch(/not regular: \[1\] holds 1 element where \[2,2\] needs 2/)
    expect(catchInferdError(() => decode({ instances: [[1, 2], { x: [1, 2] }] })).message).toMatch(/instances\[1\] is an object/)
    expect(catchInferdError(() => decode({ instances: [[1, 2]] }, TWO)).message).toMatch(/has 2 inputs \('a', 's'\)/)
    expect(catchInferdError(() => decode({ inputs: { x: [[{ b64: 'AA==' }, 1]] } })).message).toMatch(/only for BYTES/)
    expect(catchInferdError(() => decode({ inputs: { s: [{ b64: 'A' }] } }, TWO)).message).toMatch(/must hold base64/)
    expect(catchInferdError(() => decode({ inputs: { z: [1] } })).code).toBe('INFERD_ERR_INPUT_UNKNOWN')
    expect(catchInferdError(() => decode([1])).code).toBe('INFERD_ERR_REQ_BODY_INVALID')
  })
})

describe('encodePredictResponse', () => {
  const y = tensor('y', 'FP32', [2, 2], new Float32Array([1, 0.5, Infinity, NaN]))
  const label = tensor('label', 'INT64', [2], new BigInt64Array([9007199254740993n, -2n]))

  it('writes one prediction per instance: bare values for one output, objects for several', () => {
    expect(encodePredictResponse(response(y), { kind: 'row', instances: 2 })).toBe('{"predictions":[[1,0.5],[Infinity,NaN]]}')
    expect(encodePredictResponse(response(y, label), { kind: 'row', instances: 2 }))
      .toBe('{"predictions":[{"y":[1,0.5],"label":9007199254740993},{"y":[Infinity,NaN],"label":-2}]}')
  })

  it('writes whole tensors in the columnar format', () => {
    expect(encodePredictResponse(response(y), { kind: 'columnar' })).toBe('{"outputs":[[1,0.5],[Infinity,NaN]]}')
    expect(encodePredictResponse(response(tensor('flag', 'BOOL', [], new Uint8Array([1])), tensor('h', 'FP16', [1], new Uint16Array([toFloat16Bits(0.25)]))), { kind: 'columnar' }))
      .toBe('{"outputs":{"flag":true,"h":[0.25]}}')
  })

  it('writes BYTES as text, or as {"b64"} for outputs named *_bytes', () => {
    const data = [new Uint8Array([0x68, 0x69]), new Uint8Array([0xff])]
    expect(encodePredictResponse(response(tensor('t', 'BYTES', [2], data)), { kind: 'row', instances: 2 })).toBe('{"predictions":["hi","\uFFFD"]}')
    expect(encodePredictResponse(response(tensor('t_bytes', 'BYTES', [2], data)), { kind: 'row', instances: 2 })).toBe('{"predictions":[{"b64":"aGk="},{"b64":"/w=="}]}')
  })

  it('refuses the row format when an output does not have one row per instance', () => {
    const e = catchInferdError(() => encodePredictResponse(response(y), { kind: 'row', instances: 3 }))
    expect(e.code).toBe('INFERD_ERR_PREDICT_ROWS_MISMATCH')
    expect(catchInferdError(() => encodePredictResponse(response(tensor('s', 'FP32', [], new Float32Array([1]))), { kind: 'row', instances: 1 })).code)
      .toBe('INFERD_ERR_PREDICT_ROWS_MISMATCH')
  })
})
