import { describe, expect, it } from 'vitest'
import type { DataType } from '../../../core/dtype.js'
import type { InferenceRequest, InferenceResponse } from '../../../core/inference.js'
import type { Tensor } from '../../../core/tensor.js'
import { decodeInferRequest } from './decode-request.js'
import { type BinaryInferResponse, encodeInferResponse } from './encode-response.js'
import { parseJsonText } from './json-text.js'

const target = { modelName: 'm' }

/** Echo model: the response's outputs are the request's inputs. */
function echo (req: InferenceRequest, outputs: readonly Tensor[] = req.inputs): InferenceResponse {
  return { modelName: 'm', modelVersion: '3', outputs }
}

function asBinary (out: string | BinaryInferResponse): BinaryInferResponse {
  if (typeof out === 'string') throw new Error(`expected a binary response, got ${out}`)
  return out
}

// ---- JSON round trips: request text → decode → encode → parse ------------------------------------

const JSON_CASES: ReadonlyArray<readonly [DataType, string, unknown[]]> = [
  ['BOOL', '[true, false, 1, 0]', [true, false, true, false]],
  ['UINT8', '[0, 255, 7]', [0, 255, 7]],
  ['UINT16', '[0, 65535]', [0, 65535]],
  ['UINT32', '[0, 4294967295]', [0, 4294967295]],
  ['UINT64', '[0, 18446744073709551615, 9007199254740993]', [0, 18446744073709551615n, 9007199254740993n]],
  ['INT8', '[-128, 127, 0]', [-128, 127, 0]],
  ['INT16', '[-32768, 32767]', [-32768, 32767]],
  ['INT32', '[-2147483648, 2147483647]', [-2147483648, 2147483647]],
  ['INT64', '[-9223372036854775808, 9223372036854775807, -1]', [-9223372036854775808n, 9223372036854775807n, -1]],
  ['FP16', '[0, 1, -2, 65504, 5.960464477539063e-8, 0.1, 70000]', [0, 1, -2, 65504, 2 ** -24, 0.0999755859375, Infinity]],
  ['BF16', '[1, -2, 3.140625, 3.14159, 1e-40]', [1, -2, 3.140625, 3.140625, 2 ** -133]],
  ['FP32', '[0.5, -1.25, 0.1, 3.4028234663852886e38]', [0.5, -1.25, Math.fround(0.1), 3.4028234663852886e38]],
  ['FP64', '[0.1, -1e308, 5e-324, 0]', [0.1, -1e308, 5e-324, 0]],
  ['BYTES', '["", "héllo", "日本語", "emoji 🎉", "quote \\" backslash \\\\"]', ['', 'héllo', '日本語', 'emoji 🎉', 'quote " backslash \\']],
]

describe('JSON decode → encode round trips', () => {
  it.each(JSON_CASES)('%s', (datatype, dataText, expected) => {
    const text = `{"id":"r1","inputs":[{"name":"t","shape":[${expected.length}],"datatype":"${datatype}","data":${dataText}}]}`
    const req = decodeInferRequest(text, undefined, target)
    const out = encodeInferResponse(echo(req), req)
    expect(typeof out).toBe('string')
    expect(parseJsonText(out as string)).toEqual({
      model_name: 'm', model_version: '3', id: 'r1',
      outputs: [{ name: 't', datatype, shape: [expected.length], data: expected }],
    })
  })

  it('writes the exact text for 64-bit integers and flattens nested data', () => {
    const req = decodeInferRequest('{"inputs":[{"name":"t","shape":[2,2],"datatype":"INT64","data":[[-9223372036854775808,9223372036854775807],[0,1]]}]}', undefined, target)
    expect(encodeInferResponse(echo(req), req))
      .toBe('{"model_name":"m","model_version":"3","outputs":[{"name":"t","datatype":"INT64","shape":[2,2],"data":[-9223372036854775808,9223372036854775807,0,1]}]}')
  })
})

// ---- binary round trips: bytes → decode → encode → the same bytes ----------------------------------

function le (width: number, write: (v: DataView, at: number, x: never) => void, values: readonly unknown[]): Buffer {
  const b = Buffer.alloc(values.length * width)
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  values.forEach((x, i) => write(view, i * width, x as never))
  return b
}

