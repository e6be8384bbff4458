import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Tensor } from '../core/tensor.js'
import { InferdError } from '../errors/index.js'
import { FIXTURE_REPO } from '../../test/helpers/paths.js'
import { WorkerInstance } from './worker-instance.js'

const quiet = { info: () => {}, warn: () => {} }
const inputs = (a: number, b: number): Tensor[] => [
  { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: new Int32Array(16).fill(a) },
  { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: new Int32Array(16).fill(b) },
]

describe('WorkerInstance', () => {
  let instance: WorkerInstance
  beforeAll(async () => {
    instance = await WorkerInstance.start('simple', '1', { backend: 'onnxruntime', path: `${FIXTURE_REPO}/simple/1/model.onnx`, options: {} }, quiet)
  })
  afterAll(async () => { await instance.close() })

  it('computes in its thread', async () => {
    const [sum] = await instance.run(inputs(2, 3), ['OUTPUT0'])
    expect(Array.from(sum!.data as Int32Array)).toEqual(new Array(16).fill(5))
  })

  it('fails only the batch it cannot hand over, and stays usable', async () => {
    const detached = inputs(1, 1)
    const buffer = (detached[0]!.data as Int32Array).buffer as ArrayBuffer
    structuredClone(buffer, { transfer: [buffer] }) // detaches it here: the thread can never receive it
    const err = await instance.run(detached, ['OUTPUT0']).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InferdError)
    expect((err as InferdError).code).toBe('INFERD_ERR_BACKEND_FAILED')
    expect((err as InferdError).message).toMatch(/could not hand the batch to its thread/)
    const [sum] = await instance.run(inputs(4, 5), ['OUTPUT0'])
    expect((sum!.data as Int32Array)[0]).toBe(9)
  })

  it('hands small batches over in shared memory and large ones by message, with the same results', async () => {
    const before = instance.handedOver
    const [small] = await instance.run(inputs(2, 3), ['OUTPUT0'])
    expect(instance.handedOver).toEqual({ shared: before.shared + 1, posted: before.posted })
    expect(Array.from(small!.data as Int32Array)).toEqual(new Array(16).fill(5))
    // 5000 rows of 16 INT32 = 320 KB per input: more than the shared buffer holds.
    const rows = 5000
    const a = Int32Array.from({ length: rows * 16 }, (_, i) => i)
    const b = Int32Array.from({ length: rows * 16 }, (_, i) => 3 * i)
    const [diff, sum] = await instance.run([
      { name: 'INPUT0', datatype: 'INT32', shape: [rows, 16], data: a },
      { name: 'INPUT1', datatype: 'INT32', shape: [rows, 16], data: b },
    ], ['OUTPUT1', 'OUTPUT0'])
    expect(instance.handedOver).toEqual({ shared: before.shared + 1, posted: before.posted + 1 })
    expect(diff!.name).toBe('OUTPUT1')
    expect(diff!.shape).toEqual([rows, 16])
    expect((diff!.data as Int32Array)[rows * 16 - 1]).toBe(-2 * (rows * 16 - 1))
    expect((sum!.data as Int32Array)[12345]).toBe(4 * 12345)
    // Shared memory again afterwards, for one of the two outputs only.
    const only = await instance.run(inputs(7, 2), ['OUTPUT1'])
    expect(only.map((t) => t.name)).toEqual(['OUTPUT1'])
    expect((only[0]!.data as Int32Array)[15]).toBe(5)
    expect(instance.handedOver.shared).toBe(before.shared + 2)
  })

  it('close() lets the batch in flight finish and answer, then ends the thread', async () => {
    const own = await WorkerInstance.start('simple', '1', { backend: 'onnxruntime', path: `${FIXTURE_REPO}/simple/1/model.onnx`, options: {} }, quiet)
    const running = own.run(inputs(6, 1), ['OUTPUT0'])
    await own.close()
    const [sum] = await running
    expect((sum!.data as Int32Array)[0]).toBe(7)
    expect(own.ready()).toBe(false)
    const after = await own.run(inputs(1, 1), ['OUTPUT0']).catch((e: unknown) => e)
    expect((after as InferdError).code).toBe('INFERD_ERR_INTERNAL')
  })

  it('refuses to open a model that does not load, with the reason', async () => {
    const err = await WorkerInstance.start('broken', '1', { backend: 'onnxruntime', path: `${FIXTURE_REPO}/broken/1/model.onnx`, options: {} }, quiet).catch((e: unknown) => e)
    expect((err as InferdError).code).toBe('INFERD_ERR_MODEL_LOAD_FAILED')
    expect((err as InferdError).message).toMatch(/broken/)
  })

  it('carries BYTES by message and 64-bit integers through shared memory, exactly', async () => {
    const bytes = await WorkerInstance.start('identity_bytes', '1', { backend: 'onnxruntime', path: `${FIXTURE_REPO}/identity_bytes/1/model.onnx`, options: {} }, quiet)
    const int64 = await WorkerInstance.start('identity_int64', '1', { backend: 'onnxruntime', path: `${FIXTURE_REPO}/identity_int64/1/model.onnx`, options: {} }, quiet)
    try {
      const words = ['a', '', 'é', 'x'.repeat(300)].map((w) => new TextEncoder().encode(w))
      const [text] = await bytes.run([{ name: 'INPUT0', datatype: 'BYTES', shape: [1, 4], data: words }], ['OUTPUT0'])
      expect((text!.data as Uint8Array[]).map((w) => new TextDecoder().decode(w))).toEqual(['a', '', 'é', 'x'.repeat(300)])
      expect(bytes.handedOver).toEqual({ shared: 0, posted: 1 })
      const big = new BigInt64Array([2n ** 63n - 1n, -(2n ** 63n), 1n, -1n])
      const [same] = await int64.run([{ name: 'INPUT0', datatype: 'INT64', shape: [1, 4], data: big }], ['OUTPUT0'])
      expect(same!.data).toEqual(big)
      expect(int64.handedOver).toEqual({ shared: 1, posted: 0 })
    } finally {
      await Promise.all([bytes.close(), int64.close()])
    }
  })

  it("fails a batch the model rejects with onnxruntime's reason, and computes the next one", async () => {
    const failing = await WorkerInstance.start('runtime_error', '1', { backend: 'onnxruntime', path: `${FIXTURE_REPO}/runtime_error/1/model.onnx`, options: {} }, quiet)
    try {
      const bad = await failing.run([{ name: 'x', datatype: 'FP32', shape: [1, 4], data: new Float32Array(4) }], ['y']).catch((e: unknown) => e)
      expect((bad as InferdError).code).toBe('INFERD_ERR_BACKEND_FAILED')
      const [ok] = await failing.run([{ name: 'x', datatype: 'FP32', shape: [1, 3], data: new Float32Array([1, 2, 3]) }], ['y'])
      expect(Array.from(ok!.data as Float32Array)).toEqual([1, 2, 3])
    } finally {
      await failing.close()
    }
  })
})
