import { describe, expect, it } from 'vitest'
import type { Tensor } from '../../core/tensor.js'
import { type ValueOptions, valueStage } from './value.js'

/** The regression stage: values back in the target's units, a number per item or a list. */

function outputs (shape: number[], values: number[]): Map<string, Tensor> {
  return new Map([['y', { name: 'y', datatype: 'FP32', shape, data: Float32Array.from(values) }]])
}

const stage = (o: Partial<ValueOptions> = {}) => valueStage({ name: 'price', model: 'm', tensor: 'y', width: 1, ...o })

describe('valueStage', () => {
  it('a scalar output reads as one number per item, unchanged without unscale', () => {
    const s = stage()
    expect(s.decode(outputs([3, 1], [1.5, -2, 0]), 3)).toEqual([1.5, -2, 0])
    expect(s).toMatchObject({ datatype: 'FP32', dims: [], describe: 'number' })
  })

  it('unscale { mean, std }: y·std + mean', () => {
    const s = stage({ unscale: { mean: 23.5, std: 8 } })
    expect(s.decode(outputs([3], [0, 1, -1.5]), 3)).toEqual([23.5, 31.5, 11.5])
  })

  it('unscale { min, max }: y·(max − min) + min', () => {
    const s = stage({ unscale: { min: 10, max: 50 } })
    expect(s.decode(outputs([3, 1], [0, 1, 0.25]), 3)).toEqual([10, 50, 20])
  })

  it('a vector output reads as a list per item, each value unscaled', () => {
    const s = stage({ width: 2, unscale: { mean: 1, std: 2 } })
    expect(s.decode(outputs([2, 2], [0, 1, 2, 3]), 2)).toEqual([[1, 3], [5, 7]])
    expect(s).toMatchObject({ dims: [2], describe: 'list of numbers' })
  })

  it('a variable-width output is always a list, even when an item has one value', () => {
    const s = stage({ width: undefined })
    expect(s.dims).toEqual([-1])
    expect(s.decode(outputs([2, 1], [4, 5]), 2)).toEqual([[4], [5]])
    expect(s.decode(outputs([1, 3], [4, 5, 6]), 1)).toEqual([[4, 5, 6]])
  })

  describe('the /v2 tensor', () => {
    it('scalar: FP32 [n], unscaled', () => {
      const t = stage({ unscale: { mean: 10, std: 2 } }).toTensor(outputs([2, 1], [1, -1]), 2)
      expect(t).toMatchObject({ name: 'price', datatype: 'FP32', shape: [2] })
      expect(Array.from(t.data as Float32Array)).toEqual([12, 8])
    })

    it('vector: FP32 [n, width]', () => {
      const t = stage({ width: 3 }).toTensor(outputs([1, 3], [1, 2, 3]), 1)
      expect(t).toMatchObject({ datatype: 'FP32', shape: [1, 3] })
      expect(Array.from(t.data as Float32Array)).toEqual([1, 2, 3])
    })

    it('variable width: [n, values per item], as the metadata dims [-1] say', () => {
      const t = stage({ width: undefined }).toTensor(outputs([2, 1], [4, 5]), 2)
      expect(t.shape).toEqual([2, 1])
    })
  })

  it('reads integer outputs as numbers', () => {
    const ints = new Map<string, Tensor>([['y', { name: 'y', datatype: 'INT64', shape: [2], data: BigInt64Array.from([3n, -4n]) }]])
    expect(stage({ unscale: { mean: 1, std: 2 } }).decode(ints, 2)).toEqual([7, -7])
  })
})
