import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { isMainThread } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { ARRAY_CTOR, type DataType, type DataTypeMap, DATATYPES } from '../../core/dtype.js'
import type { Tensor } from '../../core/tensor.js'
import { FIXTURE_REPO } from '../../../test/helpers/paths.js'
import type { BackendLogger, ModelSession, SessionOptions } from '../backend.js'
import { OnnxBackend } from './onnx-backend.js'

/**
 * The onnxruntime backend against the generated fixture repository (test/fixtures/make-fixtures.ts,
 * written by the vitest global setup): real onnxruntime-node sessions, no doubles.
 */

const backend = new OnnxBackend()
const quiet: BackendLogger = { info () {}, warn () {} }
const modelPath = (name: string): string => join(FIXTURE_REPO, name, '1', 'model.onnx')
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

/** A logger that keeps what it is given, to assert on. */
function recordingLogger (): BackendLogger & { warns: Array<{ obj: object; msg: string | undefined }> } {
  const warns: Array<{ obj: object; msg: string | undefined }> = []
  return { warns, info () {}, warn (obj, msg) { warns.push({ obj, msg }) } }
}

async function withSession<T> (name: string, options: SessionOptions, fn: (s: ModelSession) => Promise<T>): Promise<T> {
  const session = await backend.open(modelPath(name), options, quiet)
  try {
    return await fn(session)
  } finally {
    await session.close()
  }
}

/** The raw bytes behind a typed array, for bit-exact comparison (NaN payloads and -0 included). */
function bitsOf (data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

/** Eight elements per datatype ([2, 4]), chosen at the edges of each type. */
const IDENTITY_DATA: { readonly [T in DataType]: DataTypeMap[T] } = {
  BOOL: new Uint8Array([1, 0, 1, 1, 0, 0, 1, 0]),
  UINT8: new Uint8Array([0, 1, 127, 128, 200, 254, 255, 3]),
  UINT16: new Uint16Array([0, 1, 65535, 256, 1000, 40000, 7, 8]),
  UINT32: new Uint32Array([0, 4294967295, 1, 2, 3, 2147483648, 5, 6]),
  UINT64: new BigUint64Array([0n, 18446744073709551615n, 9223372036854775808n, 9007199254740993n, 1n, 2n, 3n, 4n]),
  INT8: new Int8Array([-128, 127, 0, -1, 5, 6, 7, 8]),
  INT16: new Int16Array([-32768, 32767, 0, -1, 5, 6, 7, 8]),
  INT32: new Int32Array([-2147483648, 2147483647, 0, -1, 5, 6, 7, 8]),
  INT64: new BigInt64Array([-9223372036854775808n, 9223372036854775807n, -9007199254740993n, 9007199254740993n, 0n, -1n, 2n, 3n]),
  // 1, -2, 65504 (max), smallest subnormal, +inf, -inf, -0, a NaN with a payload
  FP16: new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0xfc00, 0x8000, 0x7e01]),
  // 1, -2, 3.140625, largest finite, smallest subnormal, +inf, -0, the canonical quiet NaN
  BF16: new Uint16Array([0x3f80, 0xc000, 0x4049, 0x7f7f, 0x0001, 0x7f80, 0x8000, 0x7fc0]),
  FP32: new Float32Array([1.5, -2.25, 3.4028234663852886e38, 1.401298464324817e-45, -0, 0.1, Number.NaN, -Infinity]),
  FP64: new Float64Array([0.1, 1e308, -5e-324, 2 ** 53 + 2, -0, -1, 1 / 3, Math.PI]),
  BYTES: ['hello', '', 'héllo wörld', '日本語', '🙂', '\uFEFFstarts with a BOM', 'x', '{"j":1}'].map(utf8),
}

