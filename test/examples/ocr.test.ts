import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import ort from 'onnxruntime-node'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { setupOcr } from '../../scripts/examples/ocr.js'
import type { Tensor } from '../../src/core/tensor.js'
import { ctcVocabulary, type CtcResult, decodeCtc, validateCtcSpec } from '../../src/pipeline/postprocess/ctc.js'
import { preprocessImage, validateImageSpec } from '../../src/pipeline/processors/image.js'
import { findTextBoxes, pageUpsideDown, type TextBox, type TextDetectionSpec, validateTextDetectionSpec } from '../../src/pipeline/processors/text-detection.js'
import { lineCrops, turnRows, upsideDownRows } from '../../src/pipeline/processors/text-detection-crops.js'
import { decodeRgb, detectionInput } from '../../src/pipeline/processors/text-detection-input.js'
import { splitLabels } from '../../src/repository/labels.js'
import { EXAMPLES_REPO } from '../helpers/paths.js'
import { renderText, rotate180, type RgbImage } from '../helpers/render-text.js'

/**
 * Known answers for the OCR example (examples/models/ocr*: PaddleOCR det → cls → rec), on text
 * rendered with DejaVu Sans, in two ways:
 *
 * 1. the chain written out with the functions from src/pipeline and onnxruntime-node directly;
 * 2. the `ocr` ensemble's config.yaml played step by step, in order, as it wires them: the ONNX
 *    step models through onnxruntime-node, the custom step models through their model.mjs. This
 *    checks the example's wiring and glue without the server (the ensemble executor and custom
 *    backend have tests of their own).
 *
 * Observed when written (the example's unclip_ratio 2.0): "Hello inference server 42" read exactly
 * with mean confidence 0.981 (0.994 turned 180°); the two-line image 0.974–0.998, upright and
 * turned; the sample image 0.998 and 0.988.
 */

const ONE_LINE = 'Hello inference server 42'
const TWO_LINES = ['The quick brown fox', 'jumps over 13 lazy dogs']

/** Lines stacked top to bottom on the same background, `gap` pixels apart and around. */
function stack (lines: readonly RgbImage[], gap = 20): RgbImage {
  const width = Math.max(...lines.map((l) => l.width)) + 2 * gap
  const height = lines.reduce((h, l) => h + l.height + gap, gap)
  const data = new Uint8Array(width * height * 3).fill(244) // render-text's #f4f4f0, near enough
  let top = gap
  for (const line of lines) {
    for (let y = 0; y < line.height; y++) data.set(line.data.subarray(y * line.width * 3, (y + 1) * line.width * 3), ((top + y) * width + gap) * 3)
    top += line.height + gap
  }
  return { width, height, data }
}

const png = async (image: RgbImage): Promise<Uint8Array> =>
  new Uint8Array(await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer())

let oneLine: Uint8Array
let twoLines: RgbImage
beforeAll(async () => {
  await setupOcr(EXAMPLES_REPO)
  oneLine = await png(await renderText(ONE_LINE, { fontSize: 40 }))
  twoLines = stack(await Promise.all(TWO_LINES.map((t) => renderText(t, { fontSize: 36 }))))
})

