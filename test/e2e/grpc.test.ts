import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ClientDuplexStream, StatusObject } from '@grpc/grpc-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InferdServer } from '../../src/server.js'
import { getJson, postJson } from '../helpers/oip-client.js'
import { call, callOk, connect, type GrpcClients, rawBytes, rawFloat32 } from '../helpers/grpc-client.js'
import { CORE_EXAMPLES_REPO, EXAMPLES_REPO, FIXTURE_REPO, SCHEDULER_REPO } from '../helpers/paths.js'
import { startServer } from '../helpers/server.js'

/**
 * The gRPC service end to end: a real server on an ephemeral port, a real @grpc/grpc-js client
 * loaded from proto/grpc_service.proto. Request/answer parity with REST for every inference case
 * is in test/conformance; datatypes in grpc-datatypes.test.ts; example models in grpc-examples.test.ts.
 */

const range = (n: number, f: (i: number) => number = (i) => i): number[] => Array.from({ length: n }, (_, i) => f(i))
const simpleRequest = (id: string, a = range(16), b = range(16, () => 1)): Record<string, unknown> => ({
  model_name: 'simple',
  id,
  inputs: [
    { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], contents: { int_contents: a } },
    { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], contents: { int_contents: b } },
  ],
})
const int32s = (buf: Buffer): number[] => Array.from({ length: buf.length / 4 }, (_, i) => buf.readInt32LE(i * 4))

/** 64-bit fields arrive as decimal strings (longs: String); numbers read back for comparisons with REST JSON. */
function numbersOf (value: unknown): unknown {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value)
  if (Array.isArray(value)) return value.map(numbersOf)
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, numbersOf(v)]))
  return value
}

