import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type InferdServer } from '../../src/server.js'
import { addSubModel, doubleModel, garbageBytes } from '../fixtures/fixture-models.js'
import { getJson, postJson } from '../helpers/oip-client.js'
import { startServer } from '../helpers/server.js'
import { addSubBody, offsetOf, TempRepo, waitUntil } from '../helpers/temp-repo.js'

/**
 * Model control as a client sees it over REST (Triton's model repository extension): explicit
 * load / unload / index with config overrides and errors, the refusal in the other modes, and
 * poll mode following the repository folder. Real server, real files, every wait bounded.
 */

const ADD_SUB_CONFIG = 'max_batch_size: 8\n'

type Res = Awaited<ReturnType<typeof postJson>>

function expectError (res: Res, status: number, code: string, message?: RegExp): void {
  expect(res.status, res.text).toBe(status)
  expect(res.json.code).toBe(code)
  if (message !== undefined) expect(res.json.error).toMatch(message)
}

describe('explicit mode', () => {
  let repo: TempRepo
  let server: InferdServer
  let url: string
  const index = async (body: unknown = {}): Promise<Array<Record<string, string>>> => (await postJson(`${url}/v2/repository/index`, body)).json
  const load = (model: string, body: unknown = {}): Promise<Res> => postJson(`${url}/v2/repository/models/${model}/load`, body)
  const unload = (model: string, body: unknown = {}): Promise<Res> => postJson(`${url}/v2/repository/models/${model}/unload`, body)
  const infer = (model: string, body: unknown): Promise<Res> => postJson(`${url}/v2/models/${model}/infer`, body)

  beforeAll(async () => {
    repo = await TempRepo.create({
      'add_sub/config.yaml': ADD_SUB_CONFIG,
      'add_sub/1/model.onnx': addSubModel('FP32', 1),
      'double/1/model.onnx': doubleModel(['batch', 2]),
      'broken/1/model.onnx': garbageBytes(),
    })
    server = await startServer(repo.root, { modelControlMode: 'explicit', loadModels: ['add_sub'] })
    url = server.httpUrl
  })
  afterAll(async () => {
    await server?.close()
    await repo?.dispose()
  })

  it('advertises the model_repository extension', async () => {
    expect((await getJson(`${url}/v2`)).json.extensions).toContain('model_repository')
  })

  it('loads only the models named at start-up; the index lists the others as not loaded', async () => {
    expect(await index()).toEqual([
      { name: 'add_sub', version: '1', state: 'READY', reason: '' },
      { name: 'broken', state: 'UNAVAILABLE', reason: 'not loaded' },
      { name: 'double', state: 'UNAVAILABLE', reason: 'not loaded' },
    ])
    expect(await index({ ready: true })).toEqual([{ name: 'add_sub', version: '1', state: 'READY', reason: '' }])
    // An empty body is an empty request.
    expect((await postJson(`${url}/v2/repository/index`, '')).json).toHaveLength(3)
    // Models deliberately not loaded do not make a strictly-ready server unready.
    expect((await getJson(`${url}/v2/health/ready`)).status).toBe(200)
    expectError(await infer('double', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] }), 503, 'INFERD_ERR_MODEL_NOT_READY', /not loaded/)
  })

  it('loads a model on request, then serves it', async () => {
    const res = await load('double')
    expect(res.status, res.text).toBe(200)
    expect(res.json).toEqual({})
    const out = await infer('double', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] })
    expect(out.json.outputs[0].data).toEqual([2, 4])
  })

  it('reloads with a config override, and back to the file config without one', async () => {
    const config = JSON.stringify({ name: 'add_sub', max_batch_size: 2 })
    const res = await load('add_sub', { parameters: { config } })
    expect(res.status, res.text).toBe(200)
    expect((await getJson(`${url}/v2/models/add_sub/config`)).json.max_batch_size).toBe(2)
    expectError(await infer('add_sub', addSubBody(4)), 400, 'INFERD_ERR_BATCH_TOO_LARGE')
    expect((await load('add_sub')).status).toBe(200)
    expect((await getJson(`${url}/v2/models/add_sub/config`)).json.max_batch_size).toBe(8)
    expect(offsetOf((await infer('add_sub', addSubBody(4))).json)).toBe(1)
  })

  it('refuses a bad config override with the reason, and the loaded model keeps serving', async () => {
    const wrongType = JSON.stringify({ input: [{ name: 'INPUT0', data_type: 'TYPE_INT32', dims: [16] }] })
    expectError(await load('add_sub', { parameters: { config: wrongType } }), 400, 'INFERD_ERR_MODEL_CONFIG_INVALID', /INPUT0.*TYPE_INT32.*TYPE_FP32/)
    expectError(await load('add_sub', { parameters: { config: '{"max_batch_size": ' } }), 400, 'INFERD_ERR_MODEL_CONFIG_INVALID', /not valid YAML/)
    expectError(await load('add_sub', { parameters: { config: JSON.stringify({ name: 'other' }) } }), 400, 'INFERD_ERR_MODEL_CONFIG_INVALID', /name/)
    expectError(await load('add_sub', { parameters: { config: 7 } }), 400, 'INFERD_ERR_PARAMETER_INVALID', /config.*string/)
    const [row] = await index({ ready: true })
    expect(row).toMatchObject({ name: 'add_sub', version: '1', state: 'READY' })
    expect(row?.reason).toMatch(/reload failed, the previous load still serves: .*TYPE_INT32/)
    expect(offsetOf((await infer('add_sub', addSubBody())).json)).toBe(1)
    // A load that finds the serving version current (nothing changed on disk) clears the reason.
    expect((await load('add_sub')).status).toBe(200)
    expect((await index({ ready: true }))[0]).toEqual({ name: 'add_sub', version: '1', state: 'READY', reason: '' })
  })

  it('refuses unknown models, parameters and bodies', async () => {
    expectError(await load('nope'), 404, 'INFERD_ERR_MODEL_NOT_FOUND', /nope/)
    expectError(await unload('nope'), 404, 'INFERD_ERR_MODEL_NOT_FOUND', /nope/)
    expectError(await load('add_sub', { parameters: { 'file:1/model.onnx': 'AAAA' } }), 501, 'INFERD_ERR_BACKEND_FEATURE_UNSUPPORTED', /file:1\/model\.onnx/)
    expectError(await load('add_sub', { parameters: { confg: '{}' } }), 400, 'INFERD_ERR_PARAMETER_INVALID', /confg.*unknown load parameter/)
    expectError(await unload('add_sub', { parameters: { unload_dependents: 'yes' } }), 400, 'INFERD_ERR_PARAMETER_INVALID', /unload_dependents/)
    expectError(await postJson(`${url}/v2/repository/index`, { ready: 'yes' }), 400, 'INFERD_ERR_REQ_BODY_INVALID', /ready/)
    expectError(await postJson(`${url}/v2/repository/index`, '[1]'), 400, 'INFERD_ERR_REQ_BODY_INVALID')
  })

  it('unloads: requests are refused with the reason, the index says unloaded, and it loads again', async () => {
    const res = await unload('add_sub', { parameters: { unload_dependents: true } })
    expect(res.status, res.text).toBe(200)
    expect(res.json).toEqual({})
    expect((await index()).find((r) => r.name === 'add_sub')).toEqual({ name: 'add_sub', version: '1', state: 'UNAVAILABLE', reason: 'unloaded' })
    expectError(await infer('add_sub', addSubBody()), 503, 'INFERD_ERR_MODEL_NOT_READY', /unloaded/)
    expect((await load('add_sub')).status).toBe(200)
    expect(offsetOf((await infer('add_sub', addSubBody())).json)).toBe(1)
  })

  it('a model that fails to load: the error names why, and the index keeps the reason', async () => {
    const res = await load('broken')
    expectError(res, 500, 'INFERD_ERR_MODEL_LOAD_FAILED', /model 'broken' version 1 failed to load/)
    const row = (await index()).find((r) => r.name === 'broken')
    expect(row).toMatchObject({ name: 'broken', version: '1', state: 'UNAVAILABLE' })
    expect(row?.reason).toMatch(/failed to load/)
    expect((await getJson(`${url}/v2/health/ready`)).status).toBe(503)
  })

  it('refuses a --load-model name the repository does not have, at start-up', async () => {
    const other = createServer({ modelRepository: repo.root, httpPort: 0, grpcPort: 0, modelControlMode: 'explicit', loadModels: ['add_sub', 'typo'] }, { logger: pino({ level: 'silent' }) })
    try {
      await expect(other.start()).rejects.toMatchObject({ code: 'INFERD_ERR_CONFIG_INVALID', message: expect.stringMatching(/'typo' not in the repository/) })
    } finally {
      await other.close()
    }
  })
})

