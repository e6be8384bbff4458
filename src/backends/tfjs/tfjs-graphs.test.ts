import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Tensor } from '../../core/tensor.js'
import type { BackendLogger, ModelSession } from '../backend.js'
import { TfjsBackend } from './tfjs-backend.js'
import { loadTfjs } from './tfjs-runtime.js'

/**
 * The TF.js backend on small graph models written here as TF.js's converter writes them
 * (model.json with a GraphDef, a weights manifest and a .bin shard): every datatype the backend
 * maps, a model with a signature whose keys differ from the node names, a dynamic-shape op that
 * needs executeAsync, and broken model folders. Real TF.js on its wasm backend, no doubles.
 */

const backend = new TfjsBackend()
const quiet: BackendLogger = { info () {}, warn () {} }
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

type Attr = Record<string, unknown>
const type = (t: string): Attr => ({ type: t })
const shape = (...dims: number[]): Attr => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } })
const placeholder = (name: string, dt: string, ...dims: number[]): object => ({ name, op: 'Placeholder', attr: { dtype: type(dt), shape: shape(...dims) } })
const constant = (name: string, dt: string): object => ({ name, op: 'Const', attr: { dtype: type(dt), value: { tensor: { dtype: dt, tensorShape: {} } } } })
const op = (name: string, kind: string, input: string[], attr: Attr = {}): object => ({ name, op: kind, input, attr })

/** Scalar float32/int32 weights, in manifest order, as one little-endian shard. */
function shard (weights: { name: string; dtype: 'float32' | 'int32'; value: number }[]): { manifest: object; bytes: Uint8Array } {
  const buf = new ArrayBuffer(weights.length * 4)
  const view = new DataView(buf)
  weights.forEach((w, i) => (w.dtype === 'float32' ? view.setFloat32(i * 4, w.value, true) : view.setInt32(i * 4, w.value, true)))
  return {
    manifest: [{ paths: ['group1-shard1of1.bin'], weights: weights.map((w) => ({ name: w.name, shape: [], dtype: w.dtype })) }],
    bytes: new Uint8Array(buf),
  }
}

let root: string
async function writeModel (name: string, json: object, weights?: Uint8Array): Promise<string> {
  const dir = join(root, name)
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'model.json'), JSON.stringify(json))
  if (weights !== undefined) await writeFile(join(dir, 'group1-shard1of1.bin'), weights)
  return join(dir, 'model.json')
}

async function withSession<T> (path: string, fn: (s: ModelSession) => Promise<T>): Promise<T> {
  const session = await backend.open(path, {}, quiet)
  try {
    return await fn(session)
  } finally {
    await session.close()
  }
}

const byName = (outs: Tensor[]): Record<string, Tensor> => Object.fromEntries(outs.map((t) => [t.name, t]))

beforeAll(async () => { root = await mkdtemp(join(tmpdir(), 'inferd-tfjs-')) })
afterAll(async () => { await rm(root, { recursive: true, force: true }) })