describe('every RPC, next to its REST twin', () => {
  let server: InferdServer
  let client: GrpcClients
  beforeAll(async () => {
    server = await startServer(FIXTURE_REPO)
    client = connect(server.grpcUrl)
  })
  afterAll(async () => {
    client.close()
    await server.close()
  })

  it('listens on its own port, apart from HTTP', () => {
    expect(server.grpcUrl).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(server.httpUrl).not.toContain(server.grpcUrl)
  })

  it('ServerLive and ServerReady answer as /v2/health/*', async () => {
    expect(await callOk(client.inference, 'ServerLive', {})).toEqual({ live: true })
    // strict readiness with a model that failed to load: not ready, over both protocols
    expect((await getJson(`${server.httpUrl}/v2/health/ready`)).json).toEqual({ ready: false })
    expect(await callOk(client.inference, 'ServerReady', {})).toEqual({ ready: false })
  })

  it('ServerMetadata answers as GET /v2', async () => {
    const rest = (await getJson(`${server.httpUrl}/v2`)).json
    expect(await callOk(client.inference, 'ServerMetadata', {})).toEqual(rest)
  })

  it('ModelReady: true, false for a known model that is not ready, NOT_FOUND for an unknown one', async () => {
    expect(await callOk(client.inference, 'ModelReady', { name: 'simple' })).toEqual({ ready: true })
    expect(await callOk(client.inference, 'ModelReady', { name: 'add_sub_fp32', version: '2' })).toEqual({ ready: true })
    expect(await callOk(client.inference, 'ModelReady', { name: 'broken' })).toEqual({ ready: false })
    expect(await call(client.inference, 'ModelReady', { name: 'nope' })).toMatchObject({ ok: false, code: 5, errorCode: 'INFERD_ERR_MODEL_NOT_FOUND' })
  })

  it('ModelMetadata answers as GET /v2/models/{m}[/versions/{v}]', async () => {
    for (const [name, version] of [['simple', ''], ['add_sub_fp32', ''], ['add_sub_fp32', '2'], ['fixed_shape', '']] as const) {
      const rest = (await getJson(`${server.httpUrl}/v2/models/${name}${version === '' ? '' : `/versions/${version}`}`)).json
      const grpc = await callOk(client.inference, 'ModelMetadata', { name, version })
      const shapes = (list: any[]) => list.map((t) => ({ ...t, shape: t.shape.map(Number) }))
      expect({ ...grpc, inputs: shapes(grpc.inputs), outputs: shapes(grpc.outputs) }).toEqual({ ...rest, properties: {} })
    }
    expect(await call(client.inference, 'ModelMetadata', { name: 'add_sub_fp32', version: '1' })).toMatchObject({ ok: false, code: 5, errorCode: 'INFERD_ERR_MODEL_VERSION_NOT_FOUND' })
    expect(await call(client.inference, 'ModelMetadata', { name: 'broken' })).toMatchObject({ ok: false, code: 14, errorCode: 'INFERD_ERR_MODEL_NOT_READY' })
  })

  it('ModelConfig carries the configuration GET /config reports, in Triton\'s message', async () => {
    const rest = (await getJson(`${server.httpUrl}/v2/models/add_sub_fp32/config`)).json
    const { config } = numbersOf(await callOk(client.inference, 'ModelConfig', { name: 'add_sub_fp32' })) as { config: any }
    expect(config).toMatchObject({
      name: rest.name,
      platform: rest.platform,
      backend: rest.backend,
      max_batch_size: 8,
      version_policy: { latest: { num_versions: 2 } },
      default_model_filename: rest.default_model_filename,
    })
    const io = (list: any[]) => list.map((t) => ({ name: t.name, data_type: t.data_type, dims: t.dims }))
    expect(io(config.input)).toEqual(io(rest.input))
    expect(io(config.output)).toEqual(io(rest.output))
    expect(config.instance_group.map((g: any) => g.kind)).toEqual(rest.instance_group.map((g: any) => g.kind))
  })

  it('ModelConfig carries dynamic batching with its priority queue policies', async () => {
    const other = await startServer(SCHEDULER_REPO)
    const otherClient = connect(other.grpcUrl)
    try {
      const rest = (await getJson(`${other.httpUrl}/v2/models/slow_identity/config`)).json
      const { config } = await callOk(otherClient.inference, 'ModelConfig', { name: 'slow_identity' })
      expect(config.scheduling_choice).toBe('dynamic_batching')
      const batching = numbersOf(config.dynamic_batching) as any
      expect(batching).toMatchObject({
        priority_levels: rest.dynamic_batching.priority_levels,
        default_priority_level: rest.dynamic_batching.default_priority_level,
        default_queue_policy: { max_queue_size: 8, allow_timeout_override: true, timeout_action: 'REJECT' },
      })
      // map<uint64, …> keys come back from protobufjs as 8-byte hashes; the policies themselves are comparable
      expect(Object.values(batching.priority_queue_policy).map((p: any) => p.max_queue_size).sort()).toEqual([1, 8])
      expect(config.parameters).toEqual({ execution_mode: { string_value: 'worker' } })
    } finally {
      otherClient.close()
      await other.close()
    }
  })

  it('ModelInfer answers with raw outputs in order, echoing the id', async () => {
    const res = await callOk(client.inference, 'ModelInfer', simpleRequest('req-7'))
    expect(res).toMatchObject({ model_name: 'simple', model_version: '1', id: 'req-7' })
    expect(res.outputs.map((o: any) => o.name)).toEqual(['OUTPUT0', 'OUTPUT1'])
    expect(int32s(res.raw_output_contents[0])).toEqual(range(16, (i) => i + 1))
    expect(int32s(res.raw_output_contents[1])).toEqual(range(16, (i) => i - 1))
  })

  it('ModelStatistics answers as GET /v2/models/{m}/stats', async () => {
    for (let i = 0; i < 3; i++) await callOk(client.inference, 'ModelInfer', simpleRequest(`s${i}`))
    const rest = (await getJson(`${server.httpUrl}/v2/models/simple/stats`)).json
    const grpc = numbersOf(await callOk(client.inference, 'ModelStatistics', { name: 'simple' })) as any
    expect(grpc.model_stats[0].inference_count).toBeGreaterThanOrEqual(3)
    expect(grpc).toEqual(numbersOf(rest))
    const all = await callOk(client.inference, 'ModelStatistics', {})
    expect(all.model_stats.map((s: any) => s.name)).toContain('simple')
    expect(await call(client.inference, 'ModelStatistics', { name: 'nope' })).toMatchObject({ ok: false, code: 5, errorCode: 'INFERD_ERR_MODEL_NOT_FOUND' })
  })

  it('RepositoryIndex answers as POST /v2/repository/index', async () => {
    const rest = (await postJson(`${server.httpUrl}/v2/repository/index`, {})).json as any[]
    const grpc = await callOk(client.inference, 'RepositoryIndex', {})
    expect(grpc.models).toEqual(rest.map((m) => ({ version: '', ...m })))
    const ready = await callOk(client.inference, 'RepositoryIndex', { ready: true })
    expect(ready.models.length).toBeGreaterThan(0)
    expect(ready.models.every((m: any) => m.state === 'READY')).toBe(true)
  })

  it('RepositoryModelLoad and Unload are refused outside explicit mode, as REST refuses them', async () => {
    const rest = await postJson(`${server.httpUrl}/v2/repository/models/simple/load`, {})
    const load = await call(client.inference, 'RepositoryModelLoad', { model_name: 'simple' })
    const unload = await call(client.inference, 'RepositoryModelUnload', { model_name: 'simple' })
    expect(rest.json.code).toBe('INFERD_ERR_MODEL_CONTROL_DISABLED')
    expect(load).toMatchObject({ ok: false, code: 9, errorCode: rest.json.code })
    expect(unload).toMatchObject({ ok: false, code: 9, errorCode: rest.json.code })
    expect(await callOk(client.inference, 'ModelReady', { name: 'simple' })).toEqual({ ready: true })
  })
})

