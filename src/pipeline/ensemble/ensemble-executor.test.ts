import { describe, expect, it } from 'vitest'
import { Cancellation, type CancelSignal } from '../../core/cancellation.js'
import type { InferenceRequest, InferenceResponse } from '../../core/inference.js'
import type { Tensor } from '../../core/tensor.js'
import { Errors, InferdError } from '../../errors/index.js'
import { completeConfig } from '../../repository/complete-config.js'
import { parseModelConfig } from '../../repository/model-config.js'
import type { InferOptions } from '../inference-engine.js'
import { type EnsembleModel, type EnsembleSeen, runEnsemble, type StepEngine } from './ensemble-executor.js'
import { ENSEMBLE_BACKEND, ensembleSession } from './ensemble-session.js'

/** A served ensemble version built the way the repository builds one: parse, declare, complete. */
function ensembleModel (name: string, yaml: string): EnsembleModel {
  const config = parseModelConfig(yaml, { modelName: name, file: `${name}/config.yaml` })
  const completed = completeConfig(config, ensembleSession(config).declared, { modelName: name, backend: ENSEMBLE_BACKEND, defaultMaxBatchSize: 0 })
  return { name, version: '1', ...completed, labels: new Map() }
}

/** A → double → A2; (A, B) → add_sub → S, DIFF; (A2, S) → combine → RESULT = 2A + (A + B). Steps listed out of order on purpose. */
const DIAMOND = ensembleModel('ens', `
platform: ensemble
max_batch_size: 4
input:
  - { name: A, data_type: TYPE_FP32, dims: [2] }
  - { name: B, data_type: TYPE_FP32, dims: [2] }
output:
  - { name: RESULT, data_type: TYPE_FP32, dims: [2] }
  - { name: DIFF, data_type: TYPE_FP32, dims: [2] }
ensemble_scheduling:
  step:
    - { model_name: combine, input_map: { INPUT0: A2, INPUT1: S }, output_map: { OUTPUT0: RESULT } }
    - { model_name: double, model_version: 3, input_map: { x: A }, output_map: { y: A2 } }
    - { model_name: add_sub, input_map: { INPUT0: A, INPUT1: B }, output_map: { OUTPUT0: S, OUTPUT1: DIFF } }
`)

const f32 = (name: string, values: number[]): Tensor => ({ name, datatype: 'FP32', shape: [1, values.length], data: Float32Array.from(values) })
const valuesOf = (t: Tensor | undefined): number[] => [...(t?.data as Float32Array)]

/** What each step model computes, from its request's inputs, for the outputs asked. */
const COMPUTE: Record<string, (inputs: Map<string, number[]>) => Record<string, number[]>> = {
  double: (i) => ({ y: (i.get('x') ?? []).map((v) => 2 * v) }),
  add_sub: (i) => ({ OUTPUT0: (i.get('INPUT0') ?? []).map((v, k) => v + (i.get('INPUT1')?.[k] ?? 0)), OUTPUT1: (i.get('INPUT0') ?? []).map((v, k) => v - (i.get('INPUT1')?.[k] ?? 0)) }),
}
COMPUTE['combine'] = COMPUTE['add_sub'] as (typeof COMPUTE)[string]

interface Call { req: InferenceRequest; signal: CancelSignal | undefined; finish: (err?: Error) => void }

/** An engine whose step requests wait until the test finishes them: the order of events is the test's. */
class ScriptedEngine implements StepEngine {
  readonly calls: Call[] = []
  infer (req: InferenceRequest, opts?: InferOptions): Promise<InferenceResponse> {
    return new Promise((resolve, reject) => {
      this.calls.push({
        req,
        signal: opts?.signal,
        finish: (err) => {
          if (err !== undefined) return reject(err)
          const results = (COMPUTE[req.modelName] as (typeof COMPUTE)[string])(new Map(req.inputs.map((t) => [t.name, valuesOf(t)])))
          resolve({ modelName: req.modelName, modelVersion: '1', outputs: (req.outputs ?? []).map((o) => f32(o.name, results[o.name] ?? [])) })
        },
      })
    })
  }

  call (model: string): Call {
    const found = this.calls.find((c) => c.req.modelName === model)
    if (found === undefined) throw new Error(`no call to '${model}' (calls: ${this.calls.map((c) => c.req.modelName).join(', ')})`)
    return found
  }

  started (): string[] { return this.calls.map((c) => c.req.modelName).sort() }
}

/** Lets every promise reaction that is ready run. */
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

const request = (outputs?: string[]): InferenceRequest => ({
  modelName: 'ens',
  inputs: [f32('A', [1, 2]), f32('B', [10, 20])],
  ...(outputs === undefined ? {} : { outputs: outputs.map((name) => ({ name })) }),
  parameters: { priority: 1, binary_data_output: true },
})

