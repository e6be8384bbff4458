import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OnnxBackend } from '../../src/backends/onnx/onnx-backend.js'
import type { ModelSession } from '../../src/backends/backend.js'
import { loadTextProcessor, textSpecTensors, validateTextSpec, type TextProcessor } from '../../src/pipeline/processors/text.js'
import { EXAMPLES_DIR } from '../paths.js'
import { evaluateTextClassifier, LANGUAGE_ID_TEXT_SPEC, setupTextClassifier, TEXT_CLASSIFIER_NAME } from './text-classifier.js'
import { LANGUAGE_LABELS, loadLanguageCorpus, type LanguageCorpus } from './text-language-corpus.js'

/**
 * The language identification example, as the server will run it: its own tokenizer.json read by
 * the text processor, its model.onnx opened by the onnxruntime backend. setupTextClassifier trains
 * only when the files are missing (the vitest global setup normally made them already).
 */

const DIR = join(EXAMPLES_DIR, TEXT_CLASSIFIER_NAME)

let processor: TextProcessor
let session: ModelSession
let corpus: LanguageCorpus
beforeAll(async () => {
  // Trains (about 15 s of CPU) only if the global setup has not made the files.
  await setupTextClassifier(DIR)
  corpus = await loadLanguageCorpus()
  processor = await loadTextProcessor(LANGUAGE_ID_TEXT_SPEC, DIR, TEXT_CLASSIFIER_NAME)
  session = await new OnnxBackend().open(join(DIR, '1', 'model.onnx'), {}, { info () {}, warn () {} })
}, 180_000)
afterAll(async () => { await session?.close() })

async function classify (texts: string[]): Promise<{ label: string; p: number }[]> {
  const [probs] = await session.run(processor.encode(texts, 'text'), ['probabilities'])
  const data = probs?.data as Float32Array
  const C = LANGUAGE_LABELS.length
  return texts.map((_, i) => {
    const row = Array.from(data.subarray(i * C, (i + 1) * C))
    const best = row.indexOf(Math.max(...row))
    return { label: LANGUAGE_LABELS[best] as string, p: row[best] as number }
  })
}

describe('language_id example', () => {
  it('identifies the language of held-out messages far above the majority baseline', async () => {
    const e = await evaluateTextClassifier(DIR, corpus)
    expect(e.total).toBeGreaterThan(4000)
    expect(e.baseline).toBeLessThan(0.1)
    expect(e.accuracy).toBeGreaterThanOrEqual(0.95)
    for (const [label, accuracy] of Object.entries(e.perLabel)) expect(accuracy, label).toBeGreaterThanOrEqual(0.9)
  }, 120_000)

  it('answers hand-written sentences, outside the corpus, in each language', async () => {
    const sentences: [string, string][] = [
      ['en', 'The weather is nice today and we are going to the beach.'],
      ['cs', 'Dnes je hezké počasí a jdeme na pláž.'],
      ['de', 'Heute ist das Wetter schön und wir gehen an den Strand.'],
      ['es', 'Hoy hace buen tiempo y vamos a la playa.'],
      ['fr', "Il fait beau aujourd'hui et nous allons à la plage."],
      ['it', 'Oggi il tempo è bello e andiamo al mare.'],
      ['ja', 'ファイルが見つかりません。'],
      ['ko', '파일을 찾을 수 없습니다.'],
      ['pl', 'Dzisiaj jest ładna pogoda i idziemy na plażę.'],
      ['pt-BR', 'Hoje o tempo está bom e vamos à praia.'],
      ['ru', 'Сегодня хорошая погода, и мы идём на пляж.'],
      ['tr', 'Bugün hava güzel ve plaja gidiyoruz.'],
      ['zh-CN', '找不到文件。'],
      ['zh-TW', '找不到檔案。'],
    ]
    const seen = new Set([...corpus.train, ...corpus.test].map((t) => t.text))
    expect(sentences.filter(([, text]) => seen.has(text))).toEqual([])
    const answers = await classify(sentences.map(([, text]) => text))
    expect(answers.map((a) => a.label)).toEqual(sentences.map(([label]) => label))
    for (const a of answers) expect(a.p).toBeGreaterThan(0.5)
  })

  it('has a config whose pipeline text spec is the one trained with, over inputs the model has', async () => {
    const config = parse(await readFile(join(DIR, 'config.yaml'), 'utf8')) as {
      input: { name: string; data_type: string }[]
      output: { name: string; dims: number[]; label_filename: string }[]
      pipeline: { inputs: { kind: string; text: unknown }[]; outputs: { tensor: string }[] }
    }
    const spec = validateTextSpec(config.pipeline.inputs[0]?.text, TEXT_CLASSIFIER_NAME)
    expect(spec).toEqual(LANGUAGE_ID_TEXT_SPEC)
    expect(textSpecTensors(spec).map((t) => [t.name, `TYPE_${t.datatype}`])).toEqual(config.input.map((i) => [i.name, i.data_type]))
    expect(session.declared.inputs.map((i) => [i.name, i.datatype])).toEqual([['input_ids', 'INT64'], ['attention_mask', 'INT64']])
    expect(session.declared.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([['probabilities', 'FP32', [-1, LANGUAGE_LABELS.length]]])
    expect(config.output[0]?.dims).toEqual([LANGUAGE_LABELS.length])
    expect(config.pipeline.outputs[0]?.tensor).toBe('probabilities')
    const labels = (await readFile(join(DIR, config.output[0]?.label_filename ?? ''), 'utf8')).trim().split('\n')
    expect(labels).toEqual(LANGUAGE_LABELS)
  })

  it('gives each text of a padded batch the answer it gets alone (padding is masked out)', async () => {
    const texts = ['Die Datei wurde nicht gefunden.', 'x', 'Le fichier est introuvable, vérifiez le chemin et réessayez.']
    // padding: longest, so the short texts are padded in the batch and not alone.
    const longest = await loadTextProcessor({ ...LANGUAGE_ID_TEXT_SPEC, padding: 'longest' }, DIR, TEXT_CLASSIFIER_NAME)
    const batch = longest.encode(texts, 'text')
    expect(batch[0]?.shape[1]).toBeLessThan(LANGUAGE_ID_TEXT_SPEC.max_length)
    const together = await session.run(batch, ['probabilities'])
    const alone = await Promise.all(texts.map((t) => session.run(longest.encode([t], 'text'), ['probabilities'])))
    const C = LANGUAGE_LABELS.length
    texts.forEach((_, i) => {
      const row = Array.from((together[0]?.data as Float32Array).subarray(i * C, (i + 1) * C))
      const single = Array.from(alone[i]?.[0]?.data as Float32Array)
      row.forEach((v, c) => expect(v).toBeCloseTo(single[c] as number, 6))
    })
  })

  it('keeps the files when they are present', async () => {
    const before = (await stat(join(DIR, '1', 'model.onnx'))).mtimeMs
    expect(await setupTextClassifier(DIR)).toMatch(/present, kept$/)
    expect((await stat(join(DIR, '1', 'model.onnx'))).mtimeMs).toBe(before)
  })
})