describe('explicit model control over gRPC', () => {
  let dir: string
  let server: InferdServer
  let client: GrpcClients
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inferd-grpc-control-'))
    await cp(join(FIXTURE_REPO, 'add_sub_fp32'), join(dir, 'add_sub_fp32'), { recursive: true })
    server = await startServer(dir, { modelControlMode: 'explicit' })
    client = connect(server.grpcUrl)
  })
  afterAll(async () => {
    client.close()
    await server.close()
    await rm(dir, { recursive: true, force: true })
  })

  const fp32Request = { model_name: 'add_sub_fp32', inputs: [
    { name: 'INPUT0', datatype: 'FP32', shape: [1, 16], contents: { fp32_contents: range(16) } },
    { name: 'INPUT1', datatype: 'FP32', shape: [1, 16], contents: { fp32_contents: range(16) } },
  ] }
  const maxBatch = async (): Promise<number> => Number((await callOk(client.inference, 'ModelConfig', { name: 'add_sub_fp32' })).config.max_batch_size)

  it('loads, reloads with a config override, keeps serving through a failed load, and unloads', async () => {
    expect(await callOk(client.inference, 'ModelReady', { name: 'add_sub_fp32' })).toEqual({ ready: false })
    expect(await callOk(client.inference, 'RepositoryModelLoad', { model_name: 'add_sub_fp32' })).toEqual({})
    expect(await callOk(client.inference, 'ModelReady', { name: 'add_sub_fp32' })).toEqual({ ready: true })
    expect(await maxBatch()).toBe(8)
    const out = await callOk(client.inference, 'ModelInfer', fp32Request)
    expect(rawFloat32(out.raw_output_contents[0])).toEqual(range(16, (i) => 2 * i + 2)) // version 3 adds 2

    const override = JSON.stringify({ backend: 'onnxruntime', max_batch_size: 4, version_policy: { latest: { num_versions: 1 } } })
    await callOk(client.inference, 'RepositoryModelLoad', { model_name: 'add_sub_fp32', parameters: { config: { string_param: override } } })
    expect(await maxBatch()).toBe(4)

    const bad = await call(client.inference, 'RepositoryModelLoad', { model_name: 'add_sub_fp32', parameters: { config: { string_param: '{"max_batch_size": "many"}' } } })
    expect(bad).toMatchObject({ ok: false, code: 3, errorCode: 'INFERD_ERR_MODEL_CONFIG_INVALID' })
    expect(await maxBatch()).toBe(4) // the model loaded before still serves
    expect((await call(client.inference, 'ModelInfer', fp32Request)).ok).toBe(true)

    expect(await callOk(client.inference, 'RepositoryModelUnload', { model_name: 'add_sub_fp32' })).toEqual({})
    expect(await callOk(client.inference, 'ModelReady', { name: 'add_sub_fp32' })).toEqual({ ready: false })
    expect(await call(client.inference, 'ModelInfer', fp32Request)).toMatchObject({ ok: false, code: 14, errorCode: 'INFERD_ERR_MODEL_NOT_READY' })
    const index = await callOk(client.inference, 'RepositoryIndex', {})
    expect(index.models.every((m: any) => m.state === 'UNAVAILABLE')).toBe(true)
    // readiness: one rule for both protocols (an unloaded model does not make the server unready)
    const restReady = (await getJson(`${server.httpUrl}/v2/health/ready`)).json.ready
    expect(await callOk(client.inference, 'ServerReady', {})).toEqual({ ready: restReady })
    expect(await callOk(client.health, 'Check', {})).toEqual({ status: restReady === true ? 'SERVING' : 'NOT_SERVING' })
  })

  it('refuses unknown models, files in the request and unknown parameters', async () => {
    expect(await call(client.inference, 'RepositoryModelLoad', { model_name: 'nope' })).toMatchObject({ ok: false, code: 5, errorCode: 'INFERD_ERR_MODEL_NOT_FOUND' })
    expect(await call(client.inference, 'RepositoryModelLoad', { model_name: 'add_sub_fp32', parameters: { 'file:1/model.onnx': { bytes_param: Buffer.from('x') } } }))
      .toMatchObject({ ok: false, code: 12, errorCode: 'INFERD_ERR_BACKEND_FEATURE_UNSUPPORTED' })
    expect(await call(client.inference, 'RepositoryModelLoad', { model_name: 'add_sub_fp32', parameters: { cfg: { string_param: '{}' } } }))
      .toMatchObject({ ok: false, code: 3, errorCode: 'INFERD_ERR_PARAMETER_INVALID' })
  })
})