describe('runEnsemble', () => {
  it('starts independent steps together and a step once all its inputs exist', async () => {
    const engine = new ScriptedEngine()
    const seen: EnsembleSeen = { rows: 0, times: undefined }
    const result = runEnsemble(engine, DIAMOND, request(), {}, seen)
    await settled()
    expect(engine.started()).toEqual(['add_sub', 'double'])

    engine.call('double').finish()
    await settled()
    expect(engine.started()).toEqual(['add_sub', 'double']) // combine still waits for S

    engine.call('add_sub').finish()
    await settled()
    expect(engine.started()).toEqual(['add_sub', 'combine', 'double'])
    const combine = engine.call('combine').req
    expect(combine.inputs.map((t) => [t.name, valuesOf(t)])).toEqual([['INPUT0', [2, 4]], ['INPUT1', [11, 22]]])
    expect(combine.outputs).toEqual([{ name: 'OUTPUT0' }])
    engine.call('combine').finish()

    const response = await result
    expect(response.modelName).toBe('ens')
    expect(response.outputs.map((t) => [t.name, valuesOf(t)])).toEqual([['RESULT', [13, 26]], ['DIFF', [-9, -18]]])
    expect(seen.rows).toBe(1)
    expect(seen.times).toBeDefined()
  })

  it('maps versions and inherits only scheduling parameters', async () => {
    const engine = new ScriptedEngine()
    const result = runEnsemble(engine, DIAMOND, request())
    await settled()
    engine.call('add_sub').finish()
    engine.call('double').finish()
    await settled()
    engine.call('combine').finish()
    await result
    expect(engine.call('add_sub').req.modelVersion).toBeUndefined() // -1 by default: the latest
    expect(engine.call('double').req.modelVersion).toBe('3')
    expect(engine.calls.map((c) => c.req.parameters)).toEqual([{ priority: 1 }, { priority: 1 }, { priority: 1 }])
  })

  it('runs only the steps the requested outputs need', async () => {
    const engine = new ScriptedEngine()
    const result = runEnsemble(engine, DIAMOND, request(['DIFF']))
    await settled()
    expect(engine.started()).toEqual(['add_sub'])
    expect(engine.call('add_sub').req.outputs).toEqual([{ name: 'OUTPUT1' }])
    engine.call('add_sub').finish()
    expect((await result).outputs.map((t) => [t.name, valuesOf(t)])).toEqual([['DIFF', [-9, -18]]])
  })

  it('fails with the step error (same code, step named), cancels the other steps and starts no dependent', async () => {
    const engine = new ScriptedEngine()
    const result = runEnsemble(engine, DIAMOND, request())
    result.catch(() => {})
    await settled()
    engine.call('add_sub').finish(new InferdError(Errors.BACKEND_FAILED, ['add_sub', 'boom']))
    const err = await result.then(() => undefined, (e: unknown) => e as InferdError)
    expect(err).toBeInstanceOf(InferdError)
    expect(err?.code).toBe(Errors.BACKEND_FAILED.code)
    expect(err?.message).toBe("ensemble 'ens' step[2] (model 'add_sub'): model 'add_sub' failed during inference: boom")
    expect(engine.call('double').signal?.aborted).toBe(true)
    engine.call('double').finish()
    await settled()
    expect(engine.started()).toEqual(['add_sub', 'double'])
  })

  it('turns a missing step model into the ensemble not being ready', async () => {
    const engine = new ScriptedEngine()
    const result = runEnsemble(engine, DIAMOND, request(['DIFF']))
    await settled()
    engine.call('add_sub').finish(new InferdError(Errors.MODEL_NOT_FOUND, ['add_sub']))
    await expect(result).rejects.toMatchObject({ code: Errors.MODEL_NOT_READY.code, message: "model 'ens' version 1 is not ready: step[2] (model 'add_sub'): model 'add_sub' not found" })
  })

  it('passes the request cancellation on to every step', async () => {
    const engine = new ScriptedEngine()
    const cancellation = new Cancellation()
    const result = runEnsemble(engine, DIAMOND, request(), { signal: cancellation })
    result.catch(() => {})
    await settled()
    expect(engine.calls.every((c) => c.signal?.aborted === false)).toBe(true)
    cancellation.cancel()
    expect(engine.calls.map((c) => c.signal?.aborted)).toEqual([true, true])
    // What a scheduler does with a cancelled request: it fails it.
    for (const c of engine.calls) c.finish(new InferdError(Errors.REQUEST_CANCELLED))
    await expect(result).rejects.toMatchObject({ code: Errors.REQUEST_CANCELLED.code })
    expect(engine.started()).toEqual(['add_sub', 'double'])
  })

  it('refuses a step output that contradicts the declared ensemble output', async () => {
    const engine: StepEngine = {
      infer: async (req) => ({ modelName: req.modelName, modelVersion: '1', outputs: [{ name: 'OUTPUT1', datatype: 'INT32', shape: [1, 2], data: Int32Array.of(1, 2) }] }),
    }
    await expect(runEnsemble(engine, DIAMOND, request(['DIFF']))).rejects.toMatchObject({
      code: Errors.BACKEND_FAILED.code,
      message: "model 'ens' failed during inference: output 'DIFF' came out INT32 [1, 2], but the ensemble declares FP32 [-1, 2]",
    })
  })

  it('stops ensembles that run each other in a loop', async () => {
    const inner = ensembleModel('inner', `
platform: ensemble
input: [{ name: X, data_type: TYPE_FP32, dims: [-1, 2] }]
output: [{ name: Y, data_type: TYPE_FP32, dims: [-1, 2] }]
ensemble_scheduling: { step: [{ model_name: outer, input_map: { A: X }, output_map: { RESULT: Y } }] }
`)
    const outer = ensembleModel('outer', `
platform: ensemble
input: [{ name: A, data_type: TYPE_FP32, dims: [-1, 2] }]
output: [{ name: RESULT, data_type: TYPE_FP32, dims: [-1, 2] }]
ensemble_scheduling: { step: [{ model_name: inner, input_map: { X: A }, output_map: { Y: RESULT } }] }
`)
    const models = new Map([['inner', inner], ['outer', outer]])
    const engine: StepEngine = {
      infer (req, opts) { return runEnsemble(engine, models.get(req.modelName) as EnsembleModel, req, opts) },
    }
    const err = await engine.infer({ modelName: 'outer', inputs: [f32('A', [1, 2])] }).then(() => undefined, (e: unknown) => e as InferdError)
    expect(err?.code).toBe(Errors.MODEL_CONFIG_INVALID.code)
    expect(err?.message).toContain('ensembles run each other in a loop: outer → inner → outer')
  })
})