describe('a graph without a signature: node names, every datatype', () => {
  let path: string
  beforeAll(async () => {
    const w = shard([{ name: 'two', dtype: 'float32', value: 2 }])
    path = await writeModel('dtypes', {
      format: 'graph-model',
      modelTopology: {
        node: [
          placeholder('x', 'DT_FLOAT', -1, 3),
          placeholder('n', 'DT_INT64', -1), // TF.js runs int64 as int32
          placeholder('flag', 'DT_BOOL', -1),
          placeholder('s', 'DT_STRING', -1),
          constant('two', 'DT_FLOAT'),
          op('doubled', 'Mul', ['x', 'two'], { T: type('DT_FLOAT') }),
          op('big', 'Greater', ['x', 'two'], { T: type('DT_FLOAT') }),
          op('n_twice', 'AddV2', ['n', 'n'], { T: type('DT_INT64') }),
          op('not_flag', 'LogicalNot', ['flag']),
          op('s_same', 'Identity', ['s'], { T: type('DT_STRING') }),
        ],
        versions: { producer: 1 },
      },
      weightsManifest: w.manifest,
    }, w.bytes)
  })

  it('declares inputs from the Placeholders and outputs from their ops, with TF.js datatypes', async () => {
    await withSession(path, async (s) => {
      expect(s.declared.inputs).toEqual([
        { name: 'x', datatype: 'FP32', shape: [-1, 3] },
        { name: 'n', datatype: 'INT32', shape: [-1] },
        { name: 'flag', datatype: 'BOOL', shape: [-1] },
        { name: 's', datatype: 'BYTES', shape: [-1] },
      ])
      expect([...s.declared.outputs].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
        { name: 'big', datatype: 'BOOL', shape: undefined },
        { name: 'doubled', datatype: 'FP32', shape: undefined },
        { name: 'n_twice', datatype: 'INT32', shape: undefined },
        { name: 'not_flag', datatype: 'BOOL', shape: undefined },
        { name: 's_same', datatype: 'BYTES', shape: undefined },
      ])
    })
  })

  it('computes each output from the weights file and hands BYTES through byte for byte', async () => {
    // Not UTF-8 on purpose: TF.js string tensors hold bytes, and so must the round trip.
    const raw = new Uint8Array([0xff, 0x00, 0xfe, 0x41])
    const out = await withSession(path, (s) => s.run([
      { name: 'x', datatype: 'FP32', shape: [2, 3], data: new Float32Array([1, 2, 3, -1.5, 0, 10]) },
      { name: 'n', datatype: 'INT32', shape: [2], data: new Int32Array([-7, 1 << 29]) },
      { name: 'flag', datatype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
      { name: 's', datatype: 'BYTES', shape: [2], data: [utf8('héllo'), raw] },
    ], ['doubled', 'big', 'n_twice', 'not_flag', 's_same']))
    const o = byName(out)
    expect(out.map((t) => t.name)).toEqual(['doubled', 'big', 'n_twice', 'not_flag', 's_same'])
    expect(o.doubled).toEqual({ name: 'doubled', datatype: 'FP32', shape: [2, 3], data: new Float32Array([2, 4, 6, -3, 0, 20]) })
    expect(o.big).toEqual({ name: 'big', datatype: 'BOOL', shape: [2, 3], data: new Uint8Array([0, 0, 1, 0, 0, 1]) })
    expect(o.n_twice).toEqual({ name: 'n_twice', datatype: 'INT32', shape: [2], data: new Int32Array([-14, 1 << 30]) })
    expect(o.not_flag).toEqual({ name: 'not_flag', datatype: 'BOOL', shape: [2], data: new Uint8Array([0, 1]) })
    expect(o.s_same?.datatype).toBe('BYTES')
    expect((o.s_same?.data as Uint8Array[]).map((b) => [...b])).toEqual([[...utf8('héllo')], [...raw]])
  })

  it('returns output arrays that own their buffers, so a worker can transfer them', async () => {
    const [y] = await withSession(path, (s) => s.run([
      { name: 'x', datatype: 'FP32', shape: [1, 3], data: new Float32Array([1, 2, 3]) },
    ], ['doubled']))
    const data = y!.data as Float32Array
    expect(data.byteOffset).toBe(0)
    expect(data.byteLength).toBe(data.buffer.byteLength)
  })

  it('leaves no TF.js tensor behind: runs dispose what they make, close disposes the weights', async () => {
    const tf = await loadTfjs()
    const before = tf.memory().numTensors
    const session = await backend.open(path, {}, quiet)
    const loaded = tf.memory().numTensors
    expect(loaded).toBeGreaterThan(before) // the weight 'two'
    for (let i = 0; i < 3; i++) {
      await session.run([
        { name: 'x', datatype: 'FP32', shape: [1, 3], data: new Float32Array([1, 2, 3]) },
        { name: 's', datatype: 'BYTES', shape: [1], data: [utf8('a')] },
      ], ['doubled', 'big', 's_same'])
    }
    expect(tf.memory().numTensors).toBe(loaded)
    // A failing run (a name the graph does not have) must not leak its input tensors either.
    await expect(session.run([{ name: 'x', datatype: 'FP32', shape: [1, 3], data: new Float32Array(3) }], ['nope'])).rejects.toThrow(/nope/)
    expect(tf.memory().numTensors).toBe(loaded)
    await session.close()
    expect(tf.memory().numTensors).toBe(before)
    await expect(session.run([], ['doubled'])).rejects.toThrow(/closed/)
  })
})