describe('OnnxBackend', () => {
  it('names itself as Triton does', () => {
    expect(backend).toMatchObject({ name: 'onnxruntime', platform: 'onnxruntime_onnx', defaultModelFilename: 'model.onnx' })
  })

  describe.each(DATATYPES.map((datatype) => ({ datatype })))('identity_$datatype', ({ datatype }) => {
    const name = `identity_${datatype.toLowerCase()}`

    it('declares INPUT0 and OUTPUT0 with the datatype and shape [-1, 4]', async () => {
      await withSession(name, {}, async (session) => {
        expect(session.declared).toEqual({
          inputs: [{ name: 'INPUT0', datatype, shape: [-1, 4] }],
          outputs: [{ name: 'OUTPUT0', datatype, shape: [-1, 4] }],
        })
      })
    })

    it('returns exactly its input, in the datatype\'s storage type', async () => {
      const data = IDENTITY_DATA[datatype]
      const [out, ...rest] = await withSession(name, {}, (s) =>
        s.run([{ name: 'INPUT0', datatype, shape: [2, 4], data }], ['OUTPUT0']))
      expect(rest).toEqual([])
      expect(out).toMatchObject({ name: 'OUTPUT0', datatype, shape: [2, 4] })
      if (datatype === 'BYTES') {
        const elements = out!.data as Uint8Array[]
        expect(elements).toHaveLength(8)
        for (const el of elements) expect(el).toBeInstanceOf(Uint8Array)
        expect(elements.map((el) => Buffer.from(el).toString('utf8'))).toEqual((data as Uint8Array[]).map((el) => Buffer.from(el).toString('utf8')))
      } else {
        expect(out!.data).toBeInstanceOf(ARRAY_CTOR[datatype])
        expect(bitsOf(out!.data as ArrayBufferView)).toEqual(bitsOf(data as ArrayBufferView))
      }
    })
  })

  it('reads typed-array inputs that are views into a larger buffer from their own offset', async () => {
    const backing = Float32Array.from({ length: 12 }, (_, i) => i)
    const [out] = await withSession('identity_fp32', {}, (s) =>
      s.run([{ name: 'INPUT0', datatype: 'FP32', shape: [2, 4], data: backing.subarray(4) }], ['OUTPUT0']))
    expect(Array.from(out!.data as Float32Array)).toEqual([4, 5, 6, 7, 8, 9, 10, 11])
  })

  it('runs an empty batch', async () => {
    const [out] = await withSession('identity_int32', {}, (s) =>
      s.run([{ name: 'INPUT0', datatype: 'INT32', shape: [0, 4], data: new Int32Array(0) }], ['OUTPUT0']))
    expect(out).toMatchObject({ datatype: 'INT32', shape: [0, 4] })
    expect(out!.data).toHaveLength(0)
  })

  describe('BYTES elements that onnxruntime string tensors would change', () => {
    // onnxruntime-node cuts an input string at its first NUL and turns invalid UTF-8 into U+FFFD:
    // the backend refuses them rather than compute on altered data.
    const cases = [
      { what: 'a NUL byte', element: utf8('a\u0000b'), message: /element 1 holds a NUL byte/ },
      { what: 'invalid UTF-8', element: new Uint8Array([0xff, 0x41]), message: /element 1 is not valid UTF-8/ },
    ]
    it.each(cases)('rejects $what as INFERD_ERR_TENSOR_DATA_INVALID, and the session keeps working', async ({ element, message }) => {
      await withSession('identity_bytes', {}, async (s) => {
        const data = [utf8('ok'), element, utf8('c'), utf8('d')]
        const run = s.run([{ name: 'INPUT0', datatype: 'BYTES', shape: [1, 4], data }], ['OUTPUT0'])
        await expect(run).rejects.toMatchObject({ code: 'INFERD_ERR_TENSOR_DATA_INVALID', message })
        await expect(run).rejects.toThrow(/tensor 'INPUT0'/)
        const [out] = await s.run([{ name: 'INPUT0', datatype: 'BYTES', shape: [1, 4], data: [utf8('ok'), utf8('b'), utf8('c'), utf8('d')] }], ['OUTPUT0'])
        expect((out!.data as Uint8Array[]).map((el) => Buffer.from(el).toString())).toEqual(['ok', 'b', 'c', 'd'])
      })
    })
  })

  describe('simple (INT32 add/sub)', () => {
    const input0 = Int32Array.from({ length: 32 }, (_, i) => i)
    const input1 = Int32Array.from({ length: 32 }, (_, i) => (i % 2 === 0 ? 1 : -2147483648 + 100))
    const inputs: Tensor[] = [
      { name: 'INPUT0', datatype: 'INT32', shape: [2, 16], data: input0 },
      { name: 'INPUT1', datatype: 'INT32', shape: [2, 16], data: input1 },
    ]

    it('declares both inputs and outputs as INT32 [-1, 16]', async () => {
      await withSession('simple', {}, async (s) => {
        const spec = (name: string): object => ({ name, datatype: 'INT32', shape: [-1, 16] })
        expect(s.declared).toEqual({ inputs: [spec('INPUT0'), spec('INPUT1')], outputs: [spec('OUTPUT0'), spec('OUTPUT1')] })
      })
    })

    it('computes the sum and difference, in the order the outputs are asked for', async () => {
      const outs = await withSession('simple', {}, (s) => s.run(inputs, ['OUTPUT1', 'OUTPUT0']))
      expect(outs.map((o) => o.name)).toEqual(['OUTPUT1', 'OUTPUT0'])
      expect(outs[1]).toMatchObject({ datatype: 'INT32', shape: [2, 16] })
      expect(Array.from(outs[1]!.data as Int32Array)).toEqual(Array.from(input0, (a, i) => (a + input1[i]!) | 0))
      expect(Array.from(outs[0]!.data as Int32Array)).toEqual(Array.from(input0, (a, i) => (a - input1[i]!) | 0))
    })

    it('computes only the output asked for', async () => {
      const outs = await withSession('simple', {}, (s) => s.run(inputs, ['OUTPUT0']))
      expect(outs.map((o) => o.name)).toEqual(['OUTPUT0'])
    })

    it.each<SessionOptions>([
      { intraOpThreads: 1, interOpThreads: 1, graphOptimizationLevel: 'disabled' },
      { intraOpThreads: 2, interOpThreads: 0, graphOptimizationLevel: 'basic' },
      { intraOpThreads: 0, graphOptimizationLevel: 'extended' },
      { interOpThreads: 2, graphOptimizationLevel: 'all' },
    ])('accepts session options %o', async (options) => {
      const [sum] = await withSession('simple', options, (s) => s.run(inputs, ['OUTPUT0']))
      expect((sum!.data as Int32Array)[0]).toBe(1)
      expect((sum!.data as Int32Array)[31]).toBe((31 - 2147483648 + 100) | 0)
    })
  })

  // Thread defaults (onnx-backend.ts baseOptions): a session opened on the main thread computes on
  // the event loop, so by default it gets no intra-op pool; a configured count still makes one.
  // Counted in /proc/self/task (Linux), after one session has run so libuv's own pool exists.
  describe.runIf(existsSync('/proc/self/task'))('threads', () => {
    const threads = (): number => readdirSync('/proc/self/task').length
    const simpleInputs: Tensor[] = [
      { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: new Int32Array(16) },
      { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: new Int32Array(16) },
    ]

    it('a session on the main thread adds no intra-op pool unless intra_op_thread_count asks for one', async () => {
      expect(isMainThread).toBe(true) // vitest's forks pool: tests run on a process's main thread
      await withSession('simple', {}, (s) => s.run(simpleInputs, ['OUTPUT0']))
      const before = threads()
      const alone = await backend.open(modelPath('simple'), {}, quiet)
      let pooled: ModelSession | undefined
      try {
        await alone.run(simpleInputs, ['OUTPUT0'])
        expect(threads()).toBe(before)
        pooled = await backend.open(modelPath('simple'), { intraOpThreads: 2 }, quiet)
        await pooled.run(simpleInputs, ['OUTPUT0'])
        expect(threads()).toBe(before + 1) // a pool of 2: the calling thread and one more
      } finally {
        await alone.close()
        await pooled?.close()
      }
    })
  })

  describe('execution providers', () => {
    // Where onnxruntime-node's CUDA provider library is installed (a GPU machine whose install
    // fetched it), cuda opens for real and there is nothing to fall back from.
    const ortBinDir = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch)
    const cudaInstalled = existsSync(join(ortBinDir, 'libonnxruntime_providers_cuda.so'))

    it.skipIf(cudaInstalled)('falls back to cpu when cuda is absent, with exactly one warning through the logger', async () => {
      const logger = recordingLogger()
      const session = await backend.open(modelPath('simple'), { executionProviders: ['cuda'] }, logger)
      try {
        expect(logger.warns).toHaveLength(1)
        expect(logger.warns[0]!.msg).toBe('execution provider cuda is not available here; using cpu')
        expect(logger.warns[0]!.obj).toMatchObject({ path: modelPath('simple'), executionProviders: ['cuda'], reason: expect.any(String) })
        const ones = new Int32Array(16).fill(1)
        const [sum] = await session.run([
          { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: ones },
          { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: ones },
        ], ['OUTPUT0'])
        expect(Array.from(sum!.data as Int32Array)).toEqual(new Array(16).fill(2))
      } finally {
        await session.close()
      }
      expect(logger.warns).toHaveLength(1)
    })

    it('logs nothing when only cpu is asked for, explicitly or by default', async () => {
      for (const options of [{}, { executionProviders: ['cpu'] }] satisfies SessionOptions[]) {
        const logger = recordingLogger()
        await (await backend.open(modelPath('identity_fp32'), options, logger)).close()
        expect(logger.warns).toEqual([])
      }
    })

    it('rejects a broken model asked for on cuda with the model\'s error, not a provider warning', async () => {
      const logger = recordingLogger()
      await expect(backend.open(modelPath('broken'), { executionProviders: ['cuda'] }, logger)).rejects.toThrow(/protobuf parsing failed/)
      expect(logger.warns).toEqual([])
    })
  })

  describe('failures', () => {
    it('rejects a file that is not an ONNX model', async () => {
      await expect(backend.open(modelPath('broken'), {}, quiet)).rejects.toThrow(/protobuf parsing failed/)
    })

    it('rejects a path that does not exist', async () => {
      await expect(backend.open(join(FIXTURE_REPO, 'no_such_model', '1', 'model.onnx'), {}, quiet)).rejects.toMatchObject({ code: 'ENOENT' })
    })

    it('rejects a run onnxruntime fails with its own message, and serves the next run', async () => {
      await withSession('runtime_error', {}, async (s) => {
        const bad = s.run([{ name: 'x', datatype: 'FP32', shape: [1, 4], data: new Float32Array(4) }], ['y'])
        await expect(bad).rejects.toThrow(/Reshape.*cannot be reshaped to the requested shape/s)
        await expect(bad).rejects.toThrow(/Input shape:\{1,4\}, requested shape:\{-1,3\}/)
        const [y] = await s.run([{ name: 'x', datatype: 'FP32', shape: [1, 6], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }], ['y'])
        expect(y).toMatchObject({ name: 'y', datatype: 'FP32', shape: [2, 3] })
        expect(Array.from(y!.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6])
      })
    })
  })

  describe('close', () => {
    const ones: Tensor[] = ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [1, 16], data: new Int32Array(16).fill(1) }))

    it('waits for runs in flight, which still resolve correctly; later runs reject', async () => {
      const session = await backend.open(modelPath('simple'), {}, quiet)
      const settled: string[] = []
      const first = session.run(ones, ['OUTPUT0']).finally(() => settled.push('run 1'))
      const second = session.run(ones, ['OUTPUT1']).finally(() => settled.push('run 2'))
      const closing = session.close().then(() => settled.push('close'))
      const [[sum], [diff]] = await Promise.all([first, second, closing])
      expect(Array.from(sum!.data as Int32Array)).toEqual(new Array(16).fill(2))
      expect(Array.from(diff!.data as Int32Array)).toEqual(new Array(16).fill(0))
      expect(settled.indexOf('close')).toBe(2)
      await expect(session.run(ones, ['OUTPUT0'])).rejects.toThrow(/closed/)
    })

    it('is idempotent, and closes at once when idle', async () => {
      const session = await backend.open(modelPath('simple'), {}, quiet)
      await session.run(ones, ['OUTPUT0'])
      await session.close()
      await session.close()
      await expect(session.run(ones, ['OUTPUT0'])).rejects.toThrow(/closed/)
    })
  })
})