describe('ModelStreamInfer', () => {
  let server: InferdServer
  let client: GrpcClients
  beforeAll(async () => {
    server = await startServer(FIXTURE_REPO)
    client = connect(server.grpcUrl)
  })
  afterAll(async () => {
    client.close()
    await server.close()
  })

  /** Writes the requests, half-closes, and collects every answer and the final status. */
  function exchange (requests: Array<Record<string, unknown>>): Promise<{ answers: any[]; status: StatusObject }> {
    return new Promise((resolve, reject) => {
      const stream: ClientDuplexStream<unknown, any> = client.inference.ModelStreamInfer()
      const answers: any[] = []
      stream.on('data', (a) => answers.push(a))
      stream.on('error', reject)
      stream.on('status', (status: StatusObject) => { resolve({ answers, status }) })
      for (const r of requests) stream.write(r)
      stream.end()
    })
  }

  it('answers each request in order, a failing one in the middle in-stream, and stays open', async () => {
    const { answers, status } = await exchange([
      simpleRequest('a'),
      { ...simpleRequest('b'), model_name: 'nope' },
      simpleRequest('c', range(16, () => 5)),
      { model_name: 'simple', id: 'd', inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 16], contents: { int_contents: range(16) } }] },
      simpleRequest('e'),
    ])
    expect(status.code).toBe(0)
    expect(answers.map((a) => a.infer_response.id)).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(answers.map((a) => a.error_message === '')).toEqual([true, false, true, false, true])
    expect(answers[1].error_message).toBe("model 'nope' not found")
    expect(answers[3].error_message).toMatch(/expects input 'INPUT1'/)
    expect(int32s(answers[2].infer_response.raw_output_contents[0])).toEqual(range(16, () => 6))
    expect(int32s(answers[4].infer_response.raw_output_contents[1])).toEqual(range(16, (i) => i - 1))
  })

  it('serves several models on one stream, and many requests at once', async () => {
    const fixed = { model_name: 'fixed_shape', id: 'f', inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], contents: { fp32_contents: [1, 2, 3, 4, 5, 6] } }] }
    const many = range(40, (i) => i).map((i) => (i === 20 ? fixed : simpleRequest(`m${i}`, range(16, () => i))))
    const { answers, status } = await exchange(many)
    expect(status.code).toBe(0)
    expect(answers).toHaveLength(40)
    expect(answers.every((a) => a.error_message === '')).toBe(true)
    expect(rawFloat32(answers[20].infer_response.raw_output_contents[0])).toEqual([2, 4, 6, 8, 10, 12])
    expect(int32s(answers[39].infer_response.raw_output_contents[0])).toEqual(range(16, () => 40))
  })
})

describe('message size limit', () => {
  let server: InferdServer
  let client: GrpcClients
  beforeAll(async () => {
    server = await startServer(FIXTURE_REPO, { grpcMaxMessageBytes: 64 * 1024 })
    client = connect(server.grpcUrl)
  })
  afterAll(async () => {
    client.close()
    await server.close()
  })

  const identity = (rows: number): Record<string, unknown> => ({
    model_name: 'identity_fp32',
    inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [rows, 4] }],
    raw_input_contents: [rawBytes(new Float32Array(rows * 4))],
  })

  it('refuses a larger request with RESOURCE_EXHAUSTED and keeps serving', async () => {
    const big = await call(client.inference, 'ModelInfer', identity(8000)) // 128 000 bytes of tensor
    expect(big).toMatchObject({ ok: false, code: 8 })
    const small = await callOk(client.inference, 'ModelInfer', identity(200)) // 3 200 bytes
    expect(small.raw_output_contents[0]).toHaveLength(3200)
  })
})

