import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import YAML from 'yaml'
import { featureWidth, recordsToFeatures, validateTabularSpec } from '../../src/pipeline/processors/tabular.js'
import { regressionMetrics } from '../ml/metrics.js'
import { runOnnxMatrix } from '../ml/onnx-run.js'
import { EXAMPLES_DIR } from '../paths.js'
import { REGRESSION_MODEL, type RegressionResult, setupRegression, trainRegression } from './regression.js'

const committed = join(EXAMPLES_DIR, REGRESSION_MODEL)
let dir: string
let result: RegressionResult

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inferd-regression-'))
  result = await trainRegression({ outDir: dir })
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** What the server reads: the record spec and the output's unscale from the committed config.yaml. */
async function committedPipeline (): Promise<{ spec: ReturnType<typeof validateTabularSpec>, unscale: { mean: number, std: number }, width: number }> {
  const config = YAML.parse(await readFile(join(committed, 'config.yaml'), 'utf8'))
  return {
    spec: validateTabularSpec(config.pipeline.inputs[0].record, REGRESSION_MODEL),
    unscale: config.pipeline.outputs[0].unscale,
    width: config.input[0].dims[0],
  }
}

/** MPG predictions for records the way serving computes them: spec → ONNX → unscale. */
async function servePredictions (records: readonly unknown[]): Promise<number[]> {
  const { spec, unscale } = await committedPipeline()
  const out = await runOnnxMatrix(result.modelPath, 'features', 'mpg_standardized', recordsToFeatures(records, spec))
  return Array.from(out, (z) => z * unscale.std + unscale.mean)
}

describe('trainRegression (car MPG, held-out rows through onnxruntime)', () => {
  it('holds out 20% of the 398 cars with a known MPG', () => {
    expect(result.rows.train + result.rows.test).toBe(398)
    expect(result.rows.test).toBe(80)
  })

  it('predicts held-out MPG far better than the training mean does', () => {
    // The mean predictor is off by about 7 MPG (RMSE); the model must at least halve that.
    expect(result.baseline.rmse).toBeGreaterThan(6)
    expect(result.test.rmse).toBeLessThanOrEqual(3.2)
    expect(result.test.rmse).toBeLessThan(0.5 * result.baseline.rmse)
    expect(result.test.mae).toBeLessThanOrEqual(2.6)
    expect(result.test.mae).toBeLessThan(0.5 * result.baseline.mae)
    expect(result.r2).toBeGreaterThanOrEqual(0.8)
  })

  it('exports a graph that agrees with the trained model and outputs one standardized value per row', async () => {
    expect(result.maxPredictionDiff).toBeLessThan(1e-3)
    const session = await ort.InferenceSession.create(result.modelPath)
    try {
      expect(session.inputMetadata).toMatchObject([{ name: 'features', type: 'float32', shape: ['batch', featureWidth(result.spec)] }])
      expect(session.outputMetadata).toMatchObject([{ name: 'mpg_standardized', type: 'float32', shape: ['batch', 1] }])
    } finally {
      await session.release()
    }
  })

  it('wrote exactly the committed config.yaml and example.json (training is deterministic)', async () => {
    for (const file of ['config.yaml', 'example.json']) {
      expect(await readFile(join(dir, file), 'utf8'), file).toBe(await readFile(join(committed, file), 'utf8'))
    }
  })

  it('serving through the committed config.yaml (spec in, unscale out) reproduces the held-out errors', async () => {
    const { spec, unscale, width } = await committedPipeline()
    expect(spec).toEqual(result.spec)
    expect(unscale).toEqual(result.unscale)
    expect(width).toBe(featureWidth(spec))
    expect(regressionMetrics(await servePredictions(result.testRecords), [...result.testTargets])).toEqual(result.test)
  })

  it('example.json holds held-out cars, one with unknown horsepower, predicted within 6 MPG of the truth', async () => {
    const example = JSON.parse(await readFile(join(committed, 'example.json'), 'utf8')) as { records: Record<string, unknown>[] }
    expect(example.records.some((r) => r['Horsepower'] === null)).toBe(true)
    const truth = example.records.map((r) => {
      const i = result.testRecords.findIndex((t) => Object.entries(r).every(([k, v]) => t[k] === v))
      expect(i, `${String(r['Name'])} is a held-out car`).toBeGreaterThanOrEqual(0)
      return result.testTargets[i] as number
    })
    const predicted = await servePredictions(example.records)
    predicted.forEach((p, i) => expect(Math.abs(p - (truth[i] as number))).toBeLessThan(6))
  })

  it('rejects a car whose fields are mistyped, missing or unknown, naming the field', async () => {
    const { spec } = await committedPipeline()
    const car = { Cylinders: 4, Displacement: 97, Horsepower: 88, Weight_in_lbs: 2130, Acceleration: 14.5, Year: '1971-01-01', Origin: 'Japan' }
    expect(() => recordsToFeatures([{ ...car, Origin: 'Korea' }], spec)).toThrow("tensor 'records': record 0: field 'Origin' is 'Korea', not one of Europe, Japan, USA")
    expect(() => recordsToFeatures([{ ...car, Year: 1971 }], spec)).toThrow("tensor 'records': record 0: field 'Year' must be an ISO 8601 date string, got number")
    expect(() => recordsToFeatures([{ ...car, Weight_in_lbs: null }], spec)).toThrow("tensor 'records': record 0: field 'Weight_in_lbs' is missing")
  })

  it('setupRegression keeps a present model and trains a missing one', async () => {
    const before = await stat(result.modelPath)
    expect(await setupRegression(dir)).toBe(`${REGRESSION_MODEL}: ${result.modelPath} present, kept`)
    expect((await stat(result.modelPath)).mtimeMs).toBe(before.mtimeMs)
    const fresh = join(dir, 'fresh')
    expect(await setupRegression(fresh)).toContain(`RMSE ${result.test.rmse.toFixed(2)} MPG`)
    expect(Buffer.compare(await readFile(join(fresh, '1', 'model.onnx')), await readFile(result.modelPath))).toBe(0)
  })
})
