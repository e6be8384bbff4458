import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { InferdError } from '../../errors/inferd-error.js'
import { preprocessImage, validateImageSpec } from './image.js'

type Rgb = readonly [number, number, number]

const solid = async (w: number, h: number, rgb: Rgb, format: 'png' | 'jpeg' | 'webp' = 'png'): Promise<Uint8Array> =>
  new Uint8Array(await sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .toFormat(format, format === 'png' ? {} : { quality: 100, ...(format === 'webp' ? { lossless: true } : {}) }).toBuffer())

/** Left half one colour, right half another: shows where crops and letterboxes land. */
const halves = async (w: number, h: number, left: Rgb, right: Rgb): Promise<Uint8Array> => {
  const px = Buffer.alloc(w * h * 3)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px.set(x < w / 2 ? left : right, (y * w + x) * 3)
  return new Uint8Array(await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer())
}

/** A horizontal grey ramp, column x holding `x * step`, so a column's value tells where it came from. */
const ramp = async (w: number, h: number, step = 20): Promise<Uint8Array> => {
  const px = Buffer.alloc(w * h * 3)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px.fill(x * step, (y * w + x) * 3, (y * w + x) * 3 + 3)
  return new Uint8Array(await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer())
}

const rejects = async (p: Promise<unknown>, pattern: RegExp): Promise<void> => {
  const err = await p.then(() => undefined, (e: unknown) => e)
  expect(err).toBeInstanceOf(InferdError)
  expect((err as InferdError).code).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
  expect((err as InferdError).message).toMatch(pattern)
}

describe('preprocessImage', () => {
  it('normalises a red image exactly, per channel, in NCHW', async () => {
    const spec = { width: 4, height: 2, scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }
    const t = await preprocessImage(await solid(8, 8, [255, 0, 0]), spec)
    expect(t.datatype).toBe('FP32')
    expect(t.shape).toEqual([1, 3, 2, 4])
    const plane = (c: number): number[] => Array.from(t.data.subarray(c * 8, c * 8 + 8))
    expect(plane(0)).toEqual(Array(8).fill(Math.fround((255 / 255 - 0.485) / 0.229)))
    expect(plane(1)).toEqual(Array(8).fill(Math.fround((0 - 0.456) / 0.224)))
    expect(plane(2)).toEqual(Array(8).fill(Math.fround((0 - 0.406) / 0.225)))
  })

  it('keeps raw 0-255 values when no normalisation is given, and interleaves in NHWC', async () => {
    const t = await preprocessImage(await solid(3, 3, [10, 20, 30]), { width: 2, height: 2, layout: 'NHWC' })
    expect(t.shape).toEqual([1, 2, 2, 3])
    expect(Array.from(t.data)).toEqual([10, 20, 30, 10, 20, 30, 10, 20, 30, 10, 20, 30])
  })

  it('swaps planes for BGR, with mean/std in the output order', async () => {
    const t = await preprocessImage(await solid(2, 2, [10, 20, 30]), { width: 1, height: 1, channel_order: 'BGR', mean: [1, 2, 3], std: [1, 2, 4] })
    expect(Array.from(t.data)).toEqual([(30 - 1) / 1, (20 - 2) / 2, (10 - 3) / 4])
  })

  it('gives one luminance channel for grayscale', async () => {
    const t = await preprocessImage(await solid(2, 2, [255, 255, 255]), { width: 2, height: 2, grayscale: true, scale: 1 / 255 })
    expect(t.shape).toEqual([1, 1, 2, 2])
    expect(Array.from(t.data)).toEqual([1, 1, 1, 1])
  })

  it('decodes JPEG and WebP as well as PNG', async () => {
    const jpeg = await preprocessImage(await solid(16, 16, [0, 0, 255], 'jpeg'), { width: 1, height: 1 })
    // JPEG is lossy even at quality 100 (chroma subsampling), so allow a small error.
    Array.from(jpeg.data).forEach((v, c) => expect(Math.abs(v - [0, 0, 255][c]!)).toBeLessThanOrEqual(2))
    const webp = await preprocessImage(await solid(4, 4, [1, 2, 3], 'webp'), { width: 1, height: 1 })
    expect(Array.from(webp.data)).toEqual([1, 2, 3])
  })

  // Exact 2x reductions are plain pair averages in libvips, so resized values are exact too.
  it('stretch ignores the aspect ratio and keeps every column', async () => {
    const t = await preprocessImage(await ramp(8, 2), { width: 4, height: 2, resize: 'stretch', layout: 'NHWC' })
    expect([0, 1, 2, 3].map((x) => t.data[x * 3])).toEqual([10, 50, 90, 130])
  })

  it('cover fills the box and crops the overflowing sides', async () => {
    const t = await preprocessImage(await ramp(8, 2), { width: 2, height: 2, resize: 'cover', layout: 'NHWC' })
    expect([t.data[0], t.data[3]]).toEqual([60, 80]) // the middle two of eight columns
  })

  it('contain letterboxes with the background value', async () => {
    // 8x4 into 4x4 → a 4x2 picture on rows 1-2, padding on rows 0 and 3.
    const t = await preprocessImage(await halves(8, 4, [255, 0, 0], [0, 0, 255]), { width: 4, height: 4, resize: 'contain', background: 114, layout: 'NHWC' })
    const row = (y: number): number[] => Array.from(t.data.subarray(y * 12, y * 12 + 12))
    expect(row(0)).toEqual(Array(12).fill(114))
    expect(row(3)).toEqual(Array(12).fill(114))
    expect(row(1)[0]).toBeGreaterThan(200) // red half on the left
    expect(row(1)[11]).toBeGreaterThan(200) // blue half on the right
  })

  it('shortest_edge scales the shorter side then crops the centre', async () => {
    // 12x6 ramp: shorter side 6 → 3 halves it to 6x3 (columns 10, 50, 90, 130, 170, 210);
    // the centre 2x2 crop keeps columns 2 and 3.
    const t = await preprocessImage(await ramp(12, 6), { width: 2, height: 2, resize: 'shortest_edge', shortest_edge: 3, crop: 'center', layout: 'NHWC' })
    expect(t.shape).toEqual([1, 2, 2, 3])
    expect(Array.from(t.data)).toEqual([90, 90, 90, 130, 130, 130, 90, 90, 90, 130, 130, 130])
  })

  it('shortest_edge defaults the edge to max(width, height), so a square input is just resized', async () => {
    const t = await preprocessImage(await solid(4, 4, [10, 20, 30]), { width: 2, height: 2, resize: 'shortest_edge', channel_order: 'BGR' })
    expect(t.shape).toEqual([1, 3, 2, 2])
    expect(Array.from(t.data)).toEqual([30, 30, 30, 30, 20, 20, 20, 20, 10, 10, 10, 10])
  })

  it('rejects bytes that are not an image', async () => {
    await rejects(preprocessImage(new TextEncoder().encode('hello, world'), { width: 1, height: 1 }), /^tensor 'image': not a decodable image \(JPEG, PNG or WebP\): .+/)
  })

  it('rejects a truncated PNG, naming the input', async () => {
    const png = await ramp(64, 64)
    await rejects(preprocessImage(png.subarray(0, png.length - 40), { width: 8, height: 8 }, 'pixels'), /^tensor 'pixels': not a decodable image/)
  })

  it('refuses SVG even though sharp could render it', async () => {
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text y="8">A</text></svg>')
    await rejects(preprocessImage(svg, { width: 1, height: 1 }), /format 'svg' is not accepted/)
  })

  it('renders SVG text to PNG and reads dark glyph pixels on white', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#fff"/><rect x="0" y="0" width="20" height="20" fill="#000"/><text x="22" y="16" font-size="16">I</text></svg>'
    const png = new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer())
    const t = await preprocessImage(png, { width: 40, height: 20, grayscale: true, scale: 1 / 255 })
    expect(t.data[0]).toBe(0) // black box
    expect(t.data[39]).toBe(1) // white right edge
  })
})

