import { describe, expect, it } from 'vitest'
import type { ModelSignature } from '../core/signature.js'
import type { Tensor } from '../core/tensor.js'
import { InferdError } from '../errors/inferd-error.js'
import { resolveSequence, runFrames, validateSequenceSpec } from './sequence-run.js'

/** Silero VAD v5's signature as the server completes it (max_batch_size 0). */
const SILERO: ModelSignature = {
  maxBatchSize: 0,
  inputs: [
    { name: 'input', datatype: 'FP32', dims: [-1, -1] },
    { name: 'state', datatype: 'FP32', dims: [2, -1, 128] },
    { name: 'sr', datatype: 'INT64', dims: [] },
  ],
  outputs: [
    { name: 'output', datatype: 'FP32', dims: [-1, 1] },
    { name: 'stateN', datatype: 'FP32', dims: [-1, -1, -1] },
  ],
}
const SILERO_SPEC = { state: [{ input: 'state', output: 'stateN' }], constants: { sr: 16000 }, outputs: ['output'] }

function errorOf (fn: () => unknown): InferdError {
  try { fn() } catch (err) { if (err instanceof InferdError) return err; throw err }
  throw new Error('expected an InferdError')
}

describe('validateSequenceSpec', () => {
  it('accepts the Silero spec', () => {
    expect(validateSequenceSpec(SILERO_SPEC, 'vad')).toEqual(SILERO_SPEC)
  })

  it.each([
    [[], 'must be a mapping'],
    [{ state: [], outputs: ['o'] }, `'state' must be a list of { input, output }`],
    [{ state: [{ input: 'h' }] }, `state 0 needs 'input' and 'output'`],
    [{ state: [{ input: 'h', output: 'hn', size: 3 }] }, `state 0: unknown field 'size'`],
    [{ state: [{ input: 'h', output: 'hn', shape: [2, 0] }] }, `state 0: 'shape' must be a list of positive integers`],
    [{ state: [{ input: 'h', output: 'hn' }], constants: { sr: 'x' } }, `constant 'sr' must be a number or a non-empty list of numbers`],
    [{ state: [{ input: 'h', output: 'hn' }], outputs: [] }, `'outputs' must be a non-empty list of output names`],
    [{ state: [{ input: 'h', output: 'hn' }], batch: true }, `unknown field 'batch'`],
  ])('refuses %j', (value, message) => {
    expect(errorOf(() => validateSequenceSpec(value, 'vad')).message).toContain(`model 'vad': sequence: ${message}`)
  })
})

describe('resolveSequence', () => {
  it('takes each variable state dimension as 1 and types constants from the model', () => {
    const seq = resolveSequence(SILERO_SPEC, 'input', 576, SILERO, 'vad')
    expect(seq.states).toEqual([{ input: 'state', output: 'stateN', datatype: 'FP32', shape: [2, 1, 128] }])
    expect(seq.constants).toEqual([{ name: 'sr', datatype: 'INT64', shape: [], data: BigInt64Array.of(16000n) }])
    expect(seq.outputs).toEqual(['output'])
  })

  it('collects every output that is not a state by default', () => {
    expect(resolveSequence({ state: SILERO_SPEC.state, constants: { sr: 8000 } }, 'input', 288, SILERO, 'vad').outputs).toEqual(['output'])
  })

  it('puts a batch dimension of 1 in front for a model that batches', () => {
    const batching: ModelSignature = {
      maxBatchSize: 8,
      inputs: [{ name: 'x', datatype: 'FP32', dims: [400] }, { name: 'h', datatype: 'FP32', dims: [64] }, { name: 'k', datatype: 'INT32', dims: [2] }],
      outputs: [{ name: 'y', datatype: 'FP32', dims: [3] }, { name: 'hn', datatype: 'FP32', dims: [64] }],
    }
    const seq = resolveSequence({ state: [{ input: 'h', output: 'hn' }], constants: { k: [3, 4] } }, 'x', 400, batching, 'm')
    expect(seq.states[0]?.shape).toEqual([1, 64])
    expect(errorOf(() => resolveSequence({ state: [{ input: 'h', output: 'hn' }], constants: { k: [3, 4] } }, 'x', 512, batching, 'm')).message)
      .toContain(`the frame input 'x' has shape [-1, 400]; each frame is fed as [1, 512]`)
  })

  it.each([
    [{ state: [{ input: 'state', output: 'stateN' }] }, `the model's input 'sr' is not the frame input, a state or a constant`],
    [{ state: [{ input: 'h', output: 'stateN' }], constants: { sr: 1 } }, `a state 'h' is not an input of the model (inputs: input, state, sr)`],
    [{ state: [{ input: 'state', output: 'hn' }], constants: { sr: 1 } }, `state output 'hn' is not an output of the model`],
    [{ state: [{ input: 'state', output: 'stateN', shape: [2, 1, 64] }], constants: { sr: 1 } }, `state 'state' has shape [2, -1, 128]; [2, 1, 64] does not fit it`],
    [{ state: [{ input: 'state', output: 'stateN' }], constants: { sr: [1, 2] } }, `constant 'sr' of shape [2] does not fit the input's shape []`],
    [{ state: [{ input: 'state', output: 'stateN' }], constants: { sr: 1.5 } }, `constant 'sr' must be a whole number for INT64`],
    [{ state: [{ input: 'state', output: 'stateN' }], constants: { sr: 1, state: 0 } }, `input 'state' is used twice`],
    [{ state: [{ input: 'state', output: 'stateN' }], constants: { sr: 1 }, outputs: ['stateN'] }, `output 'stateN' is a state`],
  ])('refuses %j', (spec, message) => {
    const err = errorOf(() => resolveSequence(spec, 'input', 576, SILERO, 'vad'))
    expect(err.code).toBe('INFERD_ERR_MODEL_CONFIG_INVALID')
    expect(err.message).toContain(`model 'vad': sequence: ${message}`)
  })

  it('refuses a frame input of another datatype or rank', () => {
    const sig: ModelSignature = { ...SILERO, inputs: [{ name: 'input', datatype: 'FP32', dims: [-1] }, ...SILERO.inputs.slice(1)] }
    expect(errorOf(() => resolveSequence(SILERO_SPEC, 'input', 576, sig, 'vad')).message).toContain(`the frame input 'input' has shape [-1]`)
  })
})

