import { describe, expect, it } from 'vitest'
import type { InferenceResponse } from '../../core/inference.js'
import type { Tensor } from '../../core/tensor.js'
import { InferdError } from '../../errors/index.js'
import { decodeInferRequest, encodeInferResponse } from './codec.js'
import type { InferInputTensorMessage, InferTensorContentsMessage, ModelInferRequestMessage } from './messages.js'

const input = (over: Partial<InferInputTensorMessage>): InferInputTensorMessage => ({ name: 'x', datatype: 'FP32', shape: ['2'], ...over })
const req = (over: Partial<ModelInferRequestMessage>): ModelInferRequestMessage => ({ model_name: 'm', inputs: [input({ contents: { fp32_contents: [1, 2] } })], ...over })

function codeOf (fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    if (err instanceof InferdError) return err.code
    throw err
  }
  throw new Error('expected an InferdError')
}

describe('decodeInferRequest: typed contents', () => {
  it.each([
    ['BOOL', { bool_contents: [true, false] }, new Uint8Array([1, 0])],
    ['INT8', { int_contents: [-128, 127] }, new Int8Array([-128, 127])],
    ['INT16', { int_contents: [-32768, 32767] }, new Int16Array([-32768, 32767])],
    ['INT32', { int_contents: [-2147483648, 2147483647] }, new Int32Array([-2147483648, 2147483647])],
    ['INT64', { int64_contents: ['-9223372036854775808', '9007199254740993'] }, new BigInt64Array([-9223372036854775808n, 9007199254740993n])],
    ['UINT8', { uint_contents: [0, 255] }, new Uint8Array([0, 255])],
    ['UINT16', { uint_contents: [0, 65535] }, new Uint16Array([0, 65535])],
    ['UINT32', { uint_contents: [0, 4294967295] }, new Uint32Array([0, 4294967295])],
    ['UINT64', { uint64_contents: ['18446744073709551615', '1'] }, new BigUint64Array([18446744073709551615n, 1n])],
    ['FP32', { fp32_contents: [1.5, -2] }, new Float32Array([1.5, -2])],
    ['FP64', { fp64_contents: [0.1, 1e308] }, new Float64Array([0.1, 1e308])],
  ] as const)('%s reads exactly', (datatype, contents, expected) => {
    const decoded = decodeInferRequest(req({ inputs: [input({ datatype, contents: contents as unknown as InferTensorContentsMessage })] }))
    expect(decoded.inputs[0]!.data).toEqual(expected)
  })

  it('BYTES elements stay bytes', () => {
    const decoded = decodeInferRequest(req({ inputs: [input({ datatype: 'BYTES', contents: { bytes_contents: [Buffer.from('héllo'), Buffer.alloc(0)] } })] }))
    expect((decoded.inputs[0]!.data as Uint8Array[]).map((b) => Buffer.from(b).toString())).toEqual(['héllo', ''])
  })

  it('refuses values out of the datatype range instead of wrapping them', () => {
    expect(codeOf(() => decodeInferRequest(req({ inputs: [input({ datatype: 'UINT8', contents: { uint_contents: [1, 256] } })] })))).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
    expect(codeOf(() => decodeInferRequest(req({ inputs: [input({ datatype: 'INT8', contents: { int_contents: [-129, 0] } })] })))).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
  })

  it('refuses elements in another datatype\'s field, FP16 as typed contents, and a wrong count', () => {
    expect(codeOf(() => decodeInferRequest(req({ inputs: [input({ contents: { int_contents: [1, 2] } })] })))).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
    expect(codeOf(() => decodeInferRequest(req({ inputs: [input({ datatype: 'FP16', contents: {} })] })))).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
    expect(codeOf(() => decodeInferRequest(req({ inputs: [input({ contents: { fp32_contents: [1] } })] })))).toBe('INFERD_ERR_TENSOR_SIZE_MISMATCH')
    expect(codeOf(() => decodeInferRequest(req({ inputs: [input({})] })))).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
  })

  it('checks the envelope: inputs, names, datatypes, shapes', () => {
    expect(codeOf(() => decodeInferRequest(req({ inputs: [] })))).toBe('INFERD_ERR_REQ_BODY_INVALID')
    expect(codeOf(() => decodeInferRequest(req({ inputs: [input({ name: '' })] })))).toBe('INFERD_ERR_REQ_BODY_INVALID')
    expect(codeOf(() => decodeInferRequest(req({ inputs: [input({ datatype: 'FP8' })] })))).toBe('INFERD_ERR_DTYPE_UNKNOWN')
    expect(codeOf(() => decodeInferRequest(req({ inputs: [input({ shape: ['-1'], contents: {} })] })))).toBe('INFERD_ERR_TENSOR_SHAPE_INVALID')
    const twice = input({ contents: { fp32_contents: [1, 2] } })
    expect(codeOf(() => decodeInferRequest(req({ inputs: [twice, twice] })))).toBe('INFERD_ERR_INPUT_DUPLICATE')
    expect(codeOf(() => decodeInferRequest(req({ outputs: [{ name: 'y' }, { name: 'y' }] })))).toBe('INFERD_ERR_REQ_BODY_INVALID')
  })
})