describe('the PaddleOCR chain from src/pipeline, on onnxruntime-node', () => {
  const sessions: Record<'det' | 'cls' | 'rec', ort.InferenceSession> = {} as never
  let vocabulary: ReturnType<typeof ctcVocabulary>
  let detection: TextDetectionSpec
  beforeAll(async () => {
    // the example's box settings (its unclip_ratio differs from PaddleOCR's default)
    const crop = parse(readFileSync(join(EXAMPLES_REPO, 'ocr_crop', 'config.yaml'), 'utf8')) as { parameters: Record<string, string> }
    const { rec_min_width: _min, rec_max_width: _max, ...boxSettings } = crop.parameters
    detection = validateTextDetectionSpec(boxSettings, 'ocr_crop')
    for (const name of ['det', 'cls', 'rec'] as const) sessions[name] = await ort.InferenceSession.create(join(EXAMPLES_REPO, `ocr_${name}`, '1', 'model.onnx'))
    const labels = splitLabels(readFileSync(join(EXAMPLES_REPO, 'ocr_rec', 'ppocr_keys_v1.txt'), 'utf8'))
    vocabulary = ctcVocabulary(labels, { labels: 'ppocr_keys_v1.txt', blank: 0, append_space: true }, 'ocr_rec', 6625)
  })
  afterAll(async () => { for (const s of Object.values(sessions)) await s.release() })

  const run = async (session: ort.InferenceSession, x: Tensor): Promise<ort.Tensor> =>
    Object.values(await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, [...x.shape]) }))[0]!

  async function read (bytes: Uint8Array): Promise<{ boxes: TextBox[]; turned: boolean[]; lines: CtcResult[] }> {
    const image = await decodeRgb(bytes)
    const map = await run(sessions.det, await detectionInput(image))
    const [, , h, w] = map.dims as number[]
    const boxes = findTextBoxes({ width: w!, height: h!, data: map.data as Float32Array }, image.width, image.height, detection)
    const crops = await lineCrops(image, boxes)
    const probs = await run(sessions.cls, crops.cls)
    const turned = upsideDownRows({ name: 'p', datatype: 'FP32', shape: probs.dims, data: probs.data as Float32Array })
    const rec = await run(sessions.rec, turnRows(crops.rec, crops.widths, turned))
    const lines = decodeCtc(rec.data as Float32Array, rec.dims, vocabulary)
    return pageUpsideDown(turned) ? { boxes: boxes.reverse(), turned, lines: lines.reverse() } : { boxes, turned, lines }
  }

  it(`reads "${ONE_LINE}" exactly, with one box around the ink`, async () => {
    const { boxes, turned, lines } = await read(oneLine)
    expect(lines.map((l) => l.text)).toEqual([ONE_LINE])
    expect(lines[0]!.confidence).toBeGreaterThan(0.9)
    expect(turned).toEqual([false])
    const { width, height } = await sharp(oneLine).metadata()
    expect(boxes).toHaveLength(1)
    // the box covers most of the line, inside the image
    expect(boxes[0]!.x1 - boxes[0]!.x0).toBeGreaterThan(0.9 * width)
    expect(boxes[0]!.y1 - boxes[0]!.y0).toBeGreaterThan(0.5 * height)
  })

  it('reads a two-line image as two lines, in reading order', async () => {
    const { boxes, lines } = await read(await png(twoLines))
    expect(lines.map((l) => l.text)).toEqual(TWO_LINES)
    expect(Math.min(...lines.map((l) => l.confidence))).toBeGreaterThan(0.9)
    expect(boxes[0]!.y1).toBeLessThanOrEqual(boxes[1]!.y0 + 5)
  })

  it('reads the two-line image turned 180° the same: each line turned back, their order reversed', async () => {
    const { turned, lines } = await read(await png(rotate180(twoLines)))
    expect(turned).toEqual([true, true])
    expect(lines.map((l) => l.text)).toEqual(TWO_LINES)
  })
})

describe("ocr_rec's own pipeline (config.yaml), a cropped line in, its text out", () => {
  it(`reads "${ONE_LINE}" through the image processor and the ctc decoder as configured`, async () => {
    const config = parse(readFileSync(join(EXAMPLES_REPO, 'ocr_rec', 'config.yaml'), 'utf8')) as {
      pipeline: { inputs: Array<{ image: unknown }>; outputs: Array<{ ctc: unknown }> }
    }
    const imageSpec = validateImageSpec(config.pipeline.inputs[0]!.image, 'ocr_rec')
    const ctcSpec = validateCtcSpec(config.pipeline.outputs[0]!.ctc, 'ocr_rec')
    const labels = splitLabels(readFileSync(join(EXAMPLES_REPO, 'ocr_rec', ctcSpec.labels), 'utf8'))
    const vocabulary = ctcVocabulary(labels, ctcSpec, 'ocr_rec', 6625)
    const session = await ort.InferenceSession.create(join(EXAMPLES_REPO, 'ocr_rec', '1', 'model.onnx'))
    try {
      const x = await preprocessImage(oneLine, imageSpec, 'image')
      const out = Object.values(await session.run({ x: new ort.Tensor('float32', x.data, [...x.shape]) }))[0]!
      const [line] = decodeCtc(out.data as Float32Array, out.dims, vocabulary)
      expect(line!.text).toBe(ONE_LINE)
      expect(line!.confidence).toBeGreaterThan(0.9)
    } finally {
      await session.release()
    }
  })
})

/** A step model of the ensemble, run in-process. */
type StepRunner = (inputs: Record<string, Tensor>) => Promise<Record<string, Tensor>>

interface ModelModule {
  initialize?: (ctx: object) => unknown
  execute: (inputs: Record<string, Tensor>, ctx: object) => Promise<Record<string, { datatype: string; shape: number[]; data: unknown }>>
}

