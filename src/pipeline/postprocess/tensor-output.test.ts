import { describe, expect, it } from 'vitest'
import { catchInferdError } from '../../../test/helpers/catch-inferd-error.js'
import type { DataType } from '../../core/dtype.js'
import type { Tensor } from '../../core/tensor.js'
import { tensorStage } from './tensor-output.js'

/** The pass-through output: per item, the values nested in the output's dims, or text for BYTES. */

const utf8 = new TextEncoder()
const stage = (datatype: DataType, dims: number[]) => tensorStage({ name: 'out', model: 'm', tensor: 'y', datatype, dims })
const one = (t: Tensor): Map<string, Tensor> => new Map([['y', t]])

describe('tensorStage', () => {
  it('nests each item\'s numbers in the per-item dims', () => {
    const t: Tensor = { name: 'y', datatype: 'FP32', shape: [2, 2, 3], data: Float32Array.from({ length: 12 }, (_, i) => i) }
    const s = stage('FP32', [2, 3])
    expect(s.decode(one(t), 2)).toEqual([[[0, 1, 2], [3, 4, 5]], [[6, 7, 8], [9, 10, 11]]])
    expect(s.describe).toBe('numbers shaped [2, 3]')
  })

  it('per-item dims [] give one number per item', () => {
    const t: Tensor = { name: 'y', datatype: 'INT64', shape: [3], data: BigInt64Array.from([0n, 2n, -1n]) }
    expect(stage('INT64', []).decode(one(t), 3)).toEqual([0, 2, -1])
  })

  it('a declared single value ([1], [1, 1]) reads as that value, not a one-element list', () => {
    const nums: Tensor = { name: 'y', datatype: 'FP32', shape: [2, 1], data: Float32Array.from([0.5, -0.25]) }
    expect(stage('FP32', [1]).decode(one(nums), 2)).toEqual([0.5, -0.25])
    const deep: Tensor = { name: 'y', datatype: 'FP32', shape: [1, 1, 1], data: Float32Array.from([7]) }
    expect(stage('FP32', [1, 1]).decode(one(deep), 1)).toEqual([7])
    const words: Tensor = { name: 'y', datatype: 'BYTES', shape: [2, 1], data: ['positive', 'negative'].map((s) => utf8.encode(s)) }
    const s = stage('BYTES', [1])
    expect(s.decode(one(words), 2)).toEqual(['positive', 'negative'])
    expect(s.describe).toBe('text')
    expect(stage('FP32', [1]).describe).toBe('a number')
  })

  it('a variable-length output stays a list, even with one element', () => {
    const words: Tensor = { name: 'y', datatype: 'BYTES', shape: [2, 1], data: ['a', 'b'].map((s) => utf8.encode(s)) }
    expect(stage('BYTES', [-1]).decode(one(words), 2)).toEqual([['a'], ['b']])
    const more: Tensor = { name: 'y', datatype: 'BYTES', shape: [1, 2], data: ['héllo', 'wörld'].map((s) => utf8.encode(s)) }
    expect(stage('BYTES', [-1]).decode(one(more), 1)).toEqual([['héllo', 'wörld']])
  })

  it('decodes half floats and booleans as numbers', () => {
    const half: Tensor = { name: 'y', datatype: 'FP16', shape: [1, 2], data: Uint16Array.from([0x3c00, 0xc000]) }
    expect(stage('FP16', [2]).decode(one(half), 1)).toEqual([[1, -2]])
    const bool: Tensor = { name: 'y', datatype: 'BOOL', shape: [1, 2], data: Uint8Array.from([1, 0]) }
    expect(stage('BOOL', [2]).decode(one(bool), 1)).toEqual([[1, 0]])
  })

  it('the /v2 tensor is the output itself under the stage\'s name', () => {
    const t: Tensor = { name: 'y', datatype: 'FP32', shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }
    const out = stage('FP32', [2]).toTensor(one(t), 2)
    expect(out).toEqual({ ...t, name: 'out' })
  })

  it('a missing output is a server fault', () => {
    const err = catchInferdError(() => stage('FP32', [2]).decode(new Map(), 1))
    expect(err.code).toBe('INFERD_ERR_BACKEND_FAILED')
    expect(err.message).toMatch(/no output 'y'/)
  })
})
