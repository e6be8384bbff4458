/**
 * The fraud-style example: a rare-event risk score with a probability and a decision threshold,
 * trained on real data. Real card-fraud data is not on npm; the FAA wildlife strike reports in
 * `vega-datasets` (birdstrikes.csv, 10,000 reports) have the same shape of problem: a rare
 * positive class (10.5% of strikes damaged the aircraft), numeric, date and categorical
 * fields, and missing values (28% of reports lack the airspeed). The model answers "did this
 * strike damage the aircraft?" from what a report says about it.
 *
 *   examples/models/birdstrike_damage/1/model.onnx   features f32[batch,W] → probabilities f32[batch,2]
 *   examples/models/birdstrike_damage/config.yaml    the feature spec and threshold under `pipeline:`
 *   examples/models/birdstrike_damage/labels.txt     no_damage, damage
 *   examples/models/birdstrike_damage/example.json   a friendly request with held-out reports
 *
 * Logistic regression (an MLP with no hidden layer, scripts/ml/mlp.ts): on these features a
 * 16-unit MLP fitted the training rows better and the held-out rows worse. Unweighted loss, so
 * the probability stays calibrated; the imbalance is handled by the threshold instead, chosen
 * for the best F1 on validation rows. Split: 25% of rows held out for test, 25% of the rest for
 * validation, stratified and seeded. Held-out figures come from running the written ONNX file.
 *
 *   npx tsx scripts/examples/fraud.ts [modelDir]    (always trains; setupFraud only when missing)
 */
import { join } from 'node:path'
import { recordsToFeatures, type TabularSpec } from '../../src/pipeline/processors/tabular.js'
import { isMain } from '../is-main.js'
import { EXAMPLES_DIR } from '../paths.js'
import { type FeatureDeclaration, fitTabularSpec } from '../ml/fit-tabular-spec.js'
import { bestF1Threshold, binaryMetrics, type BinaryMetrics, rocAuc } from '../ml/metrics.js'
import { mlpOutputs, sigmoid, trainMlp } from '../ml/mlp.js'
import { column, runOnnxMatrix } from '../ml/onnx-run.js'
import { stratifiedSplit } from '../ml/stratified-split.js'
import { checkedMaxDiff, FEATURES_INPUT, recordModelConfig, setupWhenMissing, type TabularExampleResult, writeMlpExample } from '../ml/tabular-example.js'
import { readVegaCsv, vegaDataVersion } from '../ml/vega-data.js'

export const FRAUD_MODEL = 'birdstrike_damage'

/** Class names in index order: the model's probabilities are [P(no_damage), P(damage)]. */
export const DAMAGE_LABELS = ['no_damage', 'damage'] as const

/**
 * The features, as a client sends them (one JSON record per strike report). Categories rarer
 * than 20 training rows get no column; those and any category first seen in serving encode as
 * all-zero (unknown: ignore), except wildlife_size, whose three sizes are a closed set.
 */
export const FRAUD_FEATURES: readonly FeatureDeclaration[] = [
  { name: 'wildlife_size', kind: 'categorical' },
  { name: 'phase_of_flight', kind: 'categorical', unknown: 'ignore' },
  { name: 'time_of_day', kind: 'categorical', unknown: 'ignore' },
  { name: 'speed_knots', kind: 'numeric', missing: 'mean' },
  { name: 'operator', kind: 'categorical', unknown: 'ignore', minCount: 20 },
  { name: 'origin_state', kind: 'categorical', unknown: 'ignore', minCount: 20 },
  { name: 'wildlife_species', kind: 'categorical', unknown: 'ignore', minCount: 20 },
  { name: 'flight_date', kind: 'date' },
]

/** One strike report as a client would send it, and whether the aircraft was damaged. */
export interface StrikeReport {
  readonly record: Record<string, unknown>
  readonly damaged: 0 | 1
}

/**
 * A CSV row as a JSON record: snake_case field names, airspeed as a number (left out when the
 * report has none). Rows whose damage code is not one of the documented ones (15 rows say B
 * or C) are dropped rather than guessed. The cost columns are not used: they are known only
 * after the damage is.
 */