describe('runFrames', () => {
  const seq = resolveSequence(SILERO_SPEC, 'input', 3, SILERO, 'vad')
  const frames: Tensor<'FP32'> = { name: 'audio', datatype: 'FP32', shape: [4, 3], data: Float32Array.of(1, 1, 1, 2, 2, 2, 0, 0, 0, 5, 0, 0) }

  /**
   * A stand-in model that makes the carried state visible: stateN = state + sum(frame) in every
   * element, output = stateN[0] · sr / 16000. It records what it was given.
   */
  function accumulator (): { run: (inputs: Tensor[]) => Promise<Tensor[]>; calls: Tensor[][] } {
    const calls: Tensor[][] = []
    return {
      calls,
      run: async (inputs) => {
        calls.push(inputs)
        const by = new Map(inputs.map((t) => [t.name, t]))
        const frame = by.get('input')?.data as Float32Array
        const state = by.get('state')?.data as Float32Array
        const sr = Number((by.get('sr')?.data as BigInt64Array)[0])
        const sum = frame.reduce((a, b) => a + b, 0)
        const next = state.map((v) => v + sum)
        return [
          { name: 'output', datatype: 'FP32', shape: [1, 1], data: Float32Array.of((next[0] as number) * sr / 16000) },
          { name: 'stateN', datatype: 'FP32', shape: [2, 1, 128], data: next },
        ]
      },
    }
  }

  it('runs frames in order, carrying the state and repeating the constants', async () => {
    const model = accumulator()
    const [out] = await runFrames(frames, seq, model.run)
    expect(out).toEqual({ name: 'output', datatype: 'FP32', shape: [4, 1], data: Float32Array.of(3, 9, 9, 14) })
    expect(model.calls).toHaveLength(4)
    for (const call of model.calls) {
      expect(call.map((t) => [t.name, t.shape])).toEqual([['input', [1, 3]], ['state', [2, 1, 128]], ['sr', []]])
    }
    expect(Array.from(model.calls[0]?.[1]?.data as Float32Array).every((v) => v === 0)).toBe(true)
    expect(Array.from(model.calls[3]?.[0]?.data as Float32Array)).toEqual([5, 0, 0])
  })

  it('starts every item from a zero state', async () => {
    const model = accumulator()
    const [a] = await runFrames(frames, seq, model.run)
    const [b] = await runFrames(frames, seq, model.run)
    expect(b?.data).toEqual(a?.data)
  })

  it('fails with BACKEND_FAILED when the model returns a state of another size or leaves out an output', async () => {
    const shrink = async (): Promise<Tensor[]> => [
      { name: 'output', datatype: 'FP32', shape: [1, 1], data: Float32Array.of(0) },
      { name: 'stateN', datatype: 'FP32', shape: [2, 1, 64], data: new Float32Array(128) },
    ]
    await expect(runFrames(frames, seq, shrink)).rejects.toMatchObject({
      code: 'INFERD_ERR_BACKEND_FAILED',
      message: `model 'vad' failed during inference: sequence: state output 'stateN' is FP32[2, 1, 64], the state input 'state' takes FP32[2, 1, 128]`,
    })
    const noOutput = async (): Promise<Tensor[]> => [{ name: 'stateN', datatype: 'FP32', shape: [2, 1, 128], data: new Float32Array(256) }]
    await expect(runFrames(frames, seq, noOutput)).rejects.toMatchObject({ message: expect.stringContaining(`frame 0: the model returned no output 'output'`) })
  })
})
