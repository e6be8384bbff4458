/**
 * The text classification example: language identification over 14 languages.
 *
 *   examples/models/language_id/tokenizer.json   WordPiece tokenizer (Hugging Face format), built here
 *   examples/models/language_id/1/model.onnx     input_ids, attention_mask INT64 [batch, L] → probabilities FP32 [batch, 14]
 *   examples/models/language_id/labels.txt       BCP 47 tags in class order
 *   examples/models/language_id/config.yaml      with a `pipeline:` section (text in, language out)
 *
 * Data: TypeScript's compiler messages and their human translations, from the `typescript` npm
 * package (see text-language-corpus.ts); held out by message, so test sentences were never seen in
 * any language. The tokenizer's vocabulary is learnt from the training sentences only. Texts are
 * turned into ids by the server's own text processor (src/pipeline/processors/text.ts) reading
 * the written tokenizer.json, so training sees exactly what serving will send, and accuracy is
 * measured by onnxruntime on the written model file. Deterministic: same data, same seed, same model.
 *
 *   npx tsx scripts/examples/text-classifier.ts [modelDir]
 */
import { access, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { parse } from 'yaml'
import type { Tensor } from '../../src/core/tensor.js'
import { loadTextProcessor, validateTextSpec, type TextProcessor, type TextSpec } from '../../src/pipeline/processors/text.js'
import { isMain } from '../is-main.js'
import { writeFileIfChanged } from '../onnx/write-file.js'
import { EXAMPLES_DIR } from '../paths.js'
import { embeddingBagOnnx, predictEmbeddingBag, trainEmbeddingBag } from './text-embedding-bag.js'
import { LANGUAGE_LABELS, loadLanguageCorpus, type LabelledText, type LanguageCorpus } from './text-language-corpus.js'
import { bertTokenizerJson, countWords, trainWordPiece } from './text-wordpiece.js'

/** The example's folder name under examples/models. */
export const TEXT_CLASSIFIER_NAME = 'language_id'

/** WordPiece vocabulary size (special tokens and characters included). */
const VOCAB_SIZE = 8000

/** The `text:` spec of the pipeline input, as written in config.yaml below. */
export const LANGUAGE_ID_TEXT_SPEC: TextSpec = Object.freeze({
  tokenizer: 'tokenizer.json',
  max_length: 128,
  padding: 'max_length',
  truncation: true,
  input_ids: 'input_ids',
  attention_mask: 'attention_mask',
})

const CONFIG_YAML = `# Language identification (${LANGUAGE_LABELS.length} languages), trained by scripts/examples/text-classifier.ts
# on TypeScript's compiler messages and their translations (npm package typescript). The
# tokenizer (tokenizer.json, WordPiece) and 1/model.onnx are produced by \`npm run setup\`.
backend: onnxruntime
max_batch_size: 64
input:
  - { name: input_ids, data_type: TYPE_INT64, dims: [-1] }
  - { name: attention_mask, data_type: TYPE_INT64, dims: [-1] }
output:
  - { name: probabilities, data_type: TYPE_FP32, dims: [${LANGUAGE_LABELS.length}], label_filename: labels.txt }
pipeline:
  inputs:
    - name: text
      kind: text
      text: { tokenizer: tokenizer.json, max_length: 128, padding: max_length, truncation: true, input_ids: input_ids, attention_mask: attention_mask }
  outputs:
    - name: language
      kind: classes
      tensor: probabilities
      top_k: 3
`

export interface TextClassifierEvaluation {
  /** Held-out accuracy of the ONNX model, as onnxruntime runs it. */
  readonly accuracy: number
  readonly correct: number
  readonly total: number
  /** Accuracy of always answering the most frequent training language. */
  readonly baseline: number
  /** Held-out accuracy per label. */
  readonly perLabel: Readonly<Record<string, number>>
  /** The held-out sentences with the model's answer (label index). */
  readonly predictions: readonly { readonly text: string; readonly label: number; readonly predicted: number }[]
}

async function exists (path: string): Promise<boolean> {
  return access(path).then(() => true, () => false)
}

/** Token ids of one row of an encoded batch, without padding (the model ignores padding through the mask). */
function rowIds (ids: Tensor, mask: Tensor, r: number): number[] {
  const width = ids.shape[1] as number
  const idData = ids.data as BigInt64Array
  const maskData = mask.data as BigInt64Array
  const row: number[] = []
  for (let c = 0; c < width && maskData[r * width + c] === 1n; c++) row.push(Number(idData[r * width + c]))
  return row
}

/** The texts encoded by the server's processor, in batches of `size`. */
function* batches (processor: TextProcessor, texts: readonly string[], size: number): Generator<[Tensor, Tensor]> {
  for (let start = 0; start < texts.length; start += size) {
    yield processor.encode(texts.slice(start, start + size), 'text') as [Tensor, Tensor]
  }
}

/** The model's answer (label index), probabilities and input token ids for each text, through onnxruntime. */
async function runModel (session: ort.InferenceSession, processor: TextProcessor, texts: readonly string[]): Promise<{ labels: number[]; probabilities: Float32Array[]; ids: number[][] }> {
  const labels: number[] = []
  const probabilities: Float32Array[] = []
  const ids: number[][] = []
  const classes = LANGUAGE_LABELS.length
  for (const [inputIds, mask] of batches(processor, texts, 64)) {
    const feeds: Record<string, ort.Tensor> = {}
    for (const t of [inputIds, mask]) feeds[t.name] = new ort.Tensor('int64', t.data as BigInt64Array, [...t.shape])
    const out = await session.run(feeds)
    const p = out['probabilities']?.data as Float32Array
    for (let r = 0; r * classes < p.length; r++) {
      const row = p.subarray(r * classes, (r + 1) * classes)
      probabilities.push(row)
      labels.push(row.indexOf(Math.max(...row)))
      ids.push(rowIds(inputIds, mask, r))
    }
  }
  return { labels, probabilities, ids }
}

/** The text spec in `<modelDir>/config.yaml`, checked as the server checks it. */
async function configuredTextSpec (modelDir: string): Promise<TextSpec> {
  const config = parse(await readFile(join(modelDir, 'config.yaml'), 'utf8')) as { pipeline?: { inputs?: { kind?: string; text?: unknown }[] } }
  const input = config.pipeline?.inputs?.find((i) => i.kind === 'text')
  return validateTextSpec(input?.text, TEXT_CLASSIFIER_NAME)
}

/**
 * Measures a written model on the held-out sentences: the tokenizer and spec from the model
 * folder, the model through onnxruntime.
 *
 * @param corpus the corpus, if the caller has loaded it already.
 */
export async function evaluateTextClassifier (modelDir: string, corpus?: LanguageCorpus): Promise<TextClassifierEvaluation> {
  corpus ??= await loadLanguageCorpus()
  const processor = await loadTextProcessor(await configuredTextSpec(modelDir), modelDir, TEXT_CLASSIFIER_NAME)
  const session = await ort.InferenceSession.create(join(modelDir, '1', 'model.onnx'))
  try {
    const { labels } = await runModel(session, processor, corpus.test.map((t) => t.text))
    return evaluation(corpus.train, corpus.test, labels)
  } finally {
    await session.release()
  }
}

function evaluation (train: readonly LabelledText[], test: readonly LabelledText[], predicted: readonly number[]): TextClassifierEvaluation {
  const trainCounts = LANGUAGE_LABELS.map((_, i) => train.filter((t) => t.label === i).length)
  const majority = trainCounts.indexOf(Math.max(...trainCounts))
  const correct = test.filter((t, i) => predicted[i] === t.label).length
  const perLabel = Object.fromEntries(LANGUAGE_LABELS.map((name, label) => {
    const rows = test.map((t, i) => [t.label, predicted[i]]).filter(([l]) => l === label)
    return [name, rows.filter(([l, p]) => l === p).length / rows.length]
  }))
  return {
    accuracy: correct / test.length,
    correct,
    total: test.length,
    baseline: test.filter((t) => t.label === majority).length / test.length,
    perLabel,
    predictions: test.map((t, i) => ({ text: t.text, label: t.label, predicted: predicted[i] ?? -1 })),
  }
}

/** Trains and writes every file of the example; returns the line to print. */
async function train (modelDir: string): Promise<string> {
  const started = Date.now()
  const corpus = await loadLanguageCorpus()
  const vocab = trainWordPiece(countWords(corpus.train.map((t) => t.text)), { vocabSize: VOCAB_SIZE })
  await writeFileIfChanged(join(modelDir, 'tokenizer.json'), JSON.stringify(bertTokenizerJson(vocab), null, 2) + '\n')
  await writeFileIfChanged(join(modelDir, 'labels.txt'), LANGUAGE_LABELS.join('\n') + '\n')
  await writeFileIfChanged(join(modelDir, 'config.yaml'), CONFIG_YAML)
  const processor = await loadTextProcessor(await configuredTextSpec(modelDir), modelDir, TEXT_CLASSIFIER_NAME)

  const trainIds: number[][] = []
  for (const [ids, mask] of batches(processor, corpus.train.map((t) => t.text), 256)) {
    for (let r = 0; r < (ids.shape[0] as number); r++) trainIds.push(rowIds(ids, mask, r))
  }
  const model = trainEmbeddingBag(trainIds, corpus.train.map((t) => t.label),
    vocab.length, LANGUAGE_LABELS.length, { dim: 32, epochs: 5, learningRate: 0.5, seed: 1 })
  const modelPath = join(modelDir, '1', 'model.onnx')
  await embeddingBagOnnx(model, { inputIds: 'input_ids', attentionMask: 'attention_mask', probabilities: 'probabilities' },
    `language identification, embedding bag over WordPiece tokens (scripts/examples/text-classifier.ts, ${corpus.source})`).save(modelPath)

  const session = await ort.InferenceSession.create(modelPath)
  let result: TextClassifierEvaluation
  try {
    const onnx = await runModel(session, processor, corpus.test.map((t) => t.text))
    // The export is right only if onnxruntime agrees with the model as trained.
    const js = onnx.ids.map((ids) => predictEmbeddingBag(model, ids))
    let maxDiff = 0
    js.forEach((p, i) => p.forEach((v, c) => { maxDiff = Math.max(maxDiff, Math.abs(v - (onnx.probabilities[i]?.[c] ?? Number.NaN))) }))
    if (!(maxDiff < 1e-4)) throw new Error(`${TEXT_CLASSIFIER_NAME}: the ONNX model disagrees with the trained model (max probability diff ${maxDiff})`)
    result = evaluation(corpus.train, corpus.test, onnx.labels)
  } finally {
    await session.release()
  }
  return `${TEXT_CLASSIFIER_NAME}: held-out accuracy ${result.accuracy.toFixed(3)} (${result.correct}/${result.total}, ` +
    `majority baseline ${result.baseline.toFixed(3)}), ${vocab.length} WordPiece tokens, trained in ${((Date.now() - started) / 1000).toFixed(1)} s → ${modelPath}`
}

/**
 * Makes the language identification example servable: trains the tokenizer and the model when
 * either file is missing (they belong together), and otherwise leaves the folder alone.
 *
 * @returns the action line, e.g. `language_id: held-out accuracy 0.97 (…)`.
 */
export async function setupTextClassifier (modelDir: string = join(EXAMPLES_DIR, TEXT_CLASSIFIER_NAME)): Promise<string> {
  const modelPath = join(modelDir, '1', 'model.onnx')
  if (await exists(modelPath) && await exists(join(modelDir, 'tokenizer.json'))) return `${TEXT_CLASSIFIER_NAME}: ${modelPath} present, kept`
  return train(modelDir)
}

if (isMain(import.meta.url)) {
  const dir = process.argv[2]
  console.log(await setupTextClassifier(dir ?? join(EXAMPLES_DIR, TEXT_CLASSIFIER_NAME)))
}
