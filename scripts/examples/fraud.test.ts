import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import YAML from 'yaml'
import { httpStatusOf, InferdError } from '../../src/errors/index.js'
import { featureWidth, recordsToFeatures, validateTabularSpec } from '../../src/pipeline/processors/tabular.js'
import { column, runOnnxMatrix } from '../ml/onnx-run.js'
import { binaryMetrics } from '../ml/metrics.js'
import { EXAMPLES_DIR } from '../paths.js'
import { DAMAGE_LABELS, FRAUD_MODEL, type FraudResult, setupFraud, trainFraud } from './fraud.js'

const committed = join(EXAMPLES_DIR, FRAUD_MODEL)
let dir: string
let result: FraudResult

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inferd-fraud-'))
  result = await trainFraud({ outDir: dir })
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** The record spec and threshold as the server will read them: from the committed config.yaml. */
async function committedPipeline (): Promise<{ spec: ReturnType<typeof validateTabularSpec>, threshold: number, width: number }> {
  const config = YAML.parse(await readFile(join(committed, 'config.yaml'), 'utf8'))
  return {
    spec: validateTabularSpec(config.pipeline.inputs[0].record, FRAUD_MODEL),
    threshold: config.pipeline.outputs[0].threshold,
    width: config.input[0].dims[0],
  }
}

describe('trainFraud (bird-strike damage, held-out rows through onnxruntime)', () => {
  it('splits 9,985 labelled reports into train, validation and a stratified 25% test set', () => {
    const { train, validation, test } = result.rows
    expect(train + validation + test).toBe(9985)
    expect(test).toBe(result.testLabels.length)
    const positives = result.testLabels.filter((y) => y === 1).length
    expect(positives / test).toBeGreaterThan(0.09)
    expect(positives / test).toBeLessThan(0.12)
  })

  it('ranks damaged reports above undamaged ones far better than chance', () => {
    expect(result.auc).toBeGreaterThanOrEqual(0.75)
  })

  it('beats the trivial detectors on F1 at the chosen threshold, with useful precision and recall', () => {
    const t = result.test
    // Calling every report damaged gives F1 ≈ 0.19, and precision = prevalence ≈ 0.105.
    expect(t.f1).toBeGreaterThanOrEqual(0.33)
    expect(t.f1).toBeGreaterThan(1.6 * result.alwaysPositiveF1)
    expect(t.precision).toBeGreaterThanOrEqual(0.28)
    expect(t.recall).toBeGreaterThanOrEqual(0.3)
    // The F1 threshold trades a little accuracy for recall; it must stay near the majority baseline.
    expect(t.accuracy).toBeGreaterThan(t.majorityAccuracy - 0.05)
    expect(result.threshold).toBeGreaterThan(0.05)
    expect(result.threshold).toBeLessThan(0.5)
  })

  it('exports a graph that agrees with the trained model and takes the width the spec makes', async () => {
    expect(result.maxProbabilityDiff).toBeLessThan(1e-4)
    const session = await ort.InferenceSession.create(result.modelPath)
    try {
      expect(session.inputMetadata).toMatchObject([{ name: 'features', type: 'float32', shape: ['batch', featureWidth(result.spec)] }])
      expect(session.outputMetadata).toMatchObject([{ name: 'probabilities', type: 'float32', shape: ['batch', 2] }])
    } finally {
      await session.release()
    }
  })

  it('wrote exactly the committed config.yaml, labels.txt and example.json (training is deterministic)', async () => {
    for (const file of ['config.yaml', 'labels.txt', 'example.json']) {
      expect(await readFile(join(dir, file), 'utf8'), file).toBe(await readFile(join(committed, file), 'utf8'))
    }
    expect(await readFile(join(dir, 'labels.txt'), 'utf8')).toBe(DAMAGE_LABELS.join('\n') + '\n')
  })

  it('serving through the committed config.yaml reproduces the held-out figures exactly', async () => {
    const { spec, threshold, width } = await committedPipeline()
    expect(spec).toEqual(result.spec)
    expect(threshold).toBe(result.threshold)
    expect(width).toBe(featureWidth(spec))
    const features = recordsToFeatures(result.testRecords, spec)
    const p = column(await runOnnxMatrix(result.modelPath, 'features', 'probabilities', features), 2, 1)
    expect(binaryMetrics(p, result.testLabels, threshold)).toEqual(result.test)
  })

  it('example.json holds held-out reports, damaged ones first, that the spec accepts', async () => {
    const { spec } = await committedPipeline()
    const example = JSON.parse(await readFile(join(committed, 'example.json'), 'utf8')) as { records: Record<string, unknown>[] }
    expect(example.records).toHaveLength(4)
    const labels = example.records.map((r) => result.testLabels[result.testRecords.findIndex((t) => JSON.stringify(t) === JSON.stringify(r))])
    expect(labels).toEqual([1, 1, 0, 0])
    expect(recordsToFeatures(example.records, spec).shape).toEqual([4, featureWidth(spec)])
  })

  it('setupFraud keeps a present model and trains a missing one', async () => {
    const before = await stat(result.modelPath)
    expect(await setupFraud(dir)).toBe(`${FRAUD_MODEL}: ${result.modelPath} present, kept`)
    expect((await stat(result.modelPath)).mtimeMs).toBe(before.mtimeMs)
    const fresh = join(dir, 'fresh')
    const line = await setupFraud(fresh)
    expect(line).toContain(`F1 ${result.test.f1.toFixed(3)}`)
    expect(Buffer.compare(await readFile(join(fresh, '1', 'model.onnx')), await readFile(result.modelPath))).toBe(0)
  })
})

