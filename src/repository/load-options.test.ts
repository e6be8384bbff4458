import { describe, expect, it } from 'vitest'
import { backendNameFor, sessionOptionsFor } from './load-options.js'
import { parseModelConfig } from './model-config.js'

const config = (yaml: string) => parseModelConfig(yaml, { modelName: 'm', file: 'config.yaml' })

describe('backendNameFor', () => {
  it('takes backend, else the platform\'s backend, else onnxruntime', () => {
    expect(backendNameFor('m', config('backend: custom'))).toBe('custom')
    expect(backendNameFor('m', config('platform: onnxruntime_onnx'))).toBe('onnxruntime')
    expect(backendNameFor('m', {})).toBe('onnxruntime')
  })

  it('refuses an unknown platform and a platform that disagrees with backend', () => {
    expect(() => backendNameFor('m', config('platform: pytorch_libtorch'))).toThrow(/platform 'pytorch_libtorch' is not served/)
    expect(() => backendNameFor('m', config('platform: onnxruntime_onnx\nbackend: tfjs'))).toThrow(/belongs to backend 'onnxruntime'/)
  })
})

describe('sessionOptionsFor', () => {
  it('sets nothing for an empty config', () => {
    expect(sessionOptionsFor('m', {}, false)).toEqual({})
  })

  it('maps graph level, accelerators and thread parameters as Triton\'s onnxruntime backend does', () => {
    const c = config(`
optimization:
  graph: { level: -1 }
  execution_accelerators:
    gpu_execution_accelerator: [{ name: tensorrt }]
    cpu_execution_accelerator: [{ name: openvino }]
parameters:
  intra_op_thread_count: { string_value: "1" }
  inter_op_thread_count: 2
`)
    expect(sessionOptionsFor('m', c, true)).toEqual({
      graphOptimizationLevel: 'basic',
      executionProviders: ['tensorrt', 'cuda', 'openvino'],
      intraOpThreads: 1,
      interOpThreads: 2,
    })
    expect(sessionOptionsFor('m', c, false).executionProviders).toEqual(['openvino'])
    expect(sessionOptionsFor('m', config('optimization: { graph: { level: 1 } }'), false).graphOptimizationLevel).toBe('extended')
    expect(sessionOptionsFor('m', config('optimization: { graph: { level: 0 } }'), false).graphOptimizationLevel).toBe('all')
  })

  it('refuses a thread count that is not a whole number', () => {
    expect(() => sessionOptionsFor('m', config('parameters: { intra_op_thread_count: two }'), false)).toThrow(/parameters.intra_op_thread_count: expected a whole number/)
  })
})