describe('validateImageSpec', () => {
  const bad = (v: unknown, pattern: RegExp): void => {
    expect(() => validateImageSpec(v, 'resnet')).toThrow(pattern)
  }
  it('accepts a full spec and rejects each kind of mistake', () => {
    const ok = { width: 224, height: 224, resize: 'shortest_edge', shortest_edge: 256, crop: 'center', scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }
    expect(validateImageSpec(ok, 'resnet')).toBe(ok)
    bad(null, /^model 'resnet': image preprocessing: must be a mapping/)
    bad({ width: 2, height: 2, colour: 'x' }, /unknown field 'colour'/)
    bad({ width: 0, height: 2 }, /'width' must be a positive integer/)
    bad({ width: 2, height: 2, resize: 'squash' }, /'resize' must be one of stretch, cover, contain, shortest_edge/)
    bad({ width: 2, height: 2, crop: 'center' }, /need resize: shortest_edge/)
    bad({ width: 2, height: 2, background: 3 }, /'background' needs resize: contain/)
    bad({ width: 2, height: 2, resize: 'contain', background: 300 }, /integer 0–255/)
    bad({ width: 4, height: 2, resize: 'shortest_edge', shortest_edge: 3 }, /must be at least max\(width, height\)/)
    bad({ width: 2, height: 2, scale: '1/255' }, /'scale' must be a finite number/)
    bad({ width: 2, height: 2, grayscale: 'yes' }, /'grayscale' must be true or false/)
    bad({ width: 2, height: 2, grayscale: true, mean: [1, 2, 3] }, /'mean' must be a list of 1 finite numbers/)
    bad({ width: 2, height: 2, std: [1, 0, 1] }, /'std' must not contain 0/)
    bad({ width: 2, height: 2, channel_order: 'GBR' }, /'channel_order' must be one of RGB, BGR/)
  })
})
