import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InferdServer } from '../../src/server.js'
import { addSubModel, doubleModel, runtimeErrorModel } from '../fixtures/fixture-models.js'
import { call, callOk, connect, type GrpcClients } from '../helpers/grpc-client.js'
import { getJson, postJson } from '../helpers/oip-client.js'
import { startServer } from '../helpers/server.js'
import { TempRepo } from '../helpers/temp-repo.js'

/**
 * Triton ensembles end to end: a diamond of real ONNX models (two independent steps feeding a
 * third) served over REST and gRPC, checked against the same arithmetic done here in float32;
 * metadata and config; the errors a client can meet (a missing step model, bad input, a step
 * that fails at run time, an ensemble refused at load); and 50 concurrent requests.
 */

/**
 * RESULT = 2A + (A + B) and DIFF = A − B, over [batch, 16] FP32:
 *
 *   A ──► double ──► A2 ──┐
 *   │                     ├─► add_sub (combine) ──► RESULT
 *   └─┬► add_sub ──► S ───┘
 *   B ┘          └─► DIFF
 */
const DIAMOND = `
platform: ensemble
max_batch_size: 8
input:
  - { name: A, data_type: TYPE_FP32, dims: [16] }
  - { name: B, data_type: TYPE_FP32, dims: [16] }
output:
  - { name: RESULT, data_type: TYPE_FP32, dims: [16] }
  - { name: DIFF, data_type: TYPE_FP32, dims: [16] }
ensemble_scheduling:
  step:
    - model_name: double
      model_version: -1
      input_map: { x: A }
      output_map: { y: A2 }
    - model_name: add_sub
      input_map: { INPUT0: A, INPUT1: B }
      output_map: { OUTPUT0: S, OUTPUT1: DIFF }
    - model_name: add_sub
      model_version: 1
      input_map: { INPUT0: A2, INPUT1: S }
      output_map: { OUTPUT0: RESULT }
`

const ONE_STEP = (model: string, input: string, output: string, dims: string): string => `
platform: ensemble
max_batch_size: 8
input: [{ name: X, data_type: TYPE_FP32, dims: ${dims} }]
output: [{ name: Y, data_type: TYPE_FP32, dims: ${dims} }]
ensemble_scheduling:
  step: [{ model_name: ${model}, input_map: { ${input}: X }, output_map: { ${output}: Y } }]
`

/** Y = double(T), T = double(Y): each step waits for the other. */
const CYCLE = `
platform: ensemble
max_batch_size: 8
input: [{ name: X, data_type: TYPE_FP32, dims: [16] }]
output: [{ name: Y, data_type: TYPE_FP32, dims: [16] }]
ensemble_scheduling:
  step:
    - { model_name: double, input_map: { x: T }, output_map: { y: Y } }
    - { model_name: double, input_map: { x: Y }, output_map: { y: T } }
`

const f = Math.fround
const expected = (a: number[], b: number[]): { RESULT: number[]; DIFF: number[] } => ({
  RESULT: a.map((x, i) => f(f(2 * x) + f(x + (b[i] as number)))),
  DIFF: a.map((x, i) => f(x - (b[i] as number))),
})

/** Row-major values for [rows, 16], distinct per seed, exactly representable in float32. */
const values = (rows: number, seed: number): number[] => Array.from({ length: rows * 16 }, (_, i) => f(seed * 0.5 + i * 0.25 - 3))

const body = (a: number[], b: number[], outputs?: string[]): Record<string, unknown> => ({
  inputs: [
    { name: 'A', datatype: 'FP32', shape: [a.length / 16, 16], data: a },
    { name: 'B', datatype: 'FP32', shape: [b.length / 16, 16], data: b },
  ],
  ...(outputs === undefined ? {} : { outputs: outputs.map((name) => ({ name })) }),
})

const outputOf = (json: any, name: string): number[] => json.outputs.find((o: any) => o.name === name)?.data

