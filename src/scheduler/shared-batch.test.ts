import { describe, expect, it } from 'vitest'
import type { Tensor } from '../core/tensor.js'
import { DATA_BYTES, nameIndex, newControl, readShared, writeShared } from './shared-batch.js'

const names = ['a', 'b', 'c', 'out']
const index = nameIndex(names)

describe('shared batch memory', () => {
  it('carries tensors of every fixed datatype exactly, with their shapes and the extra indices', () => {
    const control = newControl()
    const data = new SharedArrayBuffer(DATA_BYTES)
    const tensors: Tensor[] = [
      { name: 'a', datatype: 'INT64', shape: [2, 2], data: new BigInt64Array([-(2n ** 63n), 1n, 2n ** 62n, -1n]) },
      { name: 'b', datatype: 'UINT8', shape: [3], data: new Uint8Array([0, 7, 255]) }, // 3 bytes: the next one is realigned
      { name: 'c', datatype: 'FP64', shape: [0, 5], data: new Float64Array(0) },
      { name: 'out', datatype: 'FP16', shape: [1, 2, 1], data: new Uint16Array([0x3c00, 0xfc00]) },
    ]
    expect(writeShared(control, data, index, tensors, [3, 1])).toBe(true)
    const read = readShared(control, data, names)
    expect(read.extra).toEqual([3, 1])
    expect(read.tensors).toEqual(tensors)
    // Copies, not views of the shared buffer: the next batch overwrites it.
    expect(read.tensors.every((t) => !((t.data as ArrayBufferView).buffer instanceof SharedArrayBuffer))).toBe(true)
  })

  it('refuses what it cannot carry, so that it goes by message instead', () => {
    const control = newControl()
    const data = new SharedArrayBuffer(DATA_BYTES)
    const fp32 = (name: string, rows: number): Tensor => ({ name, datatype: 'FP32', shape: [rows, 4], data: new Float32Array(rows * 4) })
    expect(writeShared(control, data, index, [{ name: 'a', datatype: 'BYTES', shape: [1], data: [new Uint8Array(2)] }])).toBe(false)
    expect(writeShared(control, data, index, [fp32('unknown', 1)])).toBe(false)
    expect(writeShared(control, data, index, [fp32('a', DATA_BYTES / 16 + 1)])).toBe(false)
    expect(writeShared(control, data, index, [fp32('a', DATA_BYTES / 32), fp32('b', DATA_BYTES / 32 + 1)])).toBe(false)
    expect(writeShared(control, data, index, [{ name: 'a', datatype: 'FP32', shape: Array(2000).fill(1), data: new Float32Array(1) }])).toBe(false)
    const detached = fp32('a', 2)
    const buffer = (detached.data as Float32Array).buffer as ArrayBuffer
    structuredClone(buffer, { transfer: [buffer] })
    expect(writeShared(control, data, index, [detached])).toBe(false)
    // At the limit it still fits.
    expect(writeShared(control, data, index, [fp32('a', DATA_BYTES / 16)])).toBe(true)
  })
})
