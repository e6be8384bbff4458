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

  it('refuses to open a model that does not load, with the reason', async () => {
    const err = await WorkerInstance.start('broken', '1', { backend: 'onnxruntime', path: `${FIXTURE_REPO}/broken/1/model.onnx`, options: {} }, quiet).catch((e: unknown) => e)
    expect((err as InferdError).code).toBe('INFERD_ERR_MODEL_LOAD_FAILED')
    expect((err as InferdError).message).toMatch(/broken/)
  })
})