export function strikeReport (row: Readonly<Record<string, string>>): StrikeReport | undefined {
  const damage = row['Effect Amount of damage']
  if (damage !== 'None' && damage !== 'Minor' && damage !== 'Medium' && damage !== 'Substantial') return undefined
  const speed = row['Speed IAS in knots'] ?? ''
  const record: Record<string, unknown> = {
    wildlife_size: row['Wildlife Size'],
    wildlife_species: row['Wildlife Species'],
    phase_of_flight: row['Phase of flight'],
    time_of_day: row['Time of day'],
    ...(speed === '' ? {} : { speed_knots: Number(speed) }),
    operator: row['Aircraft Airline Operator'],
    origin_state: row['Origin State'],
    flight_date: row['Flight Date'],
  }
  return { record, damaged: damage === 'None' ? 0 : 1 }
}

export interface TrainFraudOptions {
  /** Model folder to write. Default `<repo>/examples/models/birdstrike_damage`. */
  readonly outDir?: string
  /** Seed of the splits and the initialisation. Default 42. */
  readonly seed?: number
}

export interface FraudResult extends TabularExampleResult {
  /** Held-out figures at the chosen threshold, from the ONNX file run by onnxruntime. */
  readonly test: BinaryMetrics
  /** Held-out ROC AUC (0.5 is guessing). */
  readonly auc: number
  /** F1 of the trivial detector that calls every report damaged: the baseline F1 must beat. */
  readonly alwaysPositiveF1: number
  /** The threshold, chosen on validation rows and saved in config.yaml. */
  readonly threshold: number
  readonly rows: { readonly train: number; readonly validation: number; readonly test: number }
  /** The held-out labels, for tests (in the order of testRecords). */
  readonly testLabels: readonly number[]
  /** Largest |JS − ONNX| held-out probability: float32 rounding only, if the export is right. */
  readonly maxProbabilityDiff: number
}

const OUTPUT = 'probabilities'

/**
 * Trains, writes and verifies the model.
 *
 * @example
 * const { test } = await trainFraud({ outDir: '/tmp/birdstrike_damage' })
 */
export async function trainFraud (options: TrainFraudOptions = {}): Promise<FraudResult> {
  const outDir = options.outDir ?? join(EXAMPLES_DIR, FRAUD_MODEL)
  const seed = options.seed ?? 42
  const reports = (await readVegaCsv('birdstrikes.csv')).map(strikeReport).filter((r) => r !== undefined)
  const labels = reports.map((r) => r.damaged)
  const outer = stratifiedSplit(labels, 0.25, seed)
  const inner = stratifiedSplit(outer.train.map((i) => labels[i] as number), 0.25, seed + 1)
  const trainRows = inner.train.map((i) => outer.train[i] as number)
  const validationRows = inner.test.map((i) => outer.train[i] as number)
  const records = (rows: readonly number[]): Record<string, unknown>[] => rows.map((i) => reports[i]?.record as Record<string, unknown>)
  const targets = (rows: readonly number[]): number[] => rows.map((i) => labels[i] as number)

  // Training features go through recordsToFeatures with the saved spec: the serving code path.
  const spec = fitTabularSpec(records(trainRows), FRAUD_FEATURES)
  const model = trainMlp(recordsToFeatures(records(trainRows), spec), targets(trainRows), {
    hidden: 0, loss: 'logistic', epochs: 300, learningRate: 0.03, l2: 1e-4, seed,
  })
  const validationP = Array.from(mlpOutputs(model, recordsToFeatures(records(validationRows), spec)), sigmoid)
  // Rounded before use, so the saved threshold is exactly the one the figures are for.
  const threshold = Number(bestF1Threshold(validationP, targets(validationRows)).toFixed(4))

  const dataVersion = await vegaDataVersion()
  const testRecords = records(outer.test)
  const testLabels = targets(outer.test)
  const testFeatures = recordsToFeatures(testRecords, spec)
  const modelPath = await writeMlpExample(outDir, [
    ['labels.txt', DAMAGE_LABELS.join('\n') + '\n'],
    ['config.yaml', fraudConfig(spec, testFeatures.width, threshold, dataVersion)],
    ['example.json', exampleRequest(testRecords, testLabels)],
  ], model, {
    name: FRAUD_MODEL,
    docString: `bird-strike damage logistic regression (scripts/examples/fraud.ts, vega-datasets@${dataVersion} birdstrikes.csv)`,
    output: OUTPUT,
    head: 'probabilities',
  })

  const onnxP = column(await runOnnxMatrix(modelPath, FEATURES_INPUT, OUTPUT, testFeatures), 2, 1)
  const jsP = Array.from(mlpOutputs(model, testFeatures), sigmoid)
  const maxProbabilityDiff = checkedMaxDiff(FRAUD_MODEL, jsP, onnxP, 1e-4)
  return {
    test: binaryMetrics(onnxP, testLabels, threshold),
    auc: rocAuc(onnxP, testLabels),
    alwaysPositiveF1: binaryMetrics(onnxP.map(() => 1), testLabels, 0.5).f1,
    threshold,
    rows: { train: trainRows.length, validation: validationRows.length, test: outer.test.length },
    spec,
    testRecords,
    testLabels,
    maxProbabilityDiff,
    dataVersion,
    modelPath,
  }
}

