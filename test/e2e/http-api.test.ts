import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InferdServer } from '../../src/server.js'
import { getJson, postBinary, postJson, toBytes } from '../helpers/oip-client.js'
import { CORE_EXAMPLES_REPO, EXAMPLES_REPO, FIXTURE_REPO, SINGLE_MODEL } from '../helpers/paths.js'
import { startServer } from '../helpers/server.js'

let server: InferdServer
let url: string
beforeAll(async () => {
  server = await startServer(FIXTURE_REPO)
  url = server.httpUrl
})
afterAll(async () => { await server.close() })

const simpleInputs = (a: number[], b: number[], rows = 1) => [
  { name: 'INPUT0', shape: [rows, 16], datatype: 'INT32', data: a },
  { name: 'INPUT1', shape: [rows, 16], datatype: 'INT32', data: b },
]
const range = (n: number, f = (i: number) => i) => Array.from({ length: n }, (_, i) => f(i))

describe('health and server metadata', () => {
  it('is live', async () => {
    const res = await getJson(`${url}/v2/health/live`)
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ live: true })
  })

  it('is not ready while some model failed to load (strict readiness)', async () => {
    const res = await getJson(`${url}/v2/health/ready`)
    expect(res.status).toBe(503)
    expect(res.json).toEqual({ ready: false })
  })

  it('describes itself', async () => {
    const res = await getJson(`${url}/v2`)
    expect(res.status).toBe(200)
    expect(res.json.name).toBe('inferd')
    expect(res.json.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(res.json.extensions).toEqual(expect.arrayContaining(['binary_tensor_data', 'model_configuration']))
  })
})

describe('model metadata, readiness and config', () => {
  it('reports the signature completed from the ONNX file', async () => {
    const res = await getJson(`${url}/v2/models/simple`)
    expect(res.status).toBe(200)
    expect(res.json).toEqual({
      name: 'simple',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [-1, 16] },
        { name: 'INPUT1', datatype: 'INT32', shape: [-1, 16] },
      ],
      outputs: [
        { name: 'OUTPUT0', datatype: 'INT32', shape: [-1, 16] },
        { name: 'OUTPUT1', datatype: 'INT32', shape: [-1, 16] },
      ],
    })
  })

  it('serves versions per the version policy (latest 2 of 1, 2, 3)', async () => {
    const meta = await getJson(`${url}/v2/models/add_sub_fp32`)
    expect(meta.json.versions).toEqual(['2', '3'])
    expect((await getJson(`${url}/v2/models/add_sub_fp32/versions/3`)).status).toBe(200)
    const v1 = await getJson(`${url}/v2/models/add_sub_fp32/versions/1`)
    expect(v1.status).toBe(404)
    expect(v1.json.code).toBe('INFERD_ERR_MODEL_VERSION_NOT_FOUND')
  })

  it('answers readiness per model and version', async () => {
    expect((await getJson(`${url}/v2/models/simple/ready`)).json).toEqual({ name: 'simple', ready: true })
    expect((await getJson(`${url}/v2/models/add_sub_fp32/versions/2/ready`)).status).toBe(200)
    const broken = await getJson(`${url}/v2/models/broken/ready`)
    expect(broken.status).toBe(503)
    expect(broken.json).toEqual({ name: 'broken', ready: false })
    expect((await getJson(`${url}/v2/models/nope/ready`)).status).toBe(404)
  })

  it('returns the model configuration in Triton form', async () => {
    const res = await getJson(`${url}/v2/models/simple/config`)
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({
      name: 'simple',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      max_batch_size: 256,
      input: [{ name: 'INPUT0', data_type: 'TYPE_INT32', dims: [16] }, { name: 'INPUT1', data_type: 'TYPE_INT32', dims: [16] }],
      output: [{ name: 'OUTPUT0', data_type: 'TYPE_INT32', dims: [16] }, { name: 'OUTPUT1', data_type: 'TYPE_INT32', dims: [16] }],
    })
    expect((await getJson(`${url}/v2/models/add_sub_fp32/versions/3/config`)).json.max_batch_size).toBe(8)
  })

  it('ignores dot-folders and folders that are not models', async () => {
    expect((await getJson(`${url}/v2/models/.hidden_dir`)).status).toBe(404)
    expect((await getJson(`${url}/v2/models/not_a_model`)).status).toBe(404)
  })
})

