import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InferdServer } from '../../src/server.js'
import { call, callOk, connect, type GrpcClients, rawBytes } from '../helpers/grpc-client.js'
import { FIXTURE_REPO } from '../helpers/paths.js'
import { startServer } from '../helpers/server.js'

/**
 * Every protocol datatype through a real server, a real gRPC client and a real onnxruntime
 * Identity model (the gRPC twin of http-datatypes.test.ts): typed `contents` in and out, and
 * `raw_input_contents` / `raw_output_contents`. Shape [2, 4]: 8 elements each, chosen at the
 * edges of each type. 64-bit values travel as decimal strings in the client (longs: String), so
 * the comparison is exact.
 */
interface Case {
  dt: string
  /** The typed contents field and its values as the client sends them; absent for FP16/BF16. */
  typed?: { field: string; values: unknown[] }
  raw: ArrayBufferView | string[]
}

const strings = ['hello', '', 'héllo wörld', '日本語', '🙂 emoji', 'x', 'y', '{"j":1}']

const CASES: Case[] = [
  { dt: 'BOOL', typed: { field: 'bool_contents', values: [true, false, true, true, false, false, true, false] }, raw: new Uint8Array([1, 0, 1, 1, 0, 0, 1, 0]) },
  { dt: 'UINT8', typed: { field: 'uint_contents', values: [0, 1, 127, 128, 200, 254, 255, 3] }, raw: new Uint8Array([0, 1, 127, 128, 200, 254, 255, 3]) },
  { dt: 'UINT16', typed: { field: 'uint_contents', values: [0, 1, 65535, 256, 1000, 40000, 7, 8] }, raw: new Uint16Array([0, 1, 65535, 256, 1000, 40000, 7, 8]) },
  { dt: 'UINT32', typed: { field: 'uint_contents', values: [0, 4294967295, 1, 2, 3, 2147483648, 5, 6] }, raw: new Uint32Array([0, 4294967295, 1, 2, 3, 2147483648, 5, 6]) },
  {
    dt: 'UINT64',
    typed: { field: 'uint64_contents', values: ['0', '18446744073709551615', '9007199254740993', '1', '2', '3', '4', '5'] },
    raw: new BigUint64Array([0n, 18446744073709551615n, 9007199254740993n, 1n, 2n, 3n, 4n, 5n]),
  },
  { dt: 'INT8', typed: { field: 'int_contents', values: [-128, 127, 0, -1, 5, 6, 7, 8] }, raw: new Int8Array([-128, 127, 0, -1, 5, 6, 7, 8]) },
  { dt: 'INT16', typed: { field: 'int_contents', values: [-32768, 32767, 0, -1, 5, 6, 7, 8] }, raw: new Int16Array([-32768, 32767, 0, -1, 5, 6, 7, 8]) },
  { dt: 'INT32', typed: { field: 'int_contents', values: [-2147483648, 2147483647, 0, -1, 5, 6, 7, 8] }, raw: new Int32Array([-2147483648, 2147483647, 0, -1, 5, 6, 7, 8]) },
  {
    dt: 'INT64',
    typed: { field: 'int64_contents', values: ['-9223372036854775808', '9223372036854775807', '-9007199254740993', '9007199254740993', '0', '-1', '2', '3'] },
    raw: new BigInt64Array([-9223372036854775808n, 9223372036854775807n, -9007199254740993n, 9007199254740993n, 0n, -1n, 2n, 3n]),
  },
  { dt: 'FP16', raw: new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x0000, 0x3555, 0x8000]) },
  { dt: 'BF16', raw: new Uint16Array([0x3f80, 0xc000, 0x4049, 0x3f00, 0x4380, 0x0000, 0xbfc0, 0x7f80]) },
  {
    dt: 'FP32',
    typed: { field: 'fp32_contents', values: Array.from(new Float32Array([1.5, -2.25, 3.4028234663852886e38, 1.401298464324817e-45, 0, 0.1, 123456.789, -7])) },
    raw: new Float32Array([1.5, -2.25, 3.4028234663852886e38, 1.401298464324817e-45, 0, 0.1, 123456.789, -7]),
  },
  { dt: 'FP64', typed: { field: 'fp64_contents', values: [0.1, 1e308, -5e-324, 2 ** 53 + 2, 0, -1, 1 / 3, Math.PI] }, raw: new Float64Array([0.1, 1e308, -5e-324, 2 ** 53 + 2, 0, -1, 1 / 3, Math.PI]) },
  { dt: 'BYTES', typed: { field: 'bytes_contents', values: strings.map((s) => Buffer.from(s)) }, raw: strings },
]

describe.each(['inline', 'worker'] as const)('%s execution', (executionMode) => {
  let server: InferdServer
  let client: GrpcClients
  beforeAll(async () => {
    server = await startServer(FIXTURE_REPO, { executionMode })
    client = connect(server.grpcUrl)
  })
  afterAll(async () => {
    client.close()
    await server.close()
  })

  const request = (dt: string, extra: Record<string, unknown>): Record<string, unknown> => ({
    model_name: `identity_${dt.toLowerCase()}`,
    ...extra,
    inputs: [{ name: 'INPUT0', datatype: dt, shape: [2, 4], ...(extra['contents'] === undefined ? {} : { contents: extra['contents'] }) }],
  })

  describe.each(CASES)('$dt', ({ dt, typed, raw }) => {
    it('round-trips through raw contents (the default answer form)', async () => {
      const bytes = rawBytes(raw)
      const res = await callOk(client.inference, 'ModelInfer', request(dt, { raw_input_contents: [bytes] }))
      expect(res.outputs).toHaveLength(1)
      expect(res.outputs[0]).toMatchObject({ name: 'OUTPUT0', datatype: dt, shape: ['2', '4'] })
      expect(res.raw_output_contents).toHaveLength(1)
      expect(Buffer.from(res.raw_output_contents[0]).equals(bytes)).toBe(true)
    })

    it('round-trips through typed contents', async () => {
      if (typed === undefined) {
        // FP16 and BF16 have no typed field: the protocol sends them raw only.
        const res = await call(client.inference, 'ModelInfer', request(dt, { contents: { fp32_contents: [1, 2, 3, 4, 5, 6, 7, 8] } }))
        expect(res.ok ? 'ok' : res.errorCode).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
        return
      }
      const res = await callOk(client.inference, 'ModelInfer', request(dt, {
        contents: { [typed.field]: typed.values },
        parameters: { binary_data_output: { bool_param: false } },
      }))
      expect(res.raw_output_contents).toEqual([])
      expect(res.outputs[0]).toMatchObject({ name: 'OUTPUT0', datatype: dt, shape: ['2', '4'] })
      expect(res.outputs[0].contents[typed.field]).toEqual(typed.values)
    })

    it('takes typed contents in and gives raw contents out', async () => {
      if (typed === undefined) return
      const res = await callOk(client.inference, 'ModelInfer', request(dt, { contents: { [typed.field]: typed.values } }))
      expect(Buffer.from(res.raw_output_contents[0]).equals(rawBytes(raw))).toBe(true)
    })
  })

  it('FP16 output asked for as typed contents stays raw (it has no typed form)', async () => {
    const bytes = rawBytes(new Uint16Array([0x3c00, 0, 0, 0, 0, 0, 0, 0x8000]))
    const res = await callOk(client.inference, 'ModelInfer', request('FP16', {
      raw_input_contents: [bytes],
      parameters: { binary_data_output: { bool_param: false } },
    }))
    expect(Buffer.from(res.raw_output_contents[0]).equals(bytes)).toBe(true)
  })
})
