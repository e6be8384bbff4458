import { describe, expect, it } from 'vitest'
import { InferdError } from '../../../errors/inferd-error.js'
import { decodeInferRequest } from './decode-request.js'
import { INFERENCE_HEADER_CONTENT_LENGTH, parseInferenceHeaderLength } from './inference-header.js'
import { catchInferdError as failure } from '../../../../test/helpers/catch-inferd-error.js'

const target = { modelName: 'm' }


/** A JSON header followed by binary chunks, in a buffer of its own (byteOffset 0). */
function binaryBody (header: object, chunks: Buffer[], headerPad = 0): { body: Buffer; headerLength: number } {
  const json = Buffer.from(JSON.stringify(header) + ' '.repeat(headerPad))
  const body = Buffer.from(new Uint8Array(Buffer.concat([json, ...chunks])).buffer)
  return { body, headerLength: json.length }
}

const le32 = (...values: number[]): Buffer => {
  const b = Buffer.alloc(values.length * 4)
  values.forEach((v, i) => b.writeInt32LE(v, i * 4))
  return b
}

const bytesElements = (...items: Array<string | Buffer>): Buffer =>
  Buffer.concat(items.map((s) => {
    const data = typeof s === 'string' ? Buffer.from(s) : s
    const len = Buffer.alloc(4)
    len.writeUInt32LE(data.length)
    return Buffer.concat([len, data])
  }))