describe('ensembles', () => {
  let repo: TempRepo
  let server: InferdServer
  let url: string
  let grpc: GrpcClients
  const infer = (model: string, payload: unknown): ReturnType<typeof postJson> => postJson(`${url}/v2/models/${model}/infer`, payload)
  /** Requests that reached a model (answered or failed), from its statistics. */
  const handled = async (model: string): Promise<number> => {
    const s = (await getJson(`${url}/v2/models/${model}/stats`)).json.model_stats[0].inference_stats
    return s.success.count + s.fail.count
  }

  beforeAll(async () => {
    repo = await TempRepo.create({
      'add_sub/1/model.onnx': addSubModel('FP32'),
      'double/1/model.onnx': doubleModel(['batch', 16]),
      'runtime_error/1/model.onnx': runtimeErrorModel(),
      'diamond/config.yaml': DIAMOND,
      'missing_step/config.yaml': ONE_STEP('nope', 'x', 'y', '[16]'),
      'failing/config.yaml': ONE_STEP('runtime_error', 'x', 'y', '[-1]'),
      'self_ref/config.yaml': ONE_STEP('self_ref', 'x', 'y', '[16]'),
      'cycle/config.yaml': CYCLE,
    })
    // Triton's layout: an ensemble's version folder exists and holds nothing.
    for (const m of ['diamond', 'missing_step', 'failing', 'self_ref', 'cycle']) await mkdir(join(repo.root, m, '1'), { recursive: true })
    server = await startServer(repo.root)
    url = server.httpUrl
    grpc = connect(server.grpcUrl)
  })
  afterAll(async () => {
    grpc?.close()
    await server?.close()
    await repo?.dispose()
  })

  it('serves an ensemble from an empty version folder, with its declared metadata', async () => {
    expect((await getJson(`${url}/v2/models/diamond/ready`)).status).toBe(200)
    expect((await getJson(`${url}/v2/models/diamond`)).json).toMatchObject({
      name: 'diamond',
      versions: ['1'],
      platform: 'ensemble',
      inputs: [{ name: 'A', datatype: 'FP32', shape: [-1, 16] }, { name: 'B', datatype: 'FP32', shape: [-1, 16] }],
      outputs: [{ name: 'RESULT', datatype: 'FP32', shape: [-1, 16] }, { name: 'DIFF', datatype: 'FP32', shape: [-1, 16] }],
    })
    const config = (await getJson(`${url}/v2/models/diamond/config`)).json
    expect(config.platform).toBe('ensemble')
    expect(config.ensemble_scheduling.step).toEqual([
      { model_name: 'double', model_version: -1, input_map: { x: 'A' }, output_map: { y: 'A2' } },
      { model_name: 'add_sub', model_version: -1, input_map: { INPUT0: 'A', INPUT1: 'B' }, output_map: { OUTPUT0: 'S', OUTPUT1: 'DIFF' } },
      { model_name: 'add_sub', model_version: 1, input_map: { INPUT0: 'A2', INPUT1: 'S' }, output_map: { OUTPUT0: 'RESULT' } },
    ])
  })

  it('computes the diamond over REST, every output or the one asked for', async () => {
    const a = values(3, 1)
    const b = values(3, 7).map((v) => f(v * -2))
    const want = expected(a, b)
    const res = await infer('diamond', body(a, b))
    expect(res.status, res.text).toBe(200)
    expect(res.json).toMatchObject({ model_name: 'diamond', model_version: '1' })
    expect(res.json.outputs.map((o: any) => [o.name, o.shape])).toEqual([['RESULT', [3, 16]], ['DIFF', [3, 16]]])
    expect(outputOf(res.json, 'RESULT')).toEqual(want.RESULT)
    expect(outputOf(res.json, 'DIFF')).toEqual(want.DIFF)

    const only = await infer('diamond', body(a, b, ['DIFF']))
    expect(only.json.outputs.map((o: any) => o.name)).toEqual(['DIFF'])
    expect(outputOf(only.json, 'DIFF')).toEqual(want.DIFF)
  })

  it('computes the diamond over gRPC, and reports ensemble_scheduling in ModelConfig', async () => {
    const a = values(1, 4)
    const b = values(1, 9)
    const want = expected(a, b)
    const res = await callOk(grpc.inference, 'ModelInfer', {
      model_name: 'diamond',
      inputs: [
        { name: 'A', datatype: 'FP32', shape: [1, 16], contents: { fp32_contents: a } },
        { name: 'B', datatype: 'FP32', shape: [1, 16], contents: { fp32_contents: b } },
      ],
    })
    const floats = (buf: Buffer): number[] => [...new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length))]
    expect(res.outputs.map((o: any) => o.name)).toEqual(['RESULT', 'DIFF'])
    expect(floats(res.raw_output_contents[0])).toEqual(want.RESULT)
    expect(floats(res.raw_output_contents[1])).toEqual(want.DIFF)

    const { config } = await callOk(grpc.inference, 'ModelConfig', { name: 'diamond' })
    expect(config.platform).toBe('ensemble')
    expect(config.ensemble_scheduling.step.map((s: any) => [s.model_name, String(s.model_version), s.input_map])).toEqual([
      ['double', '-1', { x: 'A' }],
      ['add_sub', '-1', { INPUT0: 'A', INPUT1: 'B' }],
      ['add_sub', '1', { INPUT0: 'A2', INPUT1: 'S' }],
    ])
  })

  it('answers 50 concurrent requests, each with its own result', async () => {
    const cases = Array.from({ length: 50 }, (_, i) => ({ a: values(1 + (i % 3), i), b: values(1 + (i % 3), 100 - i) }))
    const answers = await Promise.all(cases.map(({ a, b }) => infer('diamond', body(a, b))))
    answers.forEach((res, i) => {
      const { a, b } = cases[i] as { a: number[]; b: number[] }
      expect(res.status, res.text).toBe(200)
      expect(outputOf(res.json, 'RESULT')).toEqual(expected(a, b).RESULT)
      expect(outputOf(res.json, 'DIFF')).toEqual(expected(a, b).DIFF)
    })
    const stats = (await getJson(`${url}/v2/models/diamond/stats`)).json.model_stats[0]
    expect(stats.inference_stats.success.count).toBeGreaterThanOrEqual(50)
  })

  it('refuses bad input with a 400 before any step runs', async () => {
    const before = [await handled('add_sub'), await handled('double')]
    const wrongShape = await infer('diamond', { inputs: [{ name: 'A', datatype: 'FP32', shape: [1, 8], data: values(1, 0).slice(0, 8) }, { name: 'B', datatype: 'FP32', shape: [1, 16], data: values(1, 0) }] })
    expect(wrongShape.status).toBe(400)
    expect(wrongShape.json.code).toBe('INFERD_ERR_TENSOR_SHAPE_MISMATCH')
    const missing = await infer('diamond', { inputs: [{ name: 'A', datatype: 'FP32', shape: [1, 16], data: values(1, 0) }] })
    expect(missing.status).toBe(400)
    expect(missing.json).toMatchObject({ code: 'INFERD_ERR_INPUT_MISSING', error: "model 'diamond' expects input 'B', which the request does not have" })
    const unknownOutput = await infer('diamond', body(values(1, 0), values(1, 0), ['S']))
    expect(unknownOutput.status).toBe(400)
    expect(unknownOutput.json.code).toBe('INFERD_ERR_OUTPUT_UNKNOWN')
    expect([await handled('add_sub'), await handled('double')]).toEqual(before)
  })

  it('fails a request whose step model is missing, naming the step', async () => {
    const res = await infer('missing_step', { inputs: [{ name: 'X', datatype: 'FP32', shape: [1, 16], data: values(1, 0) }] })
    expect(res.status).toBe(503)
    expect(res.json).toMatchObject({
      code: 'INFERD_ERR_MODEL_NOT_READY',
      error: "model 'missing_step' version 1 is not ready: step[0] (model 'nope'): model 'nope' not found",
    })
  })

  it('surfaces the error of a step that fails at run time, with its status', async () => {
    // runtime_error reshapes to [-1, 3]: four values cannot be, and onnxruntime refuses.
    const res = await infer('failing', { inputs: [{ name: 'X', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] })
    expect(res.status).toBe(500)
    expect(res.json.code).toBe('INFERD_ERR_BACKEND_FAILED')
    expect(res.json.error).toMatch(/^ensemble 'failing' step\[0\] \(model 'runtime_error'\): model 'runtime_error' failed during inference: /)
    const grpcRes = await call(grpc.inference, 'ModelInfer', { model_name: 'failing', inputs: [{ name: 'X', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }] })
    expect(grpcRes).toMatchObject({ ok: false, code: 13, errorCode: 'INFERD_ERR_BACKEND_FAILED' })
    // The same ensemble works where the step model does: six values reshape to [2, 3].
    const ok = await infer('failing', { inputs: [{ name: 'X', datatype: 'FP32', shape: [1, 6], data: [1, 2, 3, 4, 5, 6] }] })
    expect(ok.status, ok.text).toBe(200)
    expect(ok.json.outputs).toEqual([{ name: 'Y', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }])
  })

  it('keeps a broken ensemble UNAVAILABLE with a reason naming the step', async () => {
    const index: Array<{ name: string; state: string; reason: string }> = (await postJson(`${url}/v2/repository/index`, {})).json
    const row = (name: string): { state: string; reason: string } | undefined => index.find((r) => r.name === name)
    expect(row('self_ref')?.state).toBe('UNAVAILABLE')
    expect(row('self_ref')?.reason).toContain("ensemble_scheduling.step[0].model_name: 'self_ref' is this ensemble")
    expect(row('cycle')?.state).toBe('UNAVAILABLE')
    expect(row('cycle')?.reason).toContain('steps wait for each other in a cycle')
    const res = await infer('cycle', { inputs: [{ name: 'X', datatype: 'FP32', shape: [1, 16], data: values(1, 0) }] })
    expect(res.status).toBe(503)
    expect(res.json.error).toContain('cycle')
  })
})
