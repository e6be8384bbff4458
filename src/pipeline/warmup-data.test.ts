import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromFloat16Bits } from '../core/half.js'
import type { WarmupInputConfig } from '../repository/model-config.js'
import { seedOf, warmupTensor } from './warmup-data.js'

describe('warmupTensor', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inferd-warmup-'))
    await mkdir(join(dir, 'warmup'))
    await writeFile(join(dir, 'warmup', 'four.bin'), Buffer.from(Float32Array.from([1.5, -2, 3, 4]).buffer))
    const strings = ['ab', '', 'xyz'].map((s) => {
      const len = Buffer.alloc(4)
      len.writeUInt32LE(Buffer.byteLength(s))
      return Buffer.concat([len, Buffer.from(s)])
    })
    await writeFile(join(dir, 'warmup', 'strings.bin'), Buffer.concat(strings))
    await writeFile(join(dir, 'outside.bin'), Buffer.alloc(16))
  })
  afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

  const input = (over: Partial<WarmupInputConfig>): WarmupInputConfig => ({ data_type: 'FP32', dims: [4], ...over })

  it('makes zeros, with the batch dimension when the model batches', async () => {
    const t = await warmupTensor('x', input({ zero_data: true }), 3, dir, 1)
    expect(t).toMatchObject({ name: 'x', datatype: 'FP32', shape: [3, 4] })
    expect([...(t.data as Float32Array)]).toEqual(Array(12).fill(0))
    expect((await warmupTensor('x', input({ zero_data: true }), undefined, dir, 1)).shape).toEqual([4])
    const bytes = await warmupTensor('s', input({ data_type: 'BYTES', dims: [2], zero_data: true }), undefined, dir, 1)
    expect(bytes.data).toEqual([new Uint8Array(0), new Uint8Array(0)])
  })

  it('makes the same random data for the same seed, in range for the type', async () => {
    const a = await warmupTensor('x', input({ random_data: true, dims: [64] }), undefined, dir, seedOf('m/s/x'))
    const b = await warmupTensor('x', input({ random_data: true, dims: [64] }), undefined, dir, seedOf('m/s/x'))
    const c = await warmupTensor('x', input({ random_data: true, dims: [64] }), undefined, dir, seedOf('m/s/y'))
    expect([...(a.data as Float32Array)]).toEqual([...(b.data as Float32Array)])
    expect([...(a.data as Float32Array)]).not.toEqual([...(c.data as Float32Array)])
    expect((a.data as Float32Array).every((v) => v >= 0 && v < 1)).toBe(true)
    const ints = await warmupTensor('i', input({ data_type: 'INT64', random_data: true, dims: [32] }), undefined, dir, 7)
    expect([...(ints.data as BigInt64Array)].every((v) => v >= 0n && v < 100n)).toBe(true)
    const half = await warmupTensor('h', input({ data_type: 'FP16', random_data: true, dims: [8] }), undefined, dir, 7)
    expect([...(half.data as Uint16Array)].map(fromFloat16Bits).every((v) => v >= 0 && v <= 1)).toBe(true)
    // BYTES has no random form: zero data, as in Triton.
    const bytes = await warmupTensor('s', input({ data_type: 'BYTES', dims: [1], random_data: true }), undefined, dir, 7)
    expect(bytes.data).toEqual([new Uint8Array(0)])
  })

  it('reads one sample from the warmup folder and repeats it per batch row', async () => {
    const t = await warmupTensor('x', input({ input_data_file: 'four.bin' }), 2, dir, 1)
    expect(t.shape).toEqual([2, 4])
    expect([...(t.data as Float32Array)]).toEqual([1.5, -2, 3, 4, 1.5, -2, 3, 4])
    const s = await warmupTensor('s', input({ data_type: 'BYTES', dims: [3], input_data_file: 'strings.bin' }), undefined, dir, 1)
    expect((s.data as Uint8Array[]).map((b) => Buffer.from(b).toString())).toEqual(['ab', '', 'xyz'])
  })

  it('refuses files of the wrong size, missing files and paths outside the warmup folder', async () => {
    await expect(warmupTensor('x', input({ dims: [3], input_data_file: 'four.bin' }), undefined, dir, 1))
      .rejects.toThrow("input 'x': warmup/four.bin has 16 bytes; one sample of 3 FP32 element(s) is 12")
    await expect(warmupTensor('s', input({ data_type: 'BYTES', dims: [2], input_data_file: 'strings.bin' }), undefined, dir, 1))
      .rejects.toThrow('BYTES warmup file holds 3 element(s); one sample of dims needs 2')
    await expect(warmupTensor('x', input({ input_data_file: 'nope.bin' }), undefined, dir, 1)).rejects.toThrow('cannot read warmup/nope.bin: no such file')
    await expect(warmupTensor('x', input({ input_data_file: '../outside.bin' }), undefined, dir, 1)).rejects.toThrow("must name a file inside the model's warmup/ folder")
    await expect(warmupTensor('x', input({ dims: [-1], zero_data: true }), undefined, dir, 1)).rejects.toThrow('must be fixed sizes')
  })
})