describe('decodeInferRequest: JSON', () => {
  it('decodes the protocol example into a core request', () => {
    const text = JSON.stringify({
      id: '42',
      inputs: [
        { name: 'input0', shape: [2, 2], datatype: 'UINT32', data: [1, 2, 3, 4] },
        { name: 'input1', shape: [3], datatype: 'BOOL', data: [true, false, true] },
      ],
      outputs: [{ name: 'output0' }],
    })
    const req = decodeInferRequest(text, undefined, { modelName: 'mymodel', modelVersion: '2' })
    expect(req).toEqual({
      id: '42',
      modelName: 'mymodel',
      modelVersion: '2',
      inputs: [
        { name: 'input0', datatype: 'UINT32', shape: [2, 2], data: new Uint32Array([1, 2, 3, 4]) },
        { name: 'input1', datatype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
      ],
      outputs: [{ name: 'output0' }],
    })
    expect('parameters' in req).toBe(false)
  })

  it('accepts a Buffer body and keeps parameters, including exact big integers', () => {
    const text = '{"parameters":{"binary_data_output":true,"sequence_id":18446744073709551615,"note":"x","p":0.5},' +
      '"inputs":[{"name":"a","shape":[1],"datatype":"INT64","data":[9223372036854775807],"parameters":{"foo":1}}],' +
      '"outputs":[{"name":"y","parameters":{"binary_data":false}}]}'
    const req = decodeInferRequest(Buffer.from(text), undefined, target)
    expect(req.parameters).toEqual({ binary_data_output: true, sequence_id: 18446744073709551615n, note: 'x', p: 0.5 })
    expect(req.inputs[0]?.data).toEqual(new BigInt64Array([9223372036854775807n]))
    expect(req.outputs).toEqual([{ name: 'y', parameters: { binary_data: false } }])
  })

  it('re-parses exactly only when an integer needs it, and ignores unknown fields', () => {
    const text = '{"model_name":"m","extra":{"x":[1]},"inputs":[{"name":"a","shape":[2],"datatype":"UINT64","data":[18446744073709551615,1]}]}'
    expect(decodeInferRequest(text, undefined, target).inputs[0]?.data).toEqual(new BigUint64Array([18446744073709551615n, 1n]))
  })

  it('names the exact value of an out-of-range big integer (fast parse would round it)', () => {
    const e = failure(() => decodeInferRequest('{"inputs":[{"name":"a","shape":[1],"datatype":"INT32","data":[9223372036854775807]}]}', undefined, target))
    expect(e.message).toBe("tensor 'a': element 0: 9223372036854775807 is out of range for INT32 (-2147483648 to 2147483647)")
  })

  it('accepts the NaN and Infinity tokens Triton clients send for float data', () => {
    const req = decodeInferRequest('{"inputs":[{"name":"a","shape":[3],"datatype":"FP32","data":[NaN,Infinity,-Infinity]}]}', undefined, target)
    const data = req.inputs[0]?.data as Float32Array
    expect(data[0]).toBeNaN()
    expect(Array.from(data.subarray(1))).toEqual([Infinity, -Infinity])
  })

  it('reads an empty outputs list as "all outputs"', () => {
    const req = decodeInferRequest('{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]}],"outputs":[]}', undefined, target)
    expect(req.outputs).toBeUndefined()
  })

  it.each([
    ['[1]', 'INFERD_ERR_REQ_BODY_INVALID', 'invalid request body: the request must be a JSON object, got an array'],
    ['{}', 'INFERD_ERR_REQ_BODY_INVALID', "invalid request body: 'inputs' is required"],
    ['{"inputs":[]}', 'INFERD_ERR_REQ_BODY_INVALID', "invalid request body: 'inputs' must be a non-empty array, got an array"],
    ['{"inputs":{}}', 'INFERD_ERR_REQ_BODY_INVALID', "invalid request body: 'inputs' must be a non-empty array, got an object"],
    ['{"id":7,"inputs":[]}', 'INFERD_ERR_REQ_BODY_INVALID', "invalid request body: 'id' must be a string, got 7"],
    ['{"parameters":[],"inputs":[]}', 'INFERD_ERR_REQ_BODY_INVALID', "invalid request body: 'parameters' must be an object, got an array"],
    ['{"parameters":{"a":null},"inputs":[]}', 'INFERD_ERR_PARAMETER_INVALID', "parameter 'parameters.a': must be a string, number or boolean, got null"],
    ['{"parameters":{"binary_data_output":"yes"},"inputs":[]}', 'INFERD_ERR_PARAMETER_INVALID', 'parameter \'parameters.binary_data_output\': must be true or false, got "yes"'],
    ['{"inputs":[5]}', 'INFERD_ERR_REQ_BODY_INVALID', "invalid request body: 'inputs[0]' must be an object, got 5"],
    ['{"inputs":[{"shape":[1],"datatype":"FP32","data":[1]}]}', 'INFERD_ERR_REQ_BODY_INVALID', "invalid request body: 'inputs[0].name' must be a non-empty string, got undefined"],
    ['{"inputs":[{"name":"a","shape":[1],"data":[1]}]}', 'INFERD_ERR_REQ_BODY_INVALID', "invalid request body: 'inputs[0].datatype' must be a string, got undefined"],
    ['{"inputs":[{"name":"a","shape":[1],"datatype":"FLOAT","data":[1]}]}', 'INFERD_ERR_DTYPE_UNKNOWN', "tensor 'a': unknown datatype 'FLOAT'"],
    ['{"inputs":[{"name":"a","shape":"1","datatype":"FP32","data":[1]}]}', 'INFERD_ERR_REQ_BODY_INVALID', 'invalid request body: \'inputs[0].shape\' must be an array, got "1"'],
    ['{"inputs":[{"name":"a","shape":[2,-1],"datatype":"FP32","data":[1]}]}', 'INFERD_ERR_TENSOR_SHAPE_INVALID', "tensor 'a': invalid shape [2,-1] (dimensions must be non-negative integers)"],
    ['{"inputs":[{"name":"a","shape":[1.5],"datatype":"FP32","data":[1]}]}', 'INFERD_ERR_TENSOR_SHAPE_INVALID', "tensor 'a': invalid shape [1.5] (dimensions must be non-negative integers)"],
    ['{"inputs":[{"name":"a","shape":["2"],"datatype":"FP32","data":[1]}]}', 'INFERD_ERR_TENSOR_SHAPE_INVALID', 'tensor \'a\': invalid shape ["2"] (dimensions must be non-negative integers)'],
    ['{"inputs":[{"name":"a","shape":[1],"datatype":"FP32"}]}', 'INFERD_ERR_TENSOR_DATA_INVALID', "tensor 'a': the input has neither 'data' nor a binary_data_size parameter"],
    ['{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":1}]}', 'INFERD_ERR_REQ_BODY_INVALID', "invalid request body: 'inputs[0].data' must be an array, got 1"],
    ['{"inputs":[{"name":"a","shape":[2],"datatype":"FP32","data":[1]}]}', 'INFERD_ERR_TENSOR_SIZE_MISMATCH', "tensor 'a': shape [2] needs 2 elements, got 1"],
    ['{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]},{"name":"a","shape":[1],"datatype":"FP32","data":[1]}]}', 'INFERD_ERR_INPUT_DUPLICATE', "input 'a' appears more than once in the request"],
    ['{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]}],"outputs":{}}', 'INFERD_ERR_REQ_BODY_INVALID', "invalid request body: 'outputs' must be an array, got an object"],
    ['{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]}],"outputs":[{"name":"y"},{"name":"y"}]}', 'INFERD_ERR_REQ_BODY_INVALID', "invalid request body: output 'y' is requested more than once"],
    ['{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]}],"outputs":[{"name":"y","parameters":{"binary_data":1}}]}', 'INFERD_ERR_PARAMETER_INVALID', "parameter 'outputs[0].parameters.binary_data': must be true or false, got 1"],
    ['{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","parameters":{"shared_memory_region":"r"}}]}', 'INFERD_ERR_BACKEND_FEATURE_UNSUPPORTED', 'inputs[0].parameters.shared_memory_region: the shared-memory extension is not supported; send the tensor as JSON or binary data'],
    ['{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]}', 'INFERD_ERR_REQ_BINARY_INVALID', "invalid binary tensor data: input 'a' has a binary_data_size, but the request has no Inference-Header-Content-Length header"],
    ['{"inputs":[', 'INFERD_ERR_REQ_BODY_INVALID', "invalid request body: Array item or end of array ']' expected but reached end of input at position 11"],
  ])('refuses %s', (text, code, message) => {
    const e = failure(() => decodeInferRequest(text, undefined, target))
    expect(e.code).toBe(code)
    expect(e.message).toBe(message)
  })
})

describe('decodeInferRequest: binary extension', () => {
  it('reads binary inputs in order, mixed with JSON ones', () => {
    const header = {
      inputs: [
        { name: 'a', shape: [2, 2], datatype: 'INT32', parameters: { binary_data_size: 16 } },
        { name: 'b', shape: [2], datatype: 'FP32', data: [0.5, 1.5] },
        { name: 'c', shape: [3], datatype: 'BOOL', parameters: { binary_data_size: 3 } },
        { name: 'd', shape: [2], datatype: 'BYTES', parameters: { binary_data_size: 14 } },
      ],
    }
    const { body, headerLength } = binaryBody(header, [le32(1, -2, 3, -4), Buffer.from([1, 0, 1]), bytesElements('héllo', '')])
    const req = decodeInferRequest(body, headerLength, target)
    expect(req.inputs.map((t) => [t.name, t.datatype, t.shape])).toEqual([['a', 'INT32', [2, 2]], ['b', 'FP32', [2]], ['c', 'BOOL', [3]], ['d', 'BYTES', [2]]])
    expect(req.inputs[0]?.data).toEqual(new Int32Array([1, -2, 3, -4]))
    expect(req.inputs[1]?.data).toEqual(new Float32Array([0.5, 1.5]))
    expect(req.inputs[2]?.data).toEqual(new Uint8Array([1, 0, 1]))
    expect((req.inputs[3]?.data as Uint8Array[]).map((b) => Buffer.from(b).toString())).toEqual(['héllo', ''])
  })

  it('returns views on the body when aligned, aligned copies when not', () => {
    const header = { inputs: [{ name: 'a', shape: [2], datatype: 'INT64', parameters: { binary_data_size: 16 } }] }
    const value = Buffer.alloc(16)
    value.writeBigInt64LE(-9223372036854775808n, 0)
    value.writeBigInt64LE(9223372036854775807n, 8)
    const jsonLength = Buffer.byteLength(JSON.stringify(header))
    const aligned = binaryBody(header, [value], (8 - (jsonLength % 8)) % 8)
    const unaligned = binaryBody(header, [value], ((8 - (jsonLength % 8)) % 8) + 3)
    for (const { body, headerLength } of [aligned, unaligned]) {
      const data = decodeInferRequest(body, headerLength, target).inputs[0]?.data as BigInt64Array
      expect(data).toEqual(new BigInt64Array([-9223372036854775808n, 9223372036854775807n]))
      expect(data.buffer === body.buffer).toBe(body === aligned.body)
      expect(data.byteOffset % 8).toBe(0)
    }
  })

  it('handles a body that is a slice of a larger buffer (non-zero byteOffset)', () => {
    const { body, headerLength } = binaryBody({ inputs: [{ name: 'a', shape: [1], datatype: 'FP64', parameters: { binary_data_size: 8 } }] }, [Buffer.from(new Float64Array([Math.PI]).buffer)])
    const outer = Buffer.concat([Buffer.alloc(5), body])
    const data = decodeInferRequest(outer.subarray(5), headerLength, target).inputs[0]?.data
    expect(data).toEqual(new Float64Array([Math.PI]))
  })

  it('accepts a header-only body with the header length given', () => {
    const text = '{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]}]}'
    const req = decodeInferRequest(Buffer.from(text), Buffer.byteLength(text), target)
    expect(req.inputs[0]?.data).toEqual(new Float32Array([1]))
  })

  const one = (datatype: string, shape: number[], size: number): object => ({ inputs: [{ name: 'a', shape, datatype, parameters: { binary_data_size: size } }] })

  it.each([
    ['a header length beyond the body', () => { const b = binaryBody(one('FP32', [1], 4), [Buffer.alloc(4)]); return decodeInferRequest(b.body, b.body.length + 1, target) },
      /^invalid binary tensor data: Inference-Header-Content-Length is \d+, but the body has only \d+ bytes$/],
    ['a tensor cut short', () => { const b = binaryBody(one('FP32', [2], 8), [Buffer.alloc(5)]); return decodeInferRequest(b.body, b.headerLength, target) },
      "invalid binary tensor data: input 'a' needs 8 bytes of binary data at offset 0 after the JSON header, but only 5 remain"],
    ['leftover bytes', () => { const b = binaryBody(one('FP32', [1], 4), [Buffer.alloc(6)]); return decodeInferRequest(b.body, b.headerLength, target) },
      'invalid binary tensor data: 2 bytes left over after the last binary input (binary_data_size values add up to 4)'],
    ['bytes but no binary input', () => { const b = binaryBody({ inputs: [{ name: 'a', shape: [1], datatype: 'FP32', data: [1] }] }, [Buffer.alloc(1)]); return decodeInferRequest(b.body, b.headerLength, target) },
      'invalid binary tensor data: 1 byte follow the JSON header, but no input has a binary_data_size'],
    ['a size that does not fit the shape', () => { const b = binaryBody(one('INT32', [2, 2], 12), [Buffer.alloc(12)]); return decodeInferRequest(b.body, b.headerLength, target) },
      "invalid binary tensor data: input 'a': binary_data_size is 12 bytes, but shape [2,2] of INT32 needs 16"],
    ['a BOOL byte other than 0/1', () => { const b = binaryBody(one('BOOL', [2], 2), [Buffer.from([1, 2])]); return decodeInferRequest(b.body, b.headerLength, target) },
      "invalid binary tensor data: input 'a': BOOL element 1 is byte 2, not 0 or 1"],
    ['a BYTES length running past the end', () => { const b = binaryBody(one('BYTES', [1], 6), [Buffer.concat([le32(5), Buffer.from('ab')])]); return decodeInferRequest(b.body, b.headerLength, target) },
      "invalid binary tensor data: input 'a': BYTES element 0 declares 5 bytes, but only 2 remain of binary_data_size 6"],
    ['a truncated BYTES length prefix', () => { const b = binaryBody(one('BYTES', [2], 7), [Buffer.concat([bytesElements('a'), Buffer.from([1, 0])])]); return decodeInferRequest(b.body, b.headerLength, target) },
      "invalid binary tensor data: input 'a': BYTES element 1 at byte 5 needs a 4-byte length, but only 2 bytes remain of binary_data_size 7"],
    ['too few BYTES elements', () => { const b = binaryBody(one('BYTES', [3], 10), [bytesElements('a', 'b')]); return decodeInferRequest(b.body, b.headerLength, target) },
      "invalid binary tensor data: input 'a': binary_data_size 10 holds 2 BYTES elements, but shape [3] needs 3"],
    ['too many BYTES elements', () => { const b = binaryBody(one('BYTES', [1], 10), [bytesElements('a', 'b')]); return decodeInferRequest(b.body, b.headerLength, target) },
      "invalid binary tensor data: input 'a': shape [1] holds 1 BYTES element, but 5 more bytes follow within its binary_data_size 10"],
    ['both data and binary_data_size', () => { const b = binaryBody({ inputs: [{ name: 'a', shape: [1], datatype: 'FP32', data: [1], parameters: { binary_data_size: 4 } }] }, [Buffer.alloc(4)]); return decodeInferRequest(b.body, b.headerLength, target) },
      "invalid binary tensor data: input 'a' has both 'data' and a binary_data_size parameter"],
    ['a negative binary_data_size', () => { const b = binaryBody(one('FP32', [1], -4), []); return decodeInferRequest(b.body, b.headerLength, target) },
      "parameter 'inputs[0].parameters.binary_data_size': must be a non-negative integer, got -4"],
    ['a header length cutting the JSON', () => { const b = binaryBody(one('FP32', [1], 4), [Buffer.alloc(4)]); return decodeInferRequest(b.body, b.headerLength - 2, target) },
      /^invalid request body: .* at position \d+$/],
  ] as const)('refuses %s', (_what, fn, message) => {
    const e = failure(fn)
    if (typeof message === 'string') expect(e.message).toBe(message)
    else expect(e.message).toMatch(message)
  })

  it('sends raw binary requests (header length 0) elsewhere', () => {
    expect(failure(() => decodeInferRequest(Buffer.alloc(4), 0, target)).code).toBe('INFERD_ERR_INTERNAL')
  })
})

describe('parseInferenceHeaderLength', () => {
  it('reads absent, zero and positive values', () => {
    expect(INFERENCE_HEADER_CONTENT_LENGTH).toBe('inference-header-content-length')
    expect(parseInferenceHeaderLength(undefined)).toBeUndefined()
    expect(parseInferenceHeaderLength('0')).toBe(0)
    expect(parseInferenceHeaderLength(' 123 ')).toBe(123)
  })

  it.each(['', '-1', '1.5', 'abc', '1e3', '99999999999999999999'])('refuses %j', (v) => {
    expect(failure(() => parseInferenceHeaderLength(v)).code).toBe('INFERD_ERR_REQ_BINARY_INVALID')
  })

  it('refuses a repeated header', () => {
    expect(failure(() => parseInferenceHeaderLength(['1', '2'])).message).toBe('invalid binary tensor data: Inference-Header-Content-Length given 2 times')
  })
})