describe('decodeInferRequest: raw contents', () => {
  const f32 = Buffer.from(new Float32Array([1, 2]).buffer)

  it('reads one entry per input, aligned or not', () => {
    const unaligned = Buffer.concat([Buffer.alloc(1), f32]).subarray(1)
    for (const bytes of [f32, unaligned]) {
      const decoded = decodeInferRequest(req({ inputs: [input({})], raw_input_contents: [bytes] }))
      expect(decoded.inputs[0]!.data).toEqual(new Float32Array([1, 2]))
    }
  })

  it('reads length-prefixed BYTES and refuses a truncated one', () => {
    const el = (s: string): Buffer => { const b = Buffer.from(s); const n = Buffer.alloc(4); n.writeUInt32LE(b.length); return Buffer.concat([n, b]) }
    const bytes = Buffer.concat([el('ab'), el('')])
    const decoded = decodeInferRequest(req({ inputs: [input({ datatype: 'BYTES' })], raw_input_contents: [bytes] }))
    expect((decoded.inputs[0]!.data as Uint8Array[]).map((b) => Buffer.from(b).toString())).toEqual(['ab', ''])
    expect(codeOf(() => decodeInferRequest(req({ inputs: [input({ datatype: 'BYTES' })], raw_input_contents: [bytes.subarray(0, 7)] })))).toBe('INFERD_ERR_REQ_BINARY_INVALID')
  })

  it('refuses a size that does not fit, a count that is not one per input, and mixing with contents', () => {
    expect(codeOf(() => decodeInferRequest(req({ inputs: [input({})], raw_input_contents: [f32.subarray(0, 4)] })))).toBe('INFERD_ERR_REQ_BINARY_INVALID')
    expect(codeOf(() => decodeInferRequest(req({ inputs: [input({}), input({ name: 'z' })], raw_input_contents: [f32] })))).toBe('INFERD_ERR_REQ_BINARY_INVALID')
    expect(codeOf(() => decodeInferRequest(req({ raw_input_contents: [f32] })))).toBe('INFERD_ERR_REQ_BINARY_INVALID')
    expect(codeOf(() => decodeInferRequest(req({ inputs: [input({ datatype: 'BOOL' })], raw_input_contents: [Buffer.from([1, 2])] })))).toBe('INFERD_ERR_REQ_BINARY_INVALID')
  })
})

describe('decodeInferRequest: envelope and parameters', () => {
  it('reads empty version and id as absent, and parameters by kind, 64-bit ones exactly', () => {
    const decoded = decodeInferRequest(req({
      model_version: '',
      id: '',
      parameters: {
        priority: { int64_param: '2', parameter_choice: 'int64_param' },
        big: { uint64_param: '18446744073709551615', parameter_choice: 'uint64_param' },
        flag: { bool_param: true, parameter_choice: 'bool_param' },
        ratio: { double_param: 0.5, parameter_choice: 'double_param' },
        tag: { string_param: 't', parameter_choice: 'string_param' },
      },
    }))
    expect(decoded).not.toHaveProperty('modelVersion')
    expect(decoded).not.toHaveProperty('id')
    expect(decoded.parameters).toEqual({ priority: 2, big: 18446744073709551615n, flag: true, ratio: 0.5, tag: 't' })
  })

  it('refuses a parameter without a value and shared-memory parameters', () => {
    expect(codeOf(() => decodeInferRequest(req({ parameters: { p: {} } })))).toBe('INFERD_ERR_PARAMETER_INVALID')
    expect(codeOf(() => decodeInferRequest(req({ parameters: { shared_memory_region: { string_param: 'r', parameter_choice: 'string_param' } } })))).toBe('INFERD_ERR_BACKEND_FEATURE_UNSUPPORTED')
  })
})

describe('encodeInferResponse', () => {
  const out = (t: Omit<Tensor, 'name'> & { name?: string }): Tensor => ({ name: 'y', ...t } as Tensor)
  const response = (outputs: Tensor[]): InferenceResponse => ({ modelName: 'm', modelVersion: '1', outputs })

  it('answers in raw_output_contents by default, with the id and only the outputs asked for', () => {
    const res = response([out({ datatype: 'INT64', shape: [2], data: new BigInt64Array([-1n, 2n ** 62n]) }), out({ name: 'z', datatype: 'FP32', shape: [1], data: new Float32Array([1]) })])
    const msg = encodeInferResponse(res, { id: 'r1', outputs: [{ name: 'y' }] })
    expect(msg).toMatchObject({ model_name: 'm', model_version: '1', id: 'r1', outputs: [{ name: 'y', datatype: 'INT64', shape: [2] }] })
    expect(msg.outputs).toHaveLength(1)
    expect(Buffer.from(msg.raw_output_contents![0]!)).toEqual(Buffer.from(new BigInt64Array([-1n, 2n ** 62n]).buffer))
  })

  it('answers in typed contents when binary_data_output is false, 64-bit values as exact strings', () => {
    const res = response([out({ datatype: 'UINT64', shape: [1], data: new BigUint64Array([18446744073709551615n]) }), out({ name: 'b', datatype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) })])
    const msg = encodeInferResponse(res, { parameters: { binary_data_output: false } })
    expect(msg.raw_output_contents).toBeUndefined()
    expect(msg.outputs.map((o) => o.contents)).toEqual([{ uint64_contents: ['18446744073709551615'] }, { bool_contents: [true, false] }])
  })

  it('keeps every output raw when one is FP16, which has no typed form', () => {
    const res = response([out({ datatype: 'FP16', shape: [1], data: new Uint16Array([0x3c00]) }), out({ name: 'z', datatype: 'FP32', shape: [1], data: new Float32Array([1]) })])
    const msg = encodeInferResponse(res, { parameters: { binary_data_output: false } })
    expect(msg.raw_output_contents).toHaveLength(2)
    expect(msg.outputs.every((o) => o.contents === undefined)).toBe(true)
  })
})
