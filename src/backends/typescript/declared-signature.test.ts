import { describe, expect, it } from 'vitest'
import { signatureFromConfig } from './declared-signature.js'

describe('signatureFromConfig', () => {
  it('declares the config\'s tensors as the model\'s, behind a variable batch dimension when it batches', () => {
    const sig = signatureFromConfig({
      max_batch_size: 8,
      input: [{ name: 'x', data_type: 'FP32', dims: [4], reshape: { shape: [2, 2] } }],
      output: [{ name: 'y', data_type: 'BYTES', dims: [] }],
    })
    expect(sig.declared).toEqual({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2, 2] }],
      outputs: [{ name: 'y', datatype: 'BYTES', shape: [-1] }],
    })
    expect(sig.inputs).toEqual([{ name: 'x', datatype: 'FP32', dims: [2, 2] }])
    expect(sig.maxBatchSize).toBe(8)
  })

  it('takes dims as the full shape when the model does not batch', () => {
    const sig = signatureFromConfig({ input: [{ name: 'x', data_type: 'INT64', dims: [-1, 3] }], output: [{ name: 'y', data_type: 'FP32', dims: [1] }] })
    expect(sig.declared.inputs).toEqual([{ name: 'x', datatype: 'INT64', shape: [-1, 3] }])
    expect(sig.maxBatchSize).toBe(0)
  })

  it('refuses a config that leaves the signature incomplete, naming what is missing', () => {
    expect(() => signatureFromConfig(undefined)).toThrow(/takes the signature from config.yaml, and none was given/)
    expect(() => signatureFromConfig({ output: [{ name: 'y', data_type: 'FP32', dims: [1] }] })).toThrow(/list the model's inputs under 'input:'/)
    expect(() => signatureFromConfig({ input: [{ name: 'x', data_type: 'FP32', dims: [1] }], output: [{ name: 'y', dims: [1] }] })).toThrow(/output 'y' needs data_type and dims/)
  })
})
