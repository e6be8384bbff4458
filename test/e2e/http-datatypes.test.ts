import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InferdServer } from '../../src/server.js'
import { postBinary, postJson, toBytes } from '../helpers/oip-client.js'
import { FIXTURE_REPO } from '../helpers/paths.js'
import { startServer } from '../helpers/server.js'

/**
 * Every protocol datatype through a real server and a real onnxruntime Identity model, in JSON
 * and in Triton's binary extension. Shape [2, 4]: 8 elements each, chosen at the edges of each type.
 */
interface Case { dt: string; json: unknown[]; binary: ArrayBufferView | string[]; jsonText?: string }

const CASES: Case[] = [
  { dt: 'BOOL', json: [true, false, true, true, false, false, true, false], binary: new Uint8Array([1, 0, 1, 1, 0, 0, 1, 0]) },
  { dt: 'UINT8', json: [0, 1, 127, 128, 200, 254, 255, 3], binary: new Uint8Array([0, 1, 127, 128, 200, 254, 255, 3]) },
  { dt: 'UINT16', json: [0, 1, 65535, 256, 1000, 40000, 7, 8], binary: new Uint16Array([0, 1, 65535, 256, 1000, 40000, 7, 8]) },
  { dt: 'UINT32', json: [0, 4294967295, 1, 2, 3, 2147483648, 5, 6], binary: new Uint32Array([0, 4294967295, 1, 2, 3, 2147483648, 5, 6]) },
  {
    dt: 'UINT64', json: [],
    jsonText: '[0, 18446744073709551615, 9007199254740993, 1, 2, 3, 4, 5]',
    binary: new BigUint64Array([0n, 18446744073709551615n, 9007199254740993n, 1n, 2n, 3n, 4n, 5n]),
  },
  { dt: 'INT8', json: [-128, 127, 0, -1, 5, 6, 7, 8], binary: new Int8Array([-128, 127, 0, -1, 5, 6, 7, 8]) },
  { dt: 'INT16', json: [-32768, 32767, 0, -1, 5, 6, 7, 8], binary: new Int16Array([-32768, 32767, 0, -1, 5, 6, 7, 8]) },
  { dt: 'INT32', json: [-2147483648, 2147483647, 0, -1, 5, 6, 7, 8], binary: new Int32Array([-2147483648, 2147483647, 0, -1, 5, 6, 7, 8]) },
  {
    dt: 'INT64', json: [],
    jsonText: '[-9223372036854775808, 9223372036854775807, -9007199254740993, 9007199254740993, 0, -1, 2, 3]',
    binary: new BigInt64Array([-9223372036854775808n, 9223372036854775807n, -9007199254740993n, 9007199254740993n, 0n, -1n, 2n, 3n]),
  },
  // FP16 bit patterns: 1, -2, 65504 (max), smallest subnormal, +inf, 0, 1/3 rounded, -0
  { dt: 'FP16', json: [1, -2, 65504, 0.5, 0.25, 0, 1.5, -0.5], binary: new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x0000, 0x3555, 0x8000]) },
  // BF16 bit patterns: 1, -2, 3.140625, 0.5, 256, 0, -1.5, +inf
  { dt: 'BF16', json: [1, -2, 3.140625, 0.5, 256, 0, -1.5, 65536], binary: new Uint16Array([0x3f80, 0xc000, 0x4049, 0x3f00, 0x4380, 0x0000, 0xbfc0, 0x7f80]) },
  { dt: 'FP32', json: [1.5, -2.25, 3.4028234663852886e38, 1.401298464324817e-45, 0, 0.1, 123456.789, -7], binary: new Float32Array([1.5, -2.25, 3.4028234663852886e38, 1.401298464324817e-45, 0, 0.1, 123456.789, -7]) },
  { dt: 'FP64', json: [0.1, 1e308, -5e-324, 2 ** 53 + 2, 0, -1, 1 / 3, Math.PI], binary: new Float64Array([0.1, 1e308, -5e-324, 2 ** 53 + 2, 0, -1, 1 / 3, Math.PI]) },
  { dt: 'BYTES', json: ['hello', '', 'héllo wörld', '日本語', '🙂 emoji', 'x', 'y', '{"j":1}'], binary: ['hello', '', 'héllo wörld', '日本語', '🙂 emoji', 'x', 'y', '{"j":1}'] },
]

