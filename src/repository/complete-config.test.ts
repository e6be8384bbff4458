import { describe, expect, it } from 'vitest'
import type { DeclaredSignature } from '../backends/backend.js'
import { configProblem } from '../../test/helpers/catch-inferd-error.js'
import { type CompleteConfigOptions, completeConfig } from './complete-config.js'
import { type ModelConfig, parseModelConfig } from './model-config.js'

const options: CompleteConfigOptions = {
  modelName: 'm',
  backend: { name: 'onnxruntime', platform: 'onnxruntime_onnx', defaultModelFilename: 'model.onnx' },
  defaultMaxBatchSize: 256,
}

/** A model with a batch dimension on everything: x f32[-1,4], ids i64[-1,-1] → y f32[-1,3], z f32[-1]. */
const batching: DeclaredSignature = {
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }, { name: 'ids', datatype: 'INT64', shape: [-1, -1] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 3] }, { name: 'z', datatype: 'FP32', shape: [-1] }],
}

/** A model with fixed shapes: a f32[1,4] → b f32[1,2]. */
const fixed: DeclaredSignature = {
  inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 4] }],
  outputs: [{ name: 'b', datatype: 'FP32', shape: [1, 2] }],
}

function config (yaml: string): ModelConfig {
  return parseModelConfig(yaml, { modelName: 'm', file: 'config.yaml' })
}

function refusal (cfg: ModelConfig, declared: DeclaredSignature, opts: CompleteConfigOptions = options): string {
  return configProblem(() => completeConfig(cfg, declared, opts))
}