describe('inference', () => {
  it('computes, echoes the id and accepts parameters', async () => {
    const res = await postJson(`${url}/v2/models/simple/infer`, {
      id: 'req-42', parameters: { note: 'hello', n: 3, flag: true }, inputs: simpleInputs(range(16), range(16, () => 1)),
    })
    expect(res.status, res.text).toBe(200)
    expect(res.json.id).toBe('req-42')
    expect(res.json.model_name).toBe('simple')
    expect(res.json.model_version).toBe('1')
    const byName = Object.fromEntries(res.json.outputs.map((o: any) => [o.name, o]))
    expect(byName.OUTPUT0).toEqual({ name: 'OUTPUT0', datatype: 'INT32', shape: [1, 16], data: range(16, (i) => i + 1) })
    expect(byName.OUTPUT1.data).toEqual(range(16, (i) => i - 1))
  })

  it('omits the id when the request has none', async () => {
    const res = await postJson(`${url}/v2/models/simple/infer`, { inputs: simpleInputs(range(16), range(16)) })
    expect(res.json).not.toHaveProperty('id')
  })

  it('returns only the outputs asked for', async () => {
    const res = await postJson(`${url}/v2/models/simple/infer`, { inputs: simpleInputs(range(16), range(16)), outputs: [{ name: 'OUTPUT1' }] })
    expect(res.json.outputs.map((o: any) => o.name)).toEqual(['OUTPUT1'])
  })

  it('takes nested data and batches of several rows', async () => {
    const a = [range(16), range(16, (i) => 10 * i)]
    const res = await postJson(`${url}/v2/models/simple/infer`, {
      inputs: [{ name: 'INPUT0', shape: [2, 16], datatype: 'INT32', data: a }, { name: 'INPUT1', shape: [2, 16], datatype: 'INT32', data: a }],
    })
    expect(res.status, res.text).toBe(200)
    expect(res.json.outputs[0]).toMatchObject({ shape: [2, 16], data: [...range(16, (i) => 2 * i), ...range(16, (i) => 20 * i)] })
  })

  it('routes to the version asked for, and to the highest by default', async () => {
    const inputs = [{ name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: range(16, () => 1) }, { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: range(16, () => 2) }]
    const latest = await postJson(`${url}/v2/models/add_sub_fp32/infer`, { inputs })
    expect(latest.json.model_version).toBe('3')
    expect(latest.json.outputs.find((o: any) => o.name === 'OUTPUT0').data[0]).toBe(5)
    const v2 = await postJson(`${url}/v2/models/add_sub_fp32/versions/2/infer`, { inputs })
    expect(v2.json.model_version).toBe('2')
    expect(v2.json.outputs.find((o: any) => o.name === 'OUTPUT0').data[0]).toBe(4)
  })

  it('serves a model with no batch dimension', async () => {
    const res = await postJson(`${url}/v2/models/fixed_shape/infer`, { inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] }] })
    expect(res.status, res.text).toBe(200)
    expect(res.json.outputs[0]).toEqual({ name: 'y', datatype: 'FP32', shape: [2, 3], data: [2, 4, 6, 8, 10, 12] })
  })

  it('mixes JSON and binary inputs, and honours binary_data_output', async () => {
    const b = new Int32Array(range(16, () => 100))
    const res = await postBinary(`${url}/v2/models/simple/infer`, {
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: range(16) },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', parameters: { binary_data_size: 64 } },
      ],
      outputs: [{ name: 'OUTPUT0' }, { name: 'OUTPUT1', parameters: { binary_data: false } }],
      parameters: { binary_data_output: true },
    }, [toBytes(b)])
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    const out0 = res.binary.get('OUTPUT0')!
    expect(Array.from(new Int32Array(out0.buffer.slice(out0.byteOffset, out0.byteOffset + 64)))).toEqual(range(16, (i) => i + 100))
    expect(res.json.outputs.find((o: any) => o.name === 'OUTPUT1').data).toEqual(range(16, (i) => i - 100))
    expect(res.headers.get('content-type')).toMatch(/application\/octet-stream/)
  })

  it('takes a raw binary request (Inference-Header-Content-Length: 0) as batch 1', async () => {
    const x = new Float32Array([1, 2, 3, 4])
    const res = await fetch(`${url}/v2/models/identity_fp32/infer`, {
      method: 'POST', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': '0' }, body: toBytes(x),
    })
    expect(res.status).toBe(200)
    const buf = Buffer.from(await res.arrayBuffer())
    const hlen = Number(res.headers.get('inference-header-content-length'))
    const header = JSON.parse(buf.subarray(0, hlen).toString())
    expect(header.outputs[0]).toMatchObject({ name: 'OUTPUT0', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } })
    expect(buf.subarray(hlen).equals(toBytes(x))).toBe(true)
  })
})

