import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IRIS_LABELS, trainIris, type TrainIrisResult } from './train-iris.js'

let dir: string
let result: TrainIrisResult

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inferd-iris-'))
  result = await trainIris({ outDir: dir })
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('trainIris', () => {
  it('classifies at least 90% of the 45 held-out rows correctly through onnxruntime', () => {
    expect(result.total).toBe(45)
    expect(result.testRows).toHaveLength(45)
    expect(result.accuracy).toBeGreaterThanOrEqual(0.9)
    expect(result.correct).toBe(Math.round(result.accuracy * result.total))
  })

  it('writes a model whose signature and answers match the config', async () => {
    const session = await ort.InferenceSession.create(join(dir, '1', 'model.onnx'))
    try {
      expect(session.inputMetadata).toMatchObject([{ name: 'features', type: 'float32', shape: ['batch', 4] }])
      expect(session.outputMetadata).toMatchObject([
        { name: 'probabilities', type: 'float32', shape: ['batch', 3] },
        { name: 'label', type: 'int64', shape: ['batch'] },
      ])
      // Textbook flowers, one per species, in raw centimetres (standardization is inside the graph).
      const rows = [[5.1, 3.5, 1.4, 0.2], [6.0, 2.9, 4.5, 1.5], [6.9, 3.1, 5.8, 2.3]]
      const out = await session.run({ features: new ort.Tensor('float32', Float32Array.from(rows.flat()), [3, 4]) })
      expect(Array.from(out['label']?.data as BigInt64Array)).toEqual([0n, 1n, 2n])
      const probs = out['probabilities']?.data as Float32Array
      for (let i = 0; i < 3; i++) expect(probs[i * 3]! + probs[i * 3 + 1]! + probs[i * 3 + 2]!).toBeCloseTo(1, 5)
    } finally {
      await session.release()
    }
  })

  it('writes labels.txt in index order and a config naming it', async () => {
    expect(await readFile(join(dir, 'labels.txt'), 'utf8')).toBe(IRIS_LABELS.join('\n') + '\n')
    expect(await readFile(join(dir, 'config.yaml'), 'utf8')).toContain('label_filename: labels.txt')
  })

  it('is deterministic: retraining gives the same accuracy and leaves the model file unchanged', async () => {
    const before = await readFile(result.modelPath)
    const again = await trainIris({ outDir: dir })
    expect(again.accuracy).toBe(result.accuracy)
    expect(Buffer.compare(await readFile(again.modelPath), before)).toBe(0)
  })
})