describe('health service', () => {
  it('Check: SERVING once every model is ready; NOT_FOUND for an unknown service', async () => {
    const server = await startServer(CORE_EXAMPLES_REPO)
    const client = connect(server.grpcUrl)
    try {
      expect(await callOk(client.health, 'Check', { service: '' })).toEqual({ status: 'SERVING' })
      expect(await callOk(client.health, 'Check', { service: 'inference.GRPCInferenceService' })).toEqual({ status: 'SERVING' })
      expect(await call(client.health, 'Check', { service: 'other.Service' })).toMatchObject({ ok: false, code: 5 })
      expect(server.config.grpcMaxMessageBytes).toBe(64 * 1024 * 1024) // the default
    } finally {
      client.close()
      await server.close()
    }
  })

  it('Check: NOT_SERVING while a model is not ready (strict readiness)', async () => {
    const server = await startServer(FIXTURE_REPO)
    const client = connect(server.grpcUrl)
    try {
      expect(await callOk(client.health, 'Check', {})).toEqual({ status: 'NOT_SERVING' })
    } finally {
      client.close()
      await server.close()
    }
  })

  it('Watch: SERVING, then NOT_SERVING when shutdown begins, then the stream ends', async () => {
    const server = await startServer(CORE_EXAMPLES_REPO)
    const client = connect(server.grpcUrl)
    try {
      const statuses: string[] = []
      const watch = client.health.Watch({ service: '' })
      const ended = new Promise<number>((resolve) => { watch.on('status', (s: StatusObject) => resolve(s.code)) })
      watch.on('error', () => {})
      const first = new Promise<void>((resolve) => {
        watch.on('data', (m: { status: string }) => { statuses.push(m.status); resolve() })
      })
      await first
      await server.close()
      expect(await ended).toBe(0)
      expect(statuses).toEqual(['SERVING', 'NOT_SERVING'])
    } finally {
      client.close()
    }
  })
})

describe('cancellation and shutdown', () => {
  it('a request whose deadline passes while queued is dropped, never computed', async () => {
    const server = await startServer(SCHEDULER_REPO)
    const client = connect(server.grpcUrl)
    const slow = (n: number): Record<string, unknown> => ({
      model_name: 'slow_identity',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, n] }],
      raw_input_contents: [rawBytes(new Float32Array(n).fill(0.5))],
    })
    try {
      // n = 2000 keeps the model's only instance busy for seconds (cost ∝ n³); the second request
      // queues behind it and its 300 ms deadline passes there.
      const busy = call(client.inference, 'ModelInfer', slow(2000), 120_000)
      await new Promise((resolve) => setTimeout(resolve, 100))
      const late = await call(client.inference, 'ModelInfer', slow(8), 300)
      expect(late).toMatchObject({ ok: false, code: 4 })
      expect((await busy).ok).toBe(true)
      const stats = (await callOk(client.inference, 'ModelStatistics', { name: 'slow_identity' })).model_stats[0]
      expect(Number(stats.execution_count)).toBe(1)
      expect(Number(stats.inference_stats.success.count)).toBe(1)
      expect(Number(stats.inference_stats.fail.count)).toBe(1)
    } finally {
      client.close()
      await server.close()
    }
  })

  it('close() answers what open streams sent, ends them with OK, and resolves', async () => {
    const server = await startServer(FIXTURE_REPO)
    const client = connect(server.grpcUrl)
    try {
      const stream: ClientDuplexStream<unknown, any> = client.inference.ModelStreamInfer()
      const answers: any[] = []
      const status = new Promise<number>((resolve) => { stream.on('status', (s: StatusObject) => resolve(s.code)) })
      stream.on('error', () => {})
      const first = new Promise<void>((resolve) => { stream.once('data', () => resolve()) })
      stream.on('data', (a) => answers.push(a))
      stream.write(simpleRequest('before'))
      await first
      stream.write(simpleRequest('during'))
      await server.close() // the stream is never half-closed by the client: shutdown must end it
      expect(await status).toBe(0)
      expect(answers[0]).toMatchObject({ error_message: '', infer_response: { id: 'before' } })
      // the second request either ran or, arriving after shutdown began, was refused in-stream
      for (const a of answers.slice(1)) expect(['', 'server is shutting down']).toContain(a.error_message)
    } finally {
      client.close()
    }
  })
})