describe.each(['inline', 'worker'] as const)('%s execution', (executionMode) => {
  let server: InferdServer
  beforeAll(async () => { server = await startServer(FIXTURE_REPO, { executionMode }) })
  afterAll(async () => { await server.close() })

  const inferUrl = (dt: string): string => `${server.httpUrl}/v2/models/identity_${dt.toLowerCase()}/infer`

  describe.each(CASES)('$dt', ({ dt, json, jsonText, binary }) => {
    it('round-trips through JSON', async () => {
      const data = jsonText ?? JSON.stringify(json)
      const body = `{"inputs":[{"name":"INPUT0","shape":[2,4],"datatype":"${dt}","data":${data}}]}`
      const res = await postJson(inferUrl(dt), body)
      expect(res.status, res.text).toBe(200)
      const out = res.json.outputs[0]
      expect(out).toMatchObject({ name: 'OUTPUT0', datatype: dt, shape: [2, 4] })
      if (jsonText !== undefined) {
        // beyond 2^53: compare the response text itself, since JSON.parse here would round
        const printed = /"data":\s*\[([^\]]*)\]/.exec(res.text)![1]!.split(',').map((s) => s.trim())
        expect(printed).toEqual(jsonText.slice(1, -1).split(',').map((s) => s.trim()))
      } else if (dt === 'FP32') {
        expect(Float32Array.from(out.data as number[])).toEqual(Float32Array.from(json as number[]))
      } else {
        expect(out.data).toEqual(json)
      }
    })

    it('round-trips through binary', async () => {
      const bytes = toBytes(binary)
      const res = await postBinary(inferUrl(dt), {
        inputs: [{ name: 'INPUT0', shape: [2, 4], datatype: dt, parameters: { binary_data_size: bytes.length } }],
        outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
      }, [bytes])
      expect(res.status, JSON.stringify(res.json)).toBe(200)
      expect(res.json.outputs[0]).toMatchObject({ name: 'OUTPUT0', datatype: dt, shape: [2, 4], parameters: { binary_data_size: bytes.length } })
      expect(res.binary.get('OUTPUT0')!.equals(bytes)).toBe(true)
    })

    it('takes binary in and gives JSON out', async () => {
      if (dt === 'FP16' || dt === 'BF16' || jsonText !== undefined) return // covered by the JSON case's exact text check
      const bytes = toBytes(binary)
      const res = await postBinary(inferUrl(dt), {
        inputs: [{ name: 'INPUT0', shape: [2, 4], datatype: dt, parameters: { binary_data_size: bytes.length } }],
      }, [bytes])
      expect(res.status).toBe(200)
      const data = res.json.outputs[0].data
      if (dt === 'FP32') expect(Float32Array.from(data)).toEqual(binary)
      else if (dt === 'BOOL') expect(data).toEqual(json)
      else if (dt === 'BYTES') expect(data).toEqual(binary)
      else expect(data).toEqual(Array.from(binary as unknown as ArrayLike<number>))
    })
  })

  describe('FP16 and BF16 decode JSON numbers into the same bits as binary', () => {
    it.each(['FP16', 'BF16'])('%s', async (dt) => {
      const values = dt === 'FP16' ? [1, -2, 65504, 0.5, 0.25, 0, 1.5, -0.5] : [1, -2, 3.140625, 0.5, 256, 0, -1.5, 65536]
      const res = await postBinary(inferUrl(dt), {
        inputs: [{ name: 'INPUT0', shape: [2, 4], datatype: dt, data: values }],
        parameters: { binary_data_output: true },
      }, [])
      expect(res.status, JSON.stringify(res.json)).toBe(200)
      const bits = new Uint16Array(res.binary.get('OUTPUT0')!.buffer.slice(res.binary.get('OUTPUT0')!.byteOffset, res.binary.get('OUTPUT0')!.byteOffset + 16))
      const expected = dt === 'FP16'
        ? [0x3c00, 0xc000, 0x7bff, 0x3800, 0x3400, 0x0000, 0x3e00, 0xb800]
        : [0x3f80, 0xc000, 0x4049, 0x3f00, 0x4380, 0x0000, 0xbfc0, 0x4780]
      expect(Array.from(bits)).toEqual(expected)
    })
  })
})
