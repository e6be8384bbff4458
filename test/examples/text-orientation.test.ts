import { join } from 'node:path'
import ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLS_HEIGHT, CLS_INPUT_SHAPE, CLS_WIDTH, paddleClsInput, toPaddedChw } from '../helpers/paddle-cls-input.js'
import { EXAMPLES_REPO } from '../helpers/paths.js'
import { renderText, rotate180, type RgbImage } from '../helpers/render-text.js'

/**
 * Known answers for the pre-trained example `examples/models/text_orientation` (PaddleOCR's
 * ch_ppocr_mobile_v2.0_cls, copied in by scripts/setup-examples.ts), run with onnxruntime-node
 * directly: a rendered line upright is class 0 (0°), the same line turned 180° is class 1 (180°).
 *
 * Observed when written (DejaVu fonts, sizes 24/32/48 px, sans, serif and mono): "Hello inference
 * server 42" scored p(0°) = 1.0000 upright and p(180°) ≥ 0.99999 rotated in every combination;
 * short lines ("abc") ≥ 0.99. Lines heavy in descenders ("The quick brown fox jumps") are harder
 * (p(180°) as low as 0.40 at 48 px sans), so they are not used as known answers.
 */

const MODEL = join(EXAMPLES_REPO, 'text_orientation', '1', 'model.onnx')
const PLANE = CLS_HEIGHT * CLS_WIDTH

let session: ort.InferenceSession
beforeAll(async () => { session = await ort.InferenceSession.create(MODEL) })
afterAll(async () => { await session.release() })

/** Runs a batch of text-line images; returns [p(0°), p(180°)] per image. */
async function classify (images: readonly RgbImage[]): Promise<Array<[number, number]>> {
  const x = new Float32Array(images.length * 3 * PLANE)
  for (const [i, image] of images.entries()) x.set(await paddleClsInput(image), i * 3 * PLANE)
  const out = await session.run({ x: new ort.Tensor('float32', x, [images.length, ...CLS_INPUT_SHAPE]) })
  const probs = out['softmax_0.tmp_0']
  expect(probs?.dims).toEqual([images.length, 2])
  const p = probs!.data as Float32Array
  return images.map((_, i) => [p[2 * i]!, p[2 * i + 1]!])
}

describe('text_orientation example model', () => {
  it('declares x f32[N, 3, H, W] and softmax_0.tmp_0 f32[N, 2]', () => {
    expect(session.inputNames).toEqual(['x'])
    expect(session.outputNames).toEqual(['softmax_0.tmp_0'])
  })

  const sentence = 'Hello inference server 42'
  const variants = [
    { fontFamily: 'DejaVu Sans', fontSize: 32 },
    { fontFamily: 'DejaVu Serif', fontSize: 24 },
    { fontFamily: 'DejaVu Sans Mono', fontSize: 48 },
  ]

  it.each(variants)(`reads "${sentence}" in $fontFamily $fontSize px as 0° upright and 180° rotated`, async (font) => {
    const upright = await renderText(sentence, font)
    const [[up0, up180], [rot0, rot180]] = await classify([upright, rotate180(upright)]) as [[number, number], [number, number]]
    expect(up0 + up180).toBeCloseTo(1, 5)
    expect(up0).toBeGreaterThan(0.8)
    expect(rot180).toBeGreaterThan(0.8)
    expect(rot0).toBeLessThan(0.2)
  })

  it('gives the same answers one image at a time as in a batch', async () => {
    const upright = await renderText(sentence)
    const [alone] = await classify([rotate180(upright)])
    const [, inBatch] = await classify([upright, rotate180(upright)])
    expect(alone![1]).toBeCloseTo(inBatch![1], 5)
  })
})

describe('test helpers', () => {
  it('renderText crops to dark ink on a light background, with the margin asked for', async () => {
    const img = await renderText('Hi', { fontSize: 40, margin: 6 })
    expect(img.data.length).toBe(img.width * img.height * 3)
    expect(img.height).toBeGreaterThan(24)
    expect(img.height).toBeLessThan(60)
    const darkest = img.data.reduce((m, v) => Math.min(m, v), 255)
    expect(darkest).toBeLessThan(80)
    // the margin rows are background: the first row is light everywhere
    expect(Math.min(...img.data.subarray(0, img.width * 3))).toBeGreaterThan(200)
  })

  it('rotate180 reverses the pixel order and keeps each pixel\'s channels', () => {
    const img: RgbImage = { width: 2, height: 1, data: new Uint8Array([1, 2, 3, 4, 5, 6]) }
    expect(Array.from(rotate180(img).data)).toEqual([4, 5, 6, 1, 2, 3])
  })

  it('toPaddedChw scales into [-1, 1], writes BGR planes by default and pads the right with 0', () => {
    const width = 3
    const data = new Uint8Array(width * CLS_HEIGHT * 3)
    for (let p = 0; p < width * CLS_HEIGHT; p++) data.set([255, 0, 51], p * 3) // R=255 G=0 B=51
    const bgr = toPaddedChw({ width, height: CLS_HEIGHT, data })
    expect(bgr).toHaveLength(3 * PLANE)
    expect([bgr[0], bgr[PLANE], bgr[2 * PLANE]]).toEqual([expect.closeTo(-0.6, 6), -1, 1]) // B, G, R
    expect(bgr[2 * PLANE + (CLS_HEIGHT - 1) * CLS_WIDTH + width - 1]).toBe(1) // last real pixel, R plane
    expect(bgr[width]).toBe(0) // first padded column
    expect(bgr[3 * PLANE - 1]).toBe(0)
    const rgb = toPaddedChw({ width, height: CLS_HEIGHT, data }, 'RGB')
    expect([rgb[0], rgb[PLANE], rgb[2 * PLANE]]).toEqual([1, -1, expect.closeTo(-0.6, 6)])
  })

  it('paddleClsInput resizes to height 48, keeps the aspect and caps the width at 192', async () => {
    // 20 x 10 grey → 96 x 48: columns 0..95 filled, 96.. padding
    const narrow = await paddleClsInput({ width: 20, height: 10, data: new Uint8Array(20 * 10 * 3).fill(0) })
    expect(narrow[95]).toBe(-1)
    expect(narrow[96]).toBe(0)
    // 1000 x 10 → squeezed to the full 192: no padding left
    const wide = await paddleClsInput({ width: 1000, height: 10, data: new Uint8Array(1000 * 10 * 3).fill(255) })
    expect(wide[CLS_WIDTH - 1]).toBe(1)
    expect(wide[3 * PLANE - 1]).toBe(1)
  })
})