describe('bad requests get a clear error and the server keeps serving', () => {
  const expectError = (res: { status: number; json: any }, status: number, code: string, message?: RegExp) => {
    expect(res.status, JSON.stringify(res.json)).toBe(status)
    expect(res.json.code).toBe(code)
    expect(typeof res.json.error).toBe('string')
    if (message) expect(res.json.error).toMatch(message)
  }

  it('unknown model and version: 404', async () => {
    expectError(await postJson(`${url}/v2/models/nope/infer`, { inputs: [] }), 404, 'INFERD_ERR_MODEL_NOT_FOUND', /nope/)
    expectError(await postJson(`${url}/v2/models/simple/versions/9/infer`, { inputs: simpleInputs(range(16), range(16)) }), 404, 'INFERD_ERR_MODEL_VERSION_NOT_FOUND')
    expectError(await getJson(`${url}/v2/nothing/here`), 404, 'INFERD_ERR_ROUTE_NOT_FOUND')
  })

  it('a model that failed to load: 503 with the reason', async () => {
    const res = await postJson(`${url}/v2/models/broken/infer`, { inputs: [] })
    expectError(res, 503, 'INFERD_ERR_MODEL_NOT_READY', /broken/)
    expect(res.headers.get('retry-after')).not.toBeNull()
    const bad = await getJson(`${url}/v2/models/bad_config`)
    expectError(bad, 503, 'INFERD_ERR_MODEL_NOT_READY', /TYPE_INT32.*TYPE_FP32|TYPE_FP32.*TYPE_INT32/)
  })

  it('malformed JSON: 400', async () => {
    expectError(await postJson(`${url}/v2/models/simple/infer`, '{"inputs": ['), 400, 'INFERD_ERR_REQ_BODY_INVALID')
    expectError(await postJson(`${url}/v2/models/simple/infer`, '[]'), 400, 'INFERD_ERR_REQ_BODY_INVALID')
  })

  it('signature violations name the input and what was expected', async () => {
    const infer = (body: unknown) => postJson(`${url}/v2/models/simple/infer`, body)
    expectError(await infer({ inputs: [simpleInputs(range(16), range(16))[0]] }), 400, 'INFERD_ERR_INPUT_MISSING', /INPUT1/)
    expectError(await infer({ inputs: [...simpleInputs(range(16), range(16)), { name: 'EXTRA', shape: [1], datatype: 'INT32', data: [1] }] }), 400, 'INFERD_ERR_INPUT_UNKNOWN', /EXTRA/)
    expectError(await infer({ inputs: [{ ...simpleInputs(range(16), range(16))[0], datatype: 'FP32' }, simpleInputs(range(16), range(16))[1]] }), 400, 'INFERD_ERR_DTYPE_INVALID', /INPUT0.*FP32.*INT32/)
    expectError(await infer({ inputs: [{ name: 'INPUT0', shape: [1, 8], datatype: 'INT32', data: range(8) }, { name: 'INPUT1', shape: [1, 8], datatype: 'INT32', data: range(8) }] }), 400, 'INFERD_ERR_TENSOR_SHAPE_MISMATCH', /INPUT0/)
    expectError(await infer({ inputs: [{ name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: range(15) }, simpleInputs(range(16), range(16))[1]] }), 400, 'INFERD_ERR_TENSOR_SIZE_MISMATCH', /INPUT0/)
    expectError(await infer({ inputs: simpleInputs(range(16), range(16)), outputs: [{ name: 'NOPE' }] }), 400, 'INFERD_ERR_OUTPUT_UNKNOWN', /NOPE/)
    expectError(await infer({ inputs: [{ name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: range(16, () => 2 ** 40) }, simpleInputs(range(16), range(16))[1]] }), 400, 'INFERD_ERR_TENSOR_DATA_INVALID', /INPUT0/)
    expectError(await infer({ inputs: [{ name: 'INPUT0', shape: [1, 16], datatype: 'FLOAT99', data: range(16) }] }), 400, 'INFERD_ERR_DTYPE_UNKNOWN')
  })

  it('BYTES that onnxruntime strings cannot carry (NUL, invalid UTF-8): 400', async () => {
    const nul = await postJson(`${url}/v2/models/identity_bytes/infer`, { inputs: [{ name: 'INPUT0', shape: [1, 4], datatype: 'BYTES', data: ['a', 'b\u0000c', 'd', 'e'] }] })
    expectError(nul, 400, 'INFERD_ERR_TENSOR_DATA_INVALID', /INPUT0.*NUL/)
    const bytes = Buffer.concat([1, 2, 3, 4].map((i) => Buffer.from([1, 0, 0, 0, i === 2 ? 0xff : 0x61])))
    const bad = await postBinary(`${url}/v2/models/identity_bytes/infer`, { inputs: [{ name: 'INPUT0', shape: [1, 4], datatype: 'BYTES', parameters: { binary_data_size: bytes.length } }] }, [bytes])
    expectError(bad, 400, 'INFERD_ERR_TENSOR_DATA_INVALID', /UTF-8/)
  })

  it('more rows than max_batch_size: 400', async () => {
    const rows = 9
    const inputs = ['INPUT0', 'INPUT1'].map((name) => ({ name, shape: [rows, 16], datatype: 'FP32', data: range(rows * 16) }))
    expectError(await postJson(`${url}/v2/models/add_sub_fp32/infer`, { inputs }), 400, 'INFERD_ERR_BATCH_TOO_LARGE', /8/)
  })

  it('binary bodies that do not add up: 400', async () => {
    const header = { inputs: [{ name: 'INPUT0', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } }] }
    expectError(await postBinary(`${url}/v2/models/identity_fp32/infer`, header, [Buffer.alloc(8)]), 400, 'INFERD_ERR_REQ_BINARY_INVALID')
    expectError(await postBinary(`${url}/v2/models/identity_fp32/infer`, header, [Buffer.alloc(24)]), 400, 'INFERD_ERR_REQ_BINARY_INVALID')
    expectError(await postBinary(`${url}/v2/models/identity_fp32/infer`, header, [Buffer.alloc(16)], 100000), 400, 'INFERD_ERR_REQ_BINARY_INVALID')
    const wrongSize = { inputs: [{ name: 'INPUT0', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 12 } }] }
    expectError(await postBinary(`${url}/v2/models/identity_fp32/infer`, wrongSize, [Buffer.alloc(12)]), 400, 'INFERD_ERR_REQ_BINARY_INVALID')
  })

  it("the engine's own failure: 500, and the next request still works", async () => {
    const bad = await postJson(`${url}/v2/models/runtime_error/infer`, { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] })
    expectError(bad, 500, 'INFERD_ERR_BACKEND_FAILED', /runtime_error/)
    const good = await postJson(`${url}/v2/models/runtime_error/infer`, { inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] })
    expect(good.status, good.text).toBe(200)
  })

  it('is still live and serving after all of that', async () => {
    expect((await getJson(`${url}/v2/health/live`)).status).toBe(200)
    expect((await postJson(`${url}/v2/models/simple/infer`, { inputs: simpleInputs(range(16), range(16)) })).status).toBe(200)
  })
})