describe('bad strike reports get a 400 naming the record and field', () => {
  const fails = async (records: unknown[], message: string): Promise<void> => {
    const { spec } = await committedPipeline()
    let err: unknown
    try { recordsToFeatures(records, spec) } catch (e) { err = e }
    expect(err).toBeInstanceOf(InferdError)
    expect(httpStatusOf(err as InferdError)).toBe(400)
    expect((err as InferdError).code).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
    expect((err as InferdError).message).toBe(`tensor 'records': ${message}`)
  }
  const report = { wildlife_size: 'Large', wildlife_species: 'Canada goose', phase_of_flight: 'Climb', time_of_day: 'Day', speed_knots: 160, operator: 'MILITARY', origin_state: 'Texas', flight_date: '1999-10-19' }
  const without = (key: keyof typeof report): Record<string, unknown> => Object.fromEntries(Object.entries(report).filter(([k]) => k !== key))

  it('accepts a good report, a missing airspeed (imputed) and unseen open-ended categories', async () => {
    const { spec } = await committedPipeline()
    const out = recordsToFeatures([report, without('speed_knots'), { ...report, operator: 'NEW AIRLINE', wildlife_species: 'Dodo' }], spec)
    expect(out.shape).toEqual([3, featureWidth(spec)])
  })

  it('refuses a missing field, a mistyped field, an unknown closed category and a bad date', async () => {
    await fails([report, without('wildlife_size')], "record 1: field 'wildlife_size' is missing")
    await fails([{ ...report, speed_knots: '160' }], "record 0: field 'speed_knots' must be a number, got string")
    await fails([{ ...report, wildlife_size: 'Huge' }], "record 0: field 'wildlife_size' is 'Huge', not one of Large, Medium, Small")
    await fails([report, report, { ...report, flight_date: '19/10/1999' }], "record 2: field 'flight_date' is '19/10/1999', not an ISO 8601 date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)")
    await fails([{ ...report, flight_date: 1999 }], "record 0: field 'flight_date' must be an ISO 8601 date string, got number")
    await fails([without('flight_date')], "record 0: field 'flight_date' is missing")
  })
})
