import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { type Matrix, mlpOutputs, sigmoid, trainMlp } from './mlp.js'
import { mlpGraph } from './mlp-onnx.js'

const matrix = (rows: number[][]): Matrix => ({ data: Float32Array.from(rows.flat()), width: rows[0]?.length ?? 0 })
const grid = Array.from({ length: 25 }, (_, i) => [(i % 5) - 2, Math.floor(i / 5) - 2])
const xor = matrix([[0, 0], [0, 1], [1, 0], [1, 1]])
const xorLabels = [0, 1, 1, 0]

describe('trainMlp', () => {
  it('fits a linear target exactly with no hidden layer', () => {
    const y = grid.map(([a, b]) => 2 * (a as number) - 3 * (b as number) + 1)
    const model = trainMlp(matrix(grid), y, { hidden: 0, loss: 'squared', epochs: 2000, learningRate: 0.05, l2: 0, seed: 1 })
    expect(model.w2[0]).toBeCloseTo(2, 3)
    expect(model.w2[1]).toBeCloseTo(-3, 3)
    expect(model.b2).toBeCloseTo(1, 3)
  })

  it('learns XOR with hidden units, which a logistic regression cannot', () => {
    const options = { loss: 'logistic', epochs: 1500, learningRate: 0.05, l2: 0, seed: 3 } as const
    const correct = (hidden: number): number => {
      const p = Array.from(mlpOutputs(trainMlp(xor, xorLabels, { ...options, hidden }), xor), sigmoid)
      return p.filter((v, i) => (v >= 0.5 ? 1 : 0) === xorLabels[i]).length
    }
    expect(correct(8)).toBe(4)
    expect(correct(0)).toBeLessThanOrEqual(3)
  })

  it('is deterministic for a seed and depends on it', () => {
    const options = { hidden: 4, loss: 'logistic', epochs: 20, learningRate: 0.05, l2: 1e-3 } as const
    const a = trainMlp(xor, xorLabels, { ...options, seed: 7 })
    expect(trainMlp(xor, xorLabels, { ...options, seed: 7 })).toEqual(a)
    expect(trainMlp(xor, xorLabels, { ...options, seed: 8 }).w1).not.toEqual(a.w1)
  })

  it('refuses a target count that does not match the rows', () => {
    expect(() => trainMlp(xor, [0, 1], { hidden: 0, loss: 'squared', epochs: 1, learningRate: 0.1, l2: 0, seed: 1 })).toThrow('4 rows but 2 targets')
  })
})

describe('mlpGraph', () => {
  const run = async (bytes: Uint8Array, x: Matrix, output: string): Promise<Float32Array> => {
    const session = await ort.InferenceSession.create(bytes)
    try {
      const rows = x.data.length / x.width
      const out = await session.run({ x: new ort.Tensor('float32', x.data, [rows, x.width]) })
      return out[output]?.data as Float32Array
    } finally {
      await session.release()
    }
  }

  for (const hidden of [0, 8]) {
    it(`runs in onnxruntime as the JS model computes (hidden ${hidden}, both heads)`, async () => {
      const model = trainMlp(xor, xorLabels, { hidden, loss: 'logistic', epochs: 300, learningRate: 0.05, l2: 0, seed: 3 })
      const z = mlpOutputs(model, xor)
      const probs = await run(mlpGraph(model, { name: 'm', docString: '', input: 'x', output: 'p', head: 'probabilities' }).toBytes(), xor, 'p')
      expect(probs).toHaveLength(8)
      z.forEach((v, i) => {
        expect(probs[2 * i + 1]).toBeCloseTo(sigmoid(v), 5)
        expect((probs[2 * i] as number) + (probs[2 * i + 1] as number)).toBeCloseTo(1, 6)
      })
      const values = await run(mlpGraph(model, { name: 'm', docString: '', input: 'x', output: 'y', head: 'value' }).toBytes(), xor, 'y')
      expect(Array.from(values)).toHaveLength(4)
      z.forEach((v, i) => expect(values[i]).toBeCloseTo(v, 4))
    })
  }
})