function bytesElements (...items: Buffer[]): Buffer {
  return Buffer.concat(items.flatMap((d) => { const n = Buffer.alloc(4); n.writeUInt32LE(d.length); return [n, d] }))
}

const BINARY_CASES: ReadonlyArray<readonly [DataType, number, Buffer]> = [
  ['BOOL', 3, Buffer.from([1, 0, 1])],
  ['UINT8', 3, Buffer.from([0, 255, 9])],
  ['UINT16', 2, le(2, (v, a, x: number) => v.setUint16(a, x, true), [0, 65535])],
  ['UINT32', 2, le(4, (v, a, x: number) => v.setUint32(a, x, true), [0, 4294967295])],
  ['UINT64', 2, le(8, (v, a, x: bigint) => v.setBigUint64(a, x, true), [0n, 18446744073709551615n])],
  ['INT8', 2, Buffer.from([0x80, 0x7f])],
  ['INT16', 2, le(2, (v, a, x: number) => v.setInt16(a, x, true), [-32768, 32767])],
  ['INT32', 2, le(4, (v, a, x: number) => v.setInt32(a, x, true), [-2147483648, 2147483647])],
  ['INT64', 2, le(8, (v, a, x: bigint) => v.setBigInt64(a, x, true), [-9223372036854775808n, 9223372036854775807n])],
  ['FP16', 6, le(2, (v, a, x: number) => v.setUint16(a, x, true), [0x3c00, 0x7c00, 0xfc00, 0x7e01, 0x0001, 0x8000])],
  ['BF16', 4, le(2, (v, a, x: number) => v.setUint16(a, x, true), [0x3f80, 0xff80, 0x7fc1, 0x0001])],
  // a NaN with a payload: bits pass through untouched, never through a JS number
  ['FP32', 3, le(4, (v, a, x: number) => v.setUint32(a, x, true), [0x3f800000, 0x7fc00001, 0x80000000])],
  ['FP64', 2, le(8, (v, a, x: number) => v.setFloat64(a, x, true), [Math.PI, -0])],
  ['BYTES', 4, bytesElements(Buffer.alloc(0), Buffer.from('héllo'), Buffer.from([0xff, 0xfe, 0x00]), Buffer.from('🎉'))],
]

describe('binary decode → encode round trips', () => {
  it.each(BINARY_CASES)('%s', (datatype, count, bytes) => {
    for (const pad of [0, 1, 3]) { // move the tensor across alignments
      const json = JSON.stringify({
        parameters: { binary_data_output: true },
        inputs: [{ name: 't', shape: [count], datatype, parameters: { binary_data_size: bytes.length } }],
      }) + ' '.repeat(pad)
      const body = Buffer.concat([Buffer.from(json), bytes])
      const req = decodeInferRequest(body, Buffer.byteLength(json), target)
      const out = asBinary(encodeInferResponse(echo(req), req))
      expect(out.headerLength).toBe(Buffer.byteLength(out.header))
      expect(JSON.parse(out.header)).toEqual({
        model_name: 'm', model_version: '3',
        outputs: [{ name: 't', datatype, shape: [count], parameters: { binary_data_size: bytes.length } }],
      })
      expect(Buffer.concat(out.body).equals(bytes)).toBe(true)
    }
  })
})

// ---- output choices and format --------------------------------------------------------------------

const f32 = (name: string, values: number[]): Tensor => ({ name, datatype: 'FP32', shape: [values.length], data: new Float32Array(values) })