describe('none mode', () => {
  let repo: TempRepo
  let server: InferdServer

  beforeAll(async () => {
    repo = await TempRepo.create({ 'add_sub/config.yaml': ADD_SUB_CONFIG, 'add_sub/1/model.onnx': addSubModel('FP32', 1) })
    server = await startServer(repo.root)
  })
  afterAll(async () => {
    await server?.close()
    await repo?.dispose()
  })

  it('lists the repository, and refuses load and unload', async () => {
    const url = server.httpUrl
    expect((await postJson(`${url}/v2/repository/index`, {})).json).toEqual([{ name: 'add_sub', version: '1', state: 'READY', reason: '' }])
    expectError(await postJson(`${url}/v2/repository/models/add_sub/load`, {}), 409, 'INFERD_ERR_MODEL_CONTROL_DISABLED', /not allowed in model control mode 'none'/)
    expectError(await postJson(`${url}/v2/repository/models/add_sub/unload`, {}), 409, 'INFERD_ERR_MODEL_CONTROL_DISABLED')
    expect(offsetOf((await postJson(`${url}/v2/models/add_sub/infer`, addSubBody())).json)).toBe(1)
  })
})

describe('poll mode', () => {
  let repo: TempRepo
  let server: InferdServer
  let url: string
  const index = async (): Promise<Array<Record<string, string>>> => (await postJson(`${url}/v2/repository/index`, {})).json
  const rows = async (model: string): Promise<string[]> =>
    (await index()).filter((r) => r.name === model).map((r) => `${r.version ?? '-'}:${r.state}`)

  beforeAll(async () => {
    repo = await TempRepo.create({ 'm/config.yaml': ADD_SUB_CONFIG, 'm/1/model.onnx': addSubModel('FP32', 1) })
    server = await startServer(repo.root, { modelControlMode: 'poll', repositoryPollSecs: 0.2 })
    url = server.httpUrl
  })
  afterAll(async () => {
    await server?.close()
    await repo?.dispose()
  })

  it('refuses explicit load and unload', async () => {
    expectError(await postJson(`${url}/v2/repository/models/m/load`, {}), 409, 'INFERD_ERR_MODEL_CONTROL_DISABLED', /'poll'/)
  })

  it('picks up a new version folder and retires the version the policy drops', async () => {
    await repo.put('m/2/model.onnx', addSubModel('FP32', 2))
    await waitUntil('version 2 served alone', () => rows('m'), (r) => r.join() === '2:READY')
    const res = await postJson(`${url}/v2/models/m/infer`, addSubBody())
    expect(res.json.model_version).toBe('2')
    expect(offsetOf(res.json)).toBe(2)
    expectError(await postJson(`${url}/v2/models/m/versions/1/infer`, addSubBody()), 404, 'INFERD_ERR_MODEL_VERSION_NOT_FOUND')
  })

  it('reloads on a changed config', async () => {
    await repo.put('m/config.yaml', 'max_batch_size: 4\n')
    await waitUntil('max_batch_size 4', async () => (await getJson(`${url}/v2/models/m/config`)).json.max_batch_size, (n) => n === 4)
    expect(await rows('m')).toEqual(['2:READY'])
  })

  it('goes back to version 1 when the version 2 folder is removed', async () => {
    await repo.remove('m/2')
    await waitUntil('version 1 served alone', () => rows('m'), (r) => r.join() === '1:READY')
    expect(offsetOf((await postJson(`${url}/v2/models/m/infer`, addSubBody())).json)).toBe(1)
  })

  it('loads a model folder that appears, and forgets one that goes', async () => {
    await repo.put('fresh/1/model.onnx', addSubModel('FP32', 7))
    await waitUntil('fresh loaded', () => rows('fresh'), (r) => r.join() === '1:READY')
    expect(offsetOf((await postJson(`${url}/v2/models/fresh/infer`, addSubBody())).json)).toBe(7)
    await repo.remove('fresh')
    await waitUntil('fresh gone', () => rows('fresh'), (r) => r.length === 0)
    expectError(await postJson(`${url}/v2/models/fresh/infer`, addSubBody()), 404, 'INFERD_ERR_MODEL_NOT_FOUND')
  })
})