describe('limits and other repository shapes', () => {
  it('refuses a body over --max-request-bytes with 413 and keeps serving', async () => {
    const small = await startServer(FIXTURE_REPO, { maxRequestBytes: 4096 })
    try {
      const big = { inputs: [{ name: 'INPUT0', shape: [1000, 4], datatype: 'FP32', data: range(4000) }] }
      const res = await postJson(`${small.httpUrl}/v2/models/identity_fp32/infer`, big)
      expect(res.status).toBe(413)
      expect(res.json.code).toBe('INFERD_ERR_REQ_BODY_TOO_LARGE')
      const ok = await postJson(`${small.httpUrl}/v2/models/identity_fp32/infer`, { inputs: [{ name: 'INPUT0', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] })
      expect(ok.status).toBe(200)
    } finally { await small.close() }
  })

  it('is ready when readiness is not strict', async () => {
    const lax = await startServer(FIXTURE_REPO, { strictReadiness: false })
    try {
      expect((await getJson(`${lax.httpUrl}/v2/health/ready`)).json).toEqual({ ready: true })
    } finally { await lax.close() }
  })

  it('serves a single .onnx file as a model named after it', async () => {
    const one = await startServer(SINGLE_MODEL)
    try {
      expect((await getJson(`${one.httpUrl}/v2/health/ready`)).status).toBe(200)
      const res = await postJson(`${one.httpUrl}/v2/models/double_it/infer`, { inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1.5, -2] }] })
      expect(res.status, res.text).toBe(200)
      expect(res.json.outputs[0].data).toEqual([3, -4])
    } finally { await one.close() }
  })
})

describe('classification extension', () => {
  it('returns top-k labels from the output label file', async () => {
    const ex = await startServer(CORE_EXAMPLES_REPO)
    try {
      const res = await postJson(`${ex.httpUrl}/v2/models/iris/infer`, {
        inputs: [{ name: 'features', shape: [2, 4], datatype: 'FP32', data: [[5.1, 3.5, 1.4, 0.2], [6.7, 3.1, 5.6, 2.4]] }],
        outputs: [{ name: 'probabilities', parameters: { classification: 2 } }],
      })
      expect(res.status, res.text).toBe(200)
      const out = res.json.outputs[0]
      expect(out).toMatchObject({ name: 'probabilities', datatype: 'BYTES', shape: [2, 2] })
      expect(out.data[0]).toMatch(/^0\.9\d*:0:setosa$/)
      expect(out.data[2]).toMatch(/:2:virginica$/)
      expect((await getJson(`${ex.httpUrl}/v2`)).json.extensions).toContain('classification')
    } finally { await ex.close() }
  })
})