function fraudConfig (spec: TabularSpec, width: number, threshold: number, dataVersion: string): string {
  return recordModelConfig([
    'Bird-strike damage risk: the probability that a reported wildlife strike damaged the aircraft.',
    `Logistic regression trained by scripts/examples/fraud.ts on vega-datasets@${dataVersion} birdstrikes.csv`,
    '(FAA wildlife strike reports, 10.5% damaged). Generated with the model: edit the script, not this file.',
    'Friendly endpoint: POST /v2/models/birdstrike_damage/predict {"records": [{...}, ...]} (see example.json).',
  ], spec, width, { name: OUTPUT, dims: [2], label_filename: 'labels.txt' },
  // threshold: chosen for the best F1 on validation rows; "damage" when P(damage) >= it.
  { name: 'damage', kind: 'classes', tensor: OUTPUT, activation: 'none', threshold, labels: 'labels.txt' })
}

/** Held-out reports for example.json: the first two damaged and the first two undamaged. */
function exampleRequest (records: readonly Record<string, unknown>[], labels: readonly number[]): string {
  const pick = (y: number): Record<string, unknown>[] => records.filter((_, i) => labels[i] === y).slice(0, 2)
  return JSON.stringify({ records: [...pick(1), ...pick(0)] }, null, 2) + '\n'
}

/** The line the CLI prints and setup reports. */
export function formatFraudResult (r: FraudResult): string {
  const t = r.test
  const f = (x: number): string => x.toFixed(3)
  return `${FRAUD_MODEL}: held-out ${r.rows.test} reports (${t.truePositives + t.falseNegatives} damaged), threshold ${r.threshold}: ` +
    `precision ${f(t.precision)} recall ${f(t.recall)} F1 ${f(t.f1)} (always-damage F1 ${f(r.alwaysPositiveF1)}), ` +
    `ROC AUC ${f(r.auc)}, accuracy ${f(t.accuracy)} (majority ${f(t.majorityAccuracy)}) → ${r.modelPath}`
}

/**
 * Makes the example servable: trains only when the model file is missing.
 *
 * @returns one line saying what was done, with the held-out figures when it trained
 */
export async function setupFraud (modelDir: string): Promise<string> {
  return await setupWhenMissing(FRAUD_MODEL, modelDir, async () => formatFraudResult(await trainFraud({ outDir: modelDir })))
}

if (isMain(import.meta.url)) {
  const outDir = process.argv[2]
  console.log(formatFraudResult(await trainFraud(outDir === undefined ? {} : { outDir })))
}
