import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import wavefile from 'wavefile'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InferdServer } from '../../src/server.js'
import { getJson, postJson } from '../helpers/oip-client.js'
import { ROOT } from '../helpers/paths.js'
import { renderText, type RgbImage, rotate180 } from '../helpers/render-text.js'
import { startServer } from '../helpers/server.js'
import { copyExamples } from '../helpers/temp-repo.js'

/**
 * The raw-data workloads of the README, tried as a user would: a picture, a WAV file and a page
 * of text sent to `/v2/models/{m}/predict` (as the body, or base64 in JSON), answered with labels,
 * speech segments and the text read; and broken files answered with a 400 that says what is wrong.
 * Served from copies of examples/models (the OCR glue steps import sharp, resolved upwards from
 * the copy, so it lives inside the project, git-ignored).
 */

const MODELS = ['image_classifier', 'vad', 'ocr', 'ocr_det_pre', 'ocr_det', 'ocr_crop', 'ocr_cls', 'ocr_orient', 'ocr_rec', 'ocr_text']
const SAMPLES = join(ROOT, 'examples', 'samples')

let root: string
let server: InferdServer
let url: string

beforeAll(async () => {
  root = await copyExamples('workloads-repo-', MODELS)
  server = await startServer(root)
  url = server.httpUrl
}, 120_000)
afterAll(async () => {
  await server?.close()
  if (root !== undefined) await rm(root, { recursive: true, force: true })
})

