import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InferdServer } from '../../src/server.js'
import { CLS_INPUT_SHAPE, paddleClsInput } from '../helpers/paddle-cls-input.js'
import { callOk, connect, type GrpcClients, rawBytes, rawStrings } from '../helpers/grpc-client.js'
import { postJson } from '../helpers/oip-client.js'
import { CORE_EXAMPLES_REPO, EXAMPLES_REPO } from '../helpers/paths.js'
import { renderText, rotate180 } from '../helpers/render-text.js'
import { startServer } from '../helpers/server.js'

/**
 * The example models answer the same over gRPC as over REST: the same request sent both ways
 * (gRPC with typed contents and with raw contents) must give the same outputs, value for value.
 */
interface Output { name: string; datatype: string; shape: number[]; data: unknown[] }

let server: InferdServer
let client: GrpcClients
beforeAll(async () => {
  server = await startServer(CORE_EXAMPLES_REPO)
  client = connect(server.grpcUrl)
})
afterAll(async () => {
  client.close()
  await server.close()
})

/** Raw output bytes as the JSON data REST writes for the same datatype. */
function rawToData (datatype: string, buf: Buffer): unknown[] {
  switch (datatype) {
    case 'FP32': return Array.from({ length: buf.length / 4 }, (_, i) => buf.readFloatLE(i * 4))
    case 'INT64': return Array.from({ length: buf.length / 8 }, (_, i) => Number(buf.readBigInt64LE(i * 8)))
    case 'BYTES': return rawStrings(buf)
    default: throw new Error(`unexpected datatype ${datatype}`)
  }
}

/** One FP32 input, sent over REST (JSON) and over gRPC (typed and raw); the three answers, normalised. */
async function threeWays (model: string, name: string, shape: number[], data: Float32Array, outputs?: Array<{ name: string; parameters?: Record<string, number> }>): Promise<Output[][]> {
  const rest = await postJson(`${server.httpUrl}/v2/models/${model}/infer`, {
    inputs: [{ name, datatype: 'FP32', shape, data: Array.from(data) }],
    ...(outputs === undefined ? {} : { outputs }),
  })
  expect(rest.status, rest.text).toBe(200)
  const grpcOutputs = outputs?.map((o) => ({ name: o.name, parameters: Object.fromEntries(Object.entries(o.parameters ?? {}).map(([k, v]) => [k, { int64_param: v }])) }))
  const answers: Output[][] = [(rest.json.outputs as Output[])]
  for (const form of ['typed', 'raw'] as const) {
    const res = await callOk(client.inference, 'ModelInfer', {
      model_name: model,
      inputs: [{ name, datatype: 'FP32', shape, ...(form === 'typed' ? { contents: { fp32_contents: Array.from(data) } } : {}) }],
      ...(form === 'raw' ? { raw_input_contents: [rawBytes(data)] } : {}),
      ...(grpcOutputs === undefined ? {} : { outputs: grpcOutputs }),
    })
    answers.push(res.outputs.map((o: any, i: number) => ({
      name: o.name,
      datatype: o.datatype,
      shape: o.shape.map(Number),
      data: rawToData(o.datatype, res.raw_output_contents[i]),
    })))
  }
  return answers
}

describe('iris', () => {
  const example = JSON.parse(readFileSync(join(EXAMPLES_REPO, 'iris', 'example.json'), 'utf8')) as { inputs: Array<{ data: number[][] }> }
  const features = Float32Array.from(example.inputs[0]!.data.flat())

  it('answers the README example the same over gRPC as over REST', async () => {
    const [rest, typed, raw] = await threeWays('iris', 'features', [2, 4], features)
    expect(rest!.find((o) => o.name === 'label')!.data).toEqual([0, 2])
    expect(typed).toEqual(rest)
    expect(raw).toEqual(rest)
  })

  it('classifies the same over gRPC as over REST', async () => {
    const [rest, typed, raw] = await threeWays('iris', 'features', [2, 4], features, [{ name: 'probabilities', parameters: { classification: 2 } }])
    expect(rest![0]).toMatchObject({ datatype: 'BYTES', shape: [2, 2] })
    expect(rest![0]!.data[0]).toMatch(/:0:setosa$/)
    expect(typed).toEqual(rest)
    expect(raw).toEqual(rest)
  })
})

describe('text_orientation', () => {
  it('reads a rendered text line, upright and turned, the same over gRPC as over REST', async () => {
    const upright = await renderText('Hello inference server 42')
    const x = new Float32Array(2 * CLS_INPUT_SHAPE[0] * CLS_INPUT_SHAPE[1] * CLS_INPUT_SHAPE[2])
    x.set(await paddleClsInput(upright), 0)
    x.set(await paddleClsInput(rotate180(upright)), x.length / 2)
    const [rest, typed, raw] = await threeWays('text_orientation', 'x', [2, ...CLS_INPUT_SHAPE], x)
    const p = rest![0]!.data as number[]
    expect(p[0]).toBeGreaterThan(0.8) // upright: 0°
    expect(p[3]).toBeGreaterThan(0.8) // turned: 180°
    expect(typed).toEqual(rest)
    expect(raw).toEqual(rest)
  })
})
