import { describe, expect, it } from 'vitest'
import type { Tensor } from './tensor.js'
import { postable } from './transfer.js'

describe('postable', () => {
  it('transfers buffers a tensor owns, copies views of larger ones, and leaves BYTES to be cloned', () => {
    const owned: Tensor = { name: 'a', datatype: 'FP32', shape: [2], data: new Float32Array([1, 2]) }
    const big = new Float32Array(1024).map((_, i) => i)
    const view: Tensor = { name: 'b', datatype: 'FP32', shape: [3], data: big.subarray(10, 13) }
    const words: Tensor = { name: 'c', datatype: 'BYTES', shape: [1], data: [new Uint8Array([104, 105])] }
    const { tensors, transfer } = postable([owned, view, words])
    expect(tensors[0]).toBe(owned)
    expect(tensors[2]).toBe(words)
    const copied = tensors[1]!.data as Float32Array
    expect(Array.from(copied)).toEqual([10, 11, 12])
    expect(copied.buffer.byteLength).toBe(12) // its own bytes only, not the 4 KiB behind the view
    expect(transfer).toEqual([(owned.data as Float32Array).buffer, copied.buffer])
    const received = structuredClone({ tensors }, { transfer }) as { tensors: Tensor[] }
    expect(Array.from(received.tensors[1]!.data as Float32Array)).toEqual([10, 11, 12])
    expect(big[11]).toBe(11) // the larger buffer is untouched and still usable here
    expect((owned.data as Float32Array).length).toBe(0) // moved: detached on this side
  })

  it('leaves a detached array alone, so that posting it fails as before', () => {
    const data = new Float32Array(4)
    structuredClone(data.buffer, { transfer: [data.buffer] })
    const { tensors, transfer } = postable([{ name: 'x', datatype: 'FP32', shape: [4], data }])
    expect(transfer).toEqual([])
    expect(() => structuredClone(tensors, { transfer })).toThrow()
  })
})
