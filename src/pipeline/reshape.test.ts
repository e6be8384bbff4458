import { describe, expect, it } from 'vitest'
import type { Tensor } from '../core/tensor.js'
import type { ResolvedModelConfig } from '../repository/resolved-model-config.js'
import { reshapeInputs, reshapeOutputs } from './reshape.js'

const config = (maxBatch: number): ResolvedModelConfig => ({
  max_batch_size: maxBatch,
  input: [{ name: 'x', data_type: 'FP32', format: 'FORMAT_NONE', dims: [6], reshape: { shape: [2, 3] }, optional: false },
    { name: 'plain', data_type: 'FP32', format: 'FORMAT_NONE', dims: [2], optional: false }],
  output: [{ name: 'y', data_type: 'FP32', dims: [-1], reshape: { shape: [2, 3] } }],
} as unknown as ResolvedModelConfig)

const t = (name: string, shape: number[]): Tensor => ({ name, datatype: 'FP32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) })

describe('reshape', () => {
  it('gives the model its reshape.shape behind the batch dimension, data untouched', () => {
    const x = t('x', [4, 6])
    const [rx, plain] = reshapeInputs([x, t('plain', [4, 2])], config(8))
    expect(rx!.shape).toEqual([4, 2, 3])
    expect(rx!.data).toBe(x.data)
    expect(plain!.shape).toEqual([4, 2])
  })

  it('gives the client the config dims back, sizing -1 from the element count', () => {
    expect(reshapeOutputs([t('y', [4, 2, 3])], config(8))[0]!.shape).toEqual([4, 6])
    expect(reshapeOutputs([t('y', [2, 3])], config(0))[0]!.shape).toEqual([6])
    expect(reshapeInputs([t('x', [6])], config(0))[0]!.shape).toEqual([2, 3])
  })
})
