import { describe, expect, it } from 'vitest'
import { catchInferdError } from '../../../test/helpers/catch-inferd-error.js'
import { fromFloat16Bits } from '../../core/half.js'
import type { InferdError } from '../../errors/index.js'
import { tensorInput } from './tensor-input.js'

/**
 * The friendly face of a numeric model input (models with no `pipeline:` section): nested lists
 * in the input's per-item dims, one item or a list of items.
 */

async function rejected (p: Promise<unknown>): Promise<InferdError> {
  try {
    await p
  } catch (err) {
    return err as InferdError
  }
  throw new Error('expected a rejection')
}

describe('tensorInput', () => {
  const features = tensorInput('features', 'FP32', [4])

  it('one item: a list in the per-item dims', async () => {
    const { items, listed } = features.fromJson([5.1, 3.5, 1.4, 0.2])
    expect(listed).toBe(false)
    const [t] = await features.encode(items)
    expect(t).toMatchObject({ name: 'features', datatype: 'FP32', shape: [1, 4] })
    expect(Array.from(t?.data as Float32Array)).toEqual([5.1, 3.5, 1.4, 0.2].map((x) => Math.fround(x)))
  })

  it('several items: a list of them, in order', async () => {
    const { items, listed } = features.fromJson([[1, 2, 3, 4], [5, 6, 7, 8]])
    expect(listed).toBe(true)
    expect(items).toHaveLength(2)
    const [t] = await features.encode(items)
    expect(t?.shape).toEqual([2, 4])
    expect(Array.from(t?.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  })

  it('dims []: a number is one item, a list of numbers several', async () => {
    const x = tensorInput('x', 'INT32', [])
    expect(x.fromJson(3)).toEqual({ items: [3], listed: false })
    const { items, listed } = x.fromJson([1, 2, 3])
    expect(listed).toBe(true)
    const [t] = await x.encode(items)
    expect(t).toMatchObject({ datatype: 'INT32', shape: [3] })
    expect(Array.from(t?.data as Int32Array)).toEqual([1, 2, 3])
  })

  it('variable dims take the first item\'s size; the others must agree', async () => {
    const seq = tensorInput('ids', 'INT64', [-1])
    const [t] = await seq.encode(seq.fromJson([[1, 2, 3], [4, 5, 6]]).items)
    expect(t).toMatchObject({ datatype: 'INT64', shape: [2, 3] })
    expect(Array.from(t?.data as BigInt64Array)).toEqual([1n, 2n, 3n, 4n, 5n, 6n])
    const err = await rejected(seq.encode(seq.fromJson([[1, 2, 3], [4, 5]]).items))
    expect(err.code).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
    expect(err.message).toMatch(/item 1 is shaped \[2\], item 0 \[3\]/)
  })

  it('converts to the input\'s datatype: half floats, booleans, 64-bit integers', async () => {
    const half = tensorInput('h', 'FP16', [2])
    const [h] = await half.encode(half.fromJson([1.5, -2]).items)
    expect(Array.from(h?.data as Uint16Array, fromFloat16Bits)).toEqual([1.5, -2])
    const flags = tensorInput('b', 'BOOL', [3])
    const [b] = await flags.encode(flags.fromJson([true, false, true]).items)
    expect(Array.from(b?.data as Uint8Array)).toEqual([1, 0, 1])
    const big = tensorInput('u', 'UINT64', [])
    const [u] = await big.encode(big.fromJson(7).items)
    expect(Array.from(u?.data as BigUint64Array)).toEqual([7n])
  })

  describe('refuses, naming the field', () => {
    it('the wrong nesting depth or a non-number', () => {
      for (const bad of [5, [[[1, 2, 3, 4]]], 'text', null, {}, []]) {
        const err = catchInferdError(() => features.fromJson(bad))
        expect(err.code).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
        expect(err.message).toMatch(/^tensor 'features': expected a list nested 1 deep \(dims \[4\]\)/)
      }
    })

    it('a wrong fixed dimension', async () => {
      const err = await rejected(features.encode(features.fromJson([1, 2, 3]).items))
      expect(err.code).toBe('INFERD_ERR_TENSOR_SHAPE_MISMATCH')
      expect(err.message).toMatch(/features/)
    })

    it('a string inside the numbers', async () => {
      const err = await rejected(features.encode(features.fromJson([1, 2, '3', 4]).items))
      expect(err.code).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
      expect(err.message).toMatch(/tensor 'features': expected numbers, found string/)
    })

    it('irregular nesting (a list where a number belongs, or the reverse)', async () => {
      const seq = tensorInput('ids', 'FP32', [-1])
      const err = await rejected(seq.encode(seq.fromJson([1, [2, 3]]).items))
      expect(err.code).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
      expect(err.message).toMatch(/tensor 'ids'/)
      const grid = tensorInput('g', 'FP32', [2, 2])
      const err2 = await rejected(grid.encode(grid.fromJson([[1, 2], [3, [4, 5]]]).items))
      expect(err2.code).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
      const err3 = await rejected(grid.encode(grid.fromJson([[1, 2], 3]).items))
      expect(err3.message).toMatch(/tensor 'g'/)
    })

    it('a raw body (BYTES) for a numeric input', () => {
      const err = catchInferdError(() => features.fromBytes(new Uint8Array([1])))
      expect(err.code).toBe('INFERD_ERR_DTYPE_INVALID')
      expect(err.message).toMatch(/features/)
    })
  })

  it('describes the expected form for the metadata', () => {
    expect(features.describe).toMatch(/\[4\].*FP32/)
    expect(tensorInput('x', 'INT32', []).describe).toMatch(/a number/)
  })
})