async function postFile (model: string, body: Uint8Array, type: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}/v2/models/${model}/predict`, { method: 'POST', headers: { 'content-type': type }, body })
  return { status: res.status, json: await res.json() }
}
const sample = (name: string): Promise<Buffer> => readFile(join(SAMPLES, name))
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')
const png = (image: RgbImage): Promise<Buffer> => sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer()

async function expectServing (): Promise<void> {
  const res = await getJson(`${url}/v2/health/ready`)
  expect(res.status).toBe(200)
}

describe('every workload model loaded', () => {
  it('is READY, and its metadata shows the friendly face', async () => {
    for (const model of ['image_classifier', 'vad', 'ocr']) {
      const res = await getJson(`${url}/v2/models/${model}`)
      expect(res.status, `${model}: ${JSON.stringify(res.json)}`).toBe(200)
      expect(res.json.pipeline.endpoint).toBe(`/v2/models/${model}/predict`)
      expect(res.json.inputs.every((t: { datatype: string }) => t.datatype === 'BYTES')).toBe(true)
    }
  })
})

describe('image classifier (TF.js graph model)', () => {
  it('labels a pencil sketch Drawing and a flat cartoon Neutral, from the file as the body or base64 JSON', async () => {
    const sketch = await postFile('image_classifier', await sample('sketch.png'), 'image/png')
    expect(sketch.status, JSON.stringify(sketch.json)).toBe(200)
    expect(sketch.json.label.label).toBe('Drawing')
    expect(sketch.json.label.score).toBeGreaterThan(0.9)
    expect(sketch.json.label.top_k).toHaveLength(3)
    const smiley = await postJson(`${url}/v2/models/image_classifier/predict`, { image: b64(await sample('smiley.png')) })
    expect(smiley.status, JSON.stringify(smiley.json)).toBe(200)
    expect(smiley.json.label.label).toBe('Neutral')
  })

  it('answers a truncated PNG and a text file with a 400 naming the image', async () => {
    const png = await sample('sketch.png')
    for (const bad of [png.subarray(0, png.length >> 1), Buffer.from('not an image at all')]) {
      const res = await postFile('image_classifier', bad, 'image/png')
      expect(res.status).toBe(400)
      expect(res.json.code).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
      expect(res.json.error).toMatch(/tensor 'image': not a decodable image/)
    }
    await expectServing()
  })
})

describe('voice activity (Silero VAD, stateful over 32 ms frames)', () => {
  it('finds two stretches of speech in the spoken sample, none in silence or white noise', async () => {
    const speech = await postFile('vad', await sample('speech.wav'), 'audio/wav')
    expect(speech.status, JSON.stringify(speech.json)).toBe(200)
    const { activity } = speech.json
    expect(activity.speech).toBe(true)
    expect(activity.segments).toHaveLength(2)
    // espeak-ng spoke at 0.500–2.612 s and 3.412–5.421 s (scripts/examples/vad-samples.ts).
    expect(activity.segments[0].start_s).toBeGreaterThan(0.3)
    expect(activity.segments[0].start_s).toBeLessThan(0.7)
    expect(activity.segments[1].end_s).toBeGreaterThan(5.2)
    expect(activity.segments[1].end_s).toBeLessThan(5.8)
    const quiet = await postJson(`${url}/v2/models/vad/predict`, { audio: [b64(await sample('silence.wav')), b64(await sample('noise.wav'))] })
    expect(quiet.status, JSON.stringify(quiet.json)).toBe(200)
    expect(quiet.json.activity.map((a: { speech: boolean }) => a.speech)).toEqual([false, false])
  })

  it('converts an 8 kHz recording and finds the same speech', async () => {
    const res = await postFile('vad', await sample('speech-8k.wav'), 'audio/wav')
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    expect(res.json.activity.speech).toBe(true)
    expect(res.json.activity.segments).toHaveLength(2)
  })

  it('answers a WAV at a rate it does not take, and a file that is no WAV, with a 400 saying why', async () => {
    const wav = new wavefile.WaveFile()
    wav.fromScratch(1, 44100, '16', new Int16Array(44100).map((_, i) => Math.round(8000 * Math.sin(i / 10))))
    const rate = await postFile('vad', wav.toBuffer(), 'audio/wav')
    expect(rate.status).toBe(400)
    expect(rate.json.error).toMatch(/44100 Hz.*16000 Hz/)
    const notWav = await postFile('vad', await sample('sketch.png'), 'audio/wav')
    expect(notWav.status).toBe(400)
    expect(notWav.json.error).toMatch(/tensor 'audio': not a WAV file/)
    await expectServing()
  })
})

describe('OCR (ensemble: detection → orientation → recognition, with typescript glue steps)', () => {
  it('reads the two lines of the sample page, with boxes and confidences', async () => {
    const res = await postFile('ocr', await sample('ocr-lines.png'), 'image/png')
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    expect(res.json.text).toEqual(['Hello inference server 42', 'Total due: 1,234.56 EUR'])
    expect(res.json.scores.every((s: number) => s > 0.9)).toBe(true)
    expect(res.json.boxes).toHaveLength(2)
  })

  it('reads a line rendered here, and the same line upside down', async () => {
    const line = await renderText('Batch jobs never lose a row 7', { fontSize: 40 })
    const upright = await postJson(`${url}/v2/models/ocr/predict`, { image: b64(await png(line)) })
    expect(upright.status, JSON.stringify(upright.json)).toBe(200)
    expect(upright.json.text).toEqual(['Batch jobs never lose a row 7'])
    const turned = await postJson(`${url}/v2/models/ocr/predict`, { image: b64(await png(rotate180(line))) })
    expect(turned.json.text).toEqual(['Batch jobs never lose a row 7'])
  })

  it('gives no lines for a blank page and a 400 for a broken file', async () => {
    const blank = await sharp({ create: { width: 320, height: 120, channels: 3, background: '#ffffff' } }).png().toBuffer()
    const empty = await postFile('ocr', blank, 'image/png')
    expect(empty.status, JSON.stringify(empty.json)).toBe(200)
    expect(empty.json.text).toEqual([])
    const broken = await postFile('ocr', Buffer.from('%PDF-1.4 not a picture'), 'image/png')
    expect(broken.status).toBe(400)
    expect(broken.json.error).toMatch(/not a decodable image/)
    await expectServing()
  })
})