describe('a graph with a signature and a dynamic-shape op', () => {
  let path: string
  beforeAll(async () => {
    const w = shard([
      { name: 'max_out', dtype: 'int32', value: 10 },
      { name: 'iou', dtype: 'float32', value: 0.5 },
      { name: 'min_score', dtype: 'float32', value: 0.1 },
    ])
    path = await writeModel('nms', {
      format: 'graph-model',
      modelTopology: {
        node: [
          placeholder('serving_boxes', 'DT_FLOAT', -1, 4),
          placeholder('serving_scores', 'DT_FLOAT', -1),
          constant('max_out', 'DT_INT32'),
          constant('iou', 'DT_FLOAT'),
          constant('min_score', 'DT_FLOAT'),
          op('nms', 'NonMaxSuppressionV3', ['serving_boxes', 'serving_scores', 'max_out', 'iou', 'min_score'], { T: type('DT_FLOAT'), T_threshold: type('DT_FLOAT') }),
        ],
        versions: { producer: 1 },
      },
      signature: {
        inputs: {
          boxes: { name: 'serving_boxes:0', dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '-1' }, { size: '4' }] } },
          scores: { name: 'serving_scores:0', dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '-1' }] } },
        },
        outputs: { kept: { name: 'nms:0', dtype: 'DT_INT32', tensorShape: { dim: [{ size: '-1' }] } } },
      },
      weightsManifest: w.manifest,
    }, w.bytes)
  })

  it('declares the signature keys, not the node names', async () => {
    await withSession(path, async (s) => {
      expect(s.declared).toEqual({
        inputs: [{ name: 'boxes', datatype: 'FP32', shape: [-1, 4] }, { name: 'scores', datatype: 'FP32', shape: [-1] }],
        outputs: [{ name: 'kept', datatype: 'INT32', shape: [-1] }],
      })
    })
  })

  it('runs a graph that TF.js can only execute asynchronously, and keeps doing so', async () => {
    const tf = await loadTfjs()
    await withSession(path, async (s) => {
      const loaded = tf.memory().numTensors
      // Boxes 0 and 1 overlap almost entirely (IoU 0.9 > 0.5): 1 has the lower score and goes.
      // Box 3 scores under min_score. Kept, by descending score: 2, 0.
      const boxes = new Float32Array([0, 0, 10, 10, 0, 0, 10, 9, 20, 20, 30, 30, 40, 40, 50, 50])
      const scores = new Float32Array([0.8, 0.7, 0.9, 0.05])
      for (let i = 0; i < 2; i++) {
        const [kept] = await s.run([
          { name: 'boxes', datatype: 'FP32', shape: [4, 4], data: boxes },
          { name: 'scores', datatype: 'FP32', shape: [4], data: scores },
        ], ['kept'])
        expect(kept).toEqual({ name: 'kept', datatype: 'INT32', shape: [2], data: new Int32Array([2, 0]) })
      }
      expect(tf.memory().numTensors).toBe(loaded)
    })
  })

  it('serialises concurrent runs and answers each with its own result', async () => {
    await withSession(path, async (s) => {
      const run = (top: number): Promise<Tensor[]> => s.run([
        { name: 'boxes', datatype: 'FP32', shape: [2, 4], data: new Float32Array([0, 0, 1, 1, 5, 5, 6, 6]) },
        { name: 'scores', datatype: 'FP32', shape: [2], data: new Float32Array(top === 0 ? [0.9, 0.2] : [0.2, 0.9]) },
      ], ['kept'])
      const [a, b] = await Promise.all([run(0), run(1)])
      expect(a![0]!.data).toEqual(new Int32Array([0, 1]))
      expect(b![0]!.data).toEqual(new Int32Array([1, 0]))
    })
  })
})

describe('model folders the backend refuses, with a reason', () => {
  const graph = { format: 'graph-model', modelTopology: { node: [placeholder('x', 'DT_FLOAT', -1)], versions: { producer: 1 } } }

  it('a Keras layers model', async () => {
    const path = await writeModel('layers', { format: 'layers-model', modelTopology: { model_config: {} }, weightsManifest: [] })
    await expect(backend.open(path, {}, quiet)).rejects.toThrow(/layers \(Keras\) model.*tfjs_graph_model/)
  })

  it('a file that is not JSON', async () => {
    const dir = join(root, 'notjson')
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'model.json'), 'not json at all')
    await expect(backend.open(join(dir, 'model.json'), {}, quiet)).rejects.toThrow(/not a readable JSON file/)
  })

  it('a weight file outside the model folder, or a URL', async () => {
    for (const [name, p] of [['escape', '../dtypes/group1-shard1of1.bin'], ['url', 'https://example.com/w.bin']] as const) {
      const path = await writeModel(name, { ...graph, weightsManifest: [{ paths: [p], weights: [] }] })
      await expect(backend.open(path, {}, quiet)).rejects.toThrow(/not a file in the model's folder/)
    }
  })

  it('a weight file that is missing', async () => {
    const path = await writeModel('missing', { ...graph, weightsManifest: [{ paths: ['gone.bin'], weights: [] }] })
    await expect(backend.open(path, {}, quiet)).rejects.toThrow(/gone\.bin .*cannot be read/)
  })

  it('an input of a type TF.js cannot run', async () => {
    const path = await writeModel('complex', { format: 'graph-model', modelTopology: { node: [placeholder('z', 'DT_COMPLEX64', -1)], versions: { producer: 1 } }, weightsManifest: [] })
    await expect(backend.open(path, {}, quiet)).rejects.toThrow(/input 'z' has type DT_COMPLEX64/)
  })
})