describe('encodeInferResponse', () => {
  const res: InferenceResponse = { modelName: 'm', modelVersion: '1', outputs: [f32('a', [1]), f32('b', [2, 3]), f32('c', [4])] }

  it('omits id when the request had none, and writes response parameters', () => {
    const out = encodeInferResponse({ ...res, id: 'ignored', parameters: { seq: 18446744073709551615n, ok: true, s: 'x' } }, {}) as string
    expect(out.startsWith('{"model_name":"m","model_version":"1","parameters":{"seq":18446744073709551615,"ok":true,"s":"x"},"outputs":[')).toBe(true)
    expect(out).not.toContain('"id"')
  })

  it('writes only the requested outputs, in the response order', () => {
    const out = encodeInferResponse(res, { outputs: [{ name: 'c' }, { name: 'a' }] }) as string
    expect((JSON.parse(out) as { outputs: Array<{ name: string }> }).outputs.map((o) => o.name)).toEqual(['a', 'c'])
  })

  it('lets per-output binary_data override binary_data_output, both ways', () => {
    const out = asBinary(encodeInferResponse(res, {
      id: 'q',
      parameters: { binary_data_output: true },
      outputs: [{ name: 'a' }, { name: 'b', parameters: { binary_data: false } }, { name: 'c' }],
    }))
    expect(JSON.parse(out.header)).toEqual({
      model_name: 'm', model_version: '1', id: 'q',
      outputs: [
        { name: 'a', datatype: 'FP32', shape: [1], parameters: { binary_data_size: 4 } },
        { name: 'b', datatype: 'FP32', shape: [2], data: [2, 3] },
        { name: 'c', datatype: 'FP32', shape: [1], parameters: { binary_data_size: 4 } },
      ],
    })
    expect(Buffer.concat(out.body)).toEqual(Buffer.from(new Float32Array([1, 4]).buffer))
    const one = asBinary(encodeInferResponse(res, { outputs: [{ name: 'a' }, { name: 'b', parameters: { binary_data: true } }] }))
    expect(one.body.map((b) => b.length)).toEqual([8])
    expect(JSON.parse(one.header).outputs[0].data).toEqual([1])
  })

  it('counts the header length in UTF-8 bytes', () => {
    const out = asBinary(encodeInferResponse({ modelName: 'modèle', modelVersion: '1', outputs: [f32('ü', [1])] }, { parameters: { binary_data_output: true } }))
    expect(out.headerLength).toBe(Buffer.byteLength(out.header))
    expect(out.headerLength).toBeGreaterThan(out.header.length)
  })

  it('writes non-finite floats as Triton does by default, or as null on request', () => {
    const t = (datatype: DataType, data: Tensor['data']): InferenceResponse => ({ modelName: 'm', modelVersion: '1', outputs: [{ name: 'y', datatype, shape: [4], data } as Tensor] })
    const literal = encodeInferResponse(t('FP32', new Float32Array([NaN, Infinity, -Infinity, 0.5])), {}) as string
    expect(literal).toContain('"data":[NaN,Infinity,-Infinity,0.5]')
    const nulls = encodeInferResponse(t('FP64', new Float64Array([NaN, Infinity, -Infinity, 0.5])), {}, { nonFinite: 'null' }) as string
    expect(nulls).toContain('"data":[null,null,null,0.5]')
    const half = encodeInferResponse(t('FP16', new Uint16Array([0x7e00, 0x7c00, 0xfc00, 0x3800])), {}) as string
    expect(half).toContain('"data":[NaN,Infinity,-Infinity,0.5]')
    // and the literal form reads back through the request parser
    const back = parseJsonText(literal) as { outputs: Array<{ data: number[] }> }
    expect(back.outputs[0]?.data.slice(1)).toEqual([Infinity, -Infinity, 0.5])
  })

  it('writes invalid UTF-8 in a BYTES output as U+FFFD in JSON', () => {
    const out = encodeInferResponse({ modelName: 'm', modelVersion: '1', outputs: [{ name: 'y', datatype: 'BYTES', shape: [1], data: [new Uint8Array([0x61, 0xff])] }] }, {}) as string
    expect(JSON.parse(out).outputs[0].data).toEqual(['a\ufffd'])
  })

  it('writes an empty and a scalar output', () => {
    const out = encodeInferResponse({ modelName: 'm', modelVersion: '1', outputs: [
      { name: 'e', datatype: 'INT32', shape: [0, 3], data: new Int32Array(0) },
      { name: 's', datatype: 'BOOL', shape: [], data: new Uint8Array([1]) },
    ] }, {}) as string
    expect(JSON.parse(out).outputs).toEqual([
      { name: 'e', datatype: 'INT32', shape: [0, 3], data: [] },
      { name: 's', datatype: 'BOOL', shape: [], data: [true] },
    ])
  })
})
