import { describe, expect, it } from 'vitest'
import type { Tensor } from '../core/tensor.js'
import { batchKey, concatInputs, splitOutputs } from './batch-tensors.js'

const f32 = (name: string, shape: number[], values: number[]): Tensor => ({ name, datatype: 'FP32', shape, data: new Float32Array(values) })
const bytes = (name: string, values: string[]): Tensor => ({ name, datatype: 'BYTES', shape: [values.length, 1], data: values.map((v) => new TextEncoder().encode(v)) })

describe('batch tensors', () => {
  it('concatenates along the batch dimension and splits back exactly', () => {
    const a = [f32('x', [1, 2], [1, 2]), bytes('s', ['a'])]
    const b = [f32('x', [2, 2], [3, 4, 5, 6]), bytes('s', ['b', 'c'])]
    const [x, s] = concatInputs([a, b])
    expect(x).toMatchObject({ shape: [3, 2], data: new Float32Array([1, 2, 3, 4, 5, 6]) })
    expect(s!.shape).toEqual([3, 1])
    const parts = splitOutputs([x!, s!], [1, 2])
    expect(parts[0]![0]).toMatchObject({ shape: [1, 2], data: new Float32Array([1, 2]) })
    expect(parts[1]![0]).toMatchObject({ shape: [2, 2], data: new Float32Array([3, 4, 5, 6]) })
    expect(parts[1]![1]!.data).toHaveLength(2)
  })

  it('matches inputs by name when requests list them in different orders (they share a batch key)', () => {
    const a = [f32('x', [1, 2], [1, 2]), f32('w', [1, 1], [10])]
    const b = [f32('w', [1, 1], [20]), f32('x', [1, 2], [3, 4])]
    expect(batchKey(a)).toBe(batchKey(b))
    const [x, w] = concatInputs([a, b])
    expect(x).toMatchObject({ name: 'x', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) })
    expect(w).toMatchObject({ name: 'w', shape: [2, 1], data: new Float32Array([10, 20]) })
  })

  it('passes a single request through without copying', () => {
    const a = [f32('x', [1, 2], [1, 2])]
    expect(concatInputs([a])[0]).toBe(a[0])
  })

  it('keys requests by names, datatypes and trailing dims, not by batch size or input order', () => {
    const k1 = batchKey([f32('x', [1, 4], [0, 0, 0, 0]), f32('y', [1, 2], [0, 0])])
    expect(batchKey([f32('y', [3, 2], [0, 0, 0, 0, 0, 0]), f32('x', [3, 4], new Array(12).fill(0))])).toBe(k1)
    expect(batchKey([f32('x', [1, 5], [0, 0, 0, 0, 0]), f32('y', [1, 2], [0, 0])])).not.toBe(k1)
  })
})