describe('the ocr ensemble, its steps played in order as config.yaml wires them', () => {
  const ensemble = parse(readFileSync(join(EXAMPLES_REPO, 'ocr', 'config.yaml'), 'utf8')) as {
    output: Array<{ name: string }>
    ensemble_scheduling: { step: Array<{ model_name: string; input_map: Record<string, string>; output_map: Record<string, string> }> }
  }
  const runners = new Map<string, StepRunner>()
  const sessions: ort.InferenceSession[] = []

  beforeAll(async () => {
    for (const { model_name: name } of ensemble.ensemble_scheduling.step) {
      const dir = join(EXAMPLES_REPO, name)
      const config = parse(await readFile(join(dir, 'config.yaml'), 'utf8')) as { backend: string; parameters?: Record<string, unknown> }
      if (config.backend === 'onnxruntime') {
        const session = await ort.InferenceSession.create(join(dir, '1', 'model.onnx'))
        sessions.push(session)
        runners.set(name, async (inputs) => {
          const feeds = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, new ort.Tensor('float32', t.data as Float32Array, [...t.shape])]))
          const out = await session.run(feeds)
          return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { name: k, datatype: 'FP32', shape: t.dims, data: t.data as Float32Array }]))
        })
      } else {
        expect(config.backend).toBe('typescript')
        const module = await import(pathToFileURL(join(dir, '1', 'model.mjs')).href) as ModelModule
        const parameters = Object.fromEntries(Object.entries(config.parameters ?? {}).map(([k, v]) => [k, String(v)]))
        await module.initialize?.({ modelName: name, version: '1', modelDir: dir, versionDir: join(dir, '1'), config, parameters })
        runners.set(name, async (inputs) => {
          const out = await module.execute(inputs, {})
          return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { name: k, ...t } as Tensor]))
        })
      }
    }
  })
  afterAll(async () => { for (const s of sessions) await s.release() })

  async function ocr (bytes: Uint8Array): Promise<{ text: string[]; scores: number[]; boxes: number[][] }> {
    const tensors = new Map<string, Tensor>([['IMAGE', { name: 'IMAGE', datatype: 'BYTES', shape: [1], data: [bytes] }]])
    for (const step of ensemble.ensemble_scheduling.step) {
      const inputs = Object.fromEntries(Object.entries(step.input_map).map(([input, tensor]) => {
        const t = tensors.get(tensor)
        if (t === undefined) throw new Error(`step ${step.model_name}: ensemble tensor '${tensor}' not produced yet`)
        return [input, t]
      }))
      const outputs = await runners.get(step.model_name)!(inputs)
      for (const [output, tensor] of Object.entries(step.output_map)) tensors.set(tensor, outputs[output]!)
    }
    for (const { name } of ensemble.output) expect(tensors.has(name), name).toBe(true)
    const boxes = tensors.get('BOXES')!
    return {
      text: (tensors.get('TEXT')!.data as unknown[]).map(String),
      scores: [...(tensors.get('SCORES')!.data as Float32Array)],
      boxes: Array.from({ length: boxes.shape[0]! }, (_, i) => [...(boxes.data as Int32Array).subarray(4 * i, 4 * i + 4)]),
    }
  }

  it('reads the sample image (examples/samples/ocr-lines.png) line by line, with scores and boxes', async () => {
    const bytes = new Uint8Array(readFileSync(join(EXAMPLES_REPO, '..', 'samples', 'ocr-lines.png')))
    const { width, height } = await sharp(bytes).metadata()
    const { text, scores, boxes } = await ocr(bytes)
    expect(text).toEqual([ONE_LINE, 'Total due: 1,234.56 EUR'])
    expect(Math.min(...scores)).toBeGreaterThan(0.9)
    for (const [x0, y0, x1, y1] of boxes) {
      expect(0 <= x0! && x0! < x1! && x1! <= width && 0 <= y0! && y0! < y1! && y1! <= height, `${[x0, y0, x1, y1]}`).toBe(true)
    }
    expect(boxes[0]![3]).toBeLessThanOrEqual(boxes[1]![1]! + 5) // first line above the second
  })

  it('reads the two-line image turned 180° as two lines in reading order', async () => {
    const { text, boxes } = await ocr(await png(rotate180(twoLines)))
    expect(text).toEqual(TWO_LINES)
    // the boxes go with their lines: on the turned image the first line is the lower one
    expect(boxes[0]![1]).toBeGreaterThan(boxes[1]![3]! - 5)
  })

  it('answers an image without text with no lines (the padding row is dropped)', async () => {
    const blank = await png({ width: 300, height: 80, data: new Uint8Array(300 * 80 * 3).fill(244) })
    expect(await ocr(blank)).toEqual({ text: [], scores: [], boxes: [] })
  })
})