describe('completeConfig', () => {
  it('takes everything from the model when there is no config, and detects batching', () => {
    const { config: c, signature } = completeConfig({}, batching, options)
    expect(signature).toEqual({
      maxBatchSize: 256,
      inputs: [{ name: 'x', datatype: 'FP32', dims: [4] }, { name: 'ids', datatype: 'INT64', dims: [-1] }],
      outputs: [{ name: 'y', datatype: 'FP32', dims: [3] }, { name: 'z', datatype: 'FP32', dims: [] }],
    })
    expect(c).toEqual({
      name: 'm',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      default_model_filename: 'model.onnx',
      version_policy: { latest: { num_versions: 1 } },
      max_batch_size: 256,
      input: [
        { name: 'x', data_type: 'FP32', format: 'FORMAT_NONE', dims: [4], optional: false },
        { name: 'ids', data_type: 'INT64', format: 'FORMAT_NONE', dims: [-1], optional: false },
      ],
      output: [{ name: 'y', data_type: 'FP32', dims: [3] }, { name: 'z', data_type: 'FP32', dims: [] }],
      instance_group: [{ name: 'm_0', kind: 'KIND_CPU', count: 1, gpus: [] }],
      optimization: { graph: { level: 0 }, execution_accelerators: { gpu_execution_accelerator: [], cpu_execution_accelerator: [] } },
      parameters: {},
      model_warmup: [],
    })
  })

  it('does not batch a model with a fixed first dimension: dims are full shapes', () => {
    const { signature } = completeConfig({}, fixed, options)
    expect(signature.maxBatchSize).toBe(0)
    expect(signature.inputs[0]?.dims).toEqual([1, 4])
  })

  it('does not batch when one tensor lacks the variable first dimension', () => {
    const declared: DeclaredSignature = { inputs: batching.inputs, outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 3] }] }
    expect(completeConfig({}, declared, options).signature.maxBatchSize).toBe(0)
  })

  it('does not batch when detection is off (defaultMaxBatchSize 0)', () => {
    const { signature } = completeConfig({}, batching, { ...options, defaultMaxBatchSize: 0 })
    expect(signature.maxBatchSize).toBe(0)
    expect(signature.inputs[0]?.dims).toEqual([-1, 4])
  })

  it('does not batch when the config writes full-rank dims', () => {
    const { signature } = completeConfig(config('input: [{ name: x, dims: [-1, 4] }]'), batching, options)
    expect(signature.maxBatchSize).toBe(0)
    expect(signature.inputs[0]?.dims).toEqual([-1, 4])
  })

  it('keeps a config max_batch_size, and refuses it on a fixed first dimension', () => {
    expect(completeConfig(config('max_batch_size: 8'), batching, options).signature.maxBatchSize).toBe(8)
    expect(refusal(config('max_batch_size: 8'), fixed)).toContain("max_batch_size 8 but input 'a' has fixed first dimension 1")
    const scalarOut: DeclaredSignature = { inputs: batching.inputs, outputs: [{ name: 's', datatype: 'FP32', shape: [] }] }
    expect(refusal(config('max_batch_size: 8'), scalarOut)).toContain("output 's' is a scalar")
  })

  it('honours max_batch_size 0 on a batching model: the batch dimension stays in dims', () => {
    const { signature } = completeConfig(config('max_batch_size: 0'), batching, options)
    expect(signature.maxBatchSize).toBe(0)
    expect(signature.outputs[0]?.dims).toEqual([-1, 3])
  })

  it('refuses a datatype that contradicts the model', () => {
    expect(refusal(config('input: [{ name: x, data_type: TYPE_INT32 }]'), batching))
      .toBe("model 'm': input 'x' data_type: config says TYPE_INT32, the model says TYPE_FP32")
  })

  it('refuses dims that contradict the model, naming both', () => {
    expect(refusal(config('max_batch_size: 4\ninput: [{ name: x, dims: [5] }]'), batching))
      .toContain("input 'x' dims: config says [5], the model says [4] (without the batch dimension)")
    expect(refusal(config('input: [{ name: a, dims: [1, 4, 1] }]'), fixed)).toContain("input 'a' dims: config says [1, 4, 1], the model says [1, 4]")
    // A config -1 where the model is fixed would let requests through that the model cannot take.
    expect(refusal(config('input: [{ name: a, dims: [-1, 4] }]'), fixed)).toContain("input 'a' dims: config says [-1, 4], the model says [1, 4]")
  })

  it('lets the config fix a variable dimension', () => {
    const { signature } = completeConfig(config('max_batch_size: 4\ninput: [{ name: ids, dims: [7] }]'), batching, options)
    expect(signature.inputs.find((t) => t.name === 'ids')?.dims).toEqual([7])
  })

  it('refuses tensor names the model does not have', () => {
    expect(refusal(config('input: [{ name: INPUT0 }]'), batching)).toContain("input 'INPUT0' is not an input of the model (the model's inputs: x, ids)")
    expect(refusal(config('output: [{ name: OUT }]'), batching)).toContain("output 'OUT' is not an output of the model (the model's outputs: y, z)")
  })

  it('serves only the outputs the config lists, and adds the inputs it leaves out', () => {
    const { signature, config: c } = completeConfig(config('input: [{ name: ids, optional: true }]\noutput: [{ name: z, label_filename: labels.txt }]'), batching, options)
    expect(signature.inputs.map((t) => [t.name, t.optional])).toEqual([['ids', true], ['x', undefined]])
    expect(signature.outputs.map((t) => t.name)).toEqual(['z'])
    expect(c.output[0]?.label_filename).toBe('labels.txt')
  })

  it('compares reshape.shape with the model and serves dims', () => {
    const declared: DeclaredSignature = { inputs: [{ name: 'img', datatype: 'UINT8', shape: [-1, 2, 2] }], outputs: [{ name: 'o', datatype: 'FP32', shape: [-1] }] }
    const { signature, config: c } = completeConfig(config('max_batch_size: 2\ninput: [{ name: img, dims: [4], reshape: { shape: [2, 2] } }]'), declared, options)
    expect(signature.inputs[0]?.dims).toEqual([4])
    expect(c.input[0]?.reshape).toEqual({ shape: [2, 2] })
    expect(refusal(config('max_batch_size: 2\ninput: [{ name: img, dims: [4], reshape: { shape: [4] } }]'), declared))
      .toContain("input 'img' reshape.shape: config says [4], the model says [2, 2]")
  })

  it('needs dims from somewhere', () => {
    const unknown: DeclaredSignature = { inputs: [{ name: 'u', datatype: 'FP32', shape: undefined }], outputs: [{ name: 'v', datatype: 'FP32', shape: undefined }] }
    expect(refusal({}, unknown)).toContain("input 'u': the model does not declare its shape; give dims in the config")
    const { signature } = completeConfig(config('input: [{ name: u, dims: [3] }]\noutput: [{ name: v, dims: [3] }]'), unknown, options)
    expect(signature).toEqual({ maxBatchSize: 0, inputs: [{ name: 'u', datatype: 'FP32', dims: [3] }], outputs: [{ name: 'v', datatype: 'FP32', dims: [3] }] })
  })

  it('fills dynamic batching defaults, one queue policy per priority level', () => {
    const { config: c } = completeConfig(config(`
dynamic_batching:
  preferred_batch_size: [8, 4]
  priority_levels: 2
  default_priority_level: 2
  default_queue_policy: { max_queue_size: 5 }
  priority_queue_policy: { 1: { timeout_action: DELAY } }
`), batching, options)
    const reject = { timeout_action: 'REJECT', default_timeout_microseconds: 0, allow_timeout_override: false, max_queue_size: 5 }
    expect(c.dynamic_batching).toEqual({
      preferred_batch_size: [4, 8],
      max_queue_delay_microseconds: 0,
      preserve_ordering: false,
      priority_levels: 2,
      default_priority_level: 2,
      default_queue_policy: reject,
      priority_queue_policy: {
        1: { timeout_action: 'DELAY', default_timeout_microseconds: 0, allow_timeout_override: false, max_queue_size: 0 },
        2: reject,
      },
    })
    expect(refusal(config('max_batch_size: 4\ndynamic_batching: { preferred_batch_size: [8] }'), batching))
      .toContain('dynamic_batching.preferred_batch_size: 8 is larger than max_batch_size 4')
  })

  it('resolves instance groups and warmup', () => {
    const { config: c } = completeConfig(config(`
instance_group: [{ count: 2 }, { kind: KIND_GPU, gpus: [0] }]
model_warmup: [{ name: w, inputs: { x: { data_type: FP32, dims: [4], random_data: true } } }]
`), batching, { ...options, gpuAvailable: false })
    expect(c.instance_group).toEqual([
      { name: 'm_0', kind: 'KIND_CPU', count: 2, gpus: [] },
      { name: 'm_1', kind: 'KIND_GPU', count: 1, gpus: [0] },
    ])
    expect(c.model_warmup).toEqual([{ name: 'w', batch_size: 1, count: 1, inputs: { x: { data_type: 'FP32', dims: [4], random_data: true } } }])
    expect(completeConfig({}, batching, { ...options, gpuAvailable: true }).config.instance_group[0]?.kind).toBe('KIND_GPU')
    expect(refusal(config('model_warmup: [{ name: w, inputs: { q: { data_type: FP32, dims: [1], zero_data: true } } }]'), batching))
      .toContain("model_warmup[0].inputs: 'q' is not an input of the model")
    expect(refusal(config('model_warmup: [{ name: w, batch_size: 2, inputs: {} }]'), fixed))
      .toContain('model_warmup[0].batch_size: 2 is larger than 1 (the model does not batch)')
  })
})
