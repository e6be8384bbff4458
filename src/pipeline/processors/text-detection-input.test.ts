import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { catchInferdError } from '../../../test/helpers/catch-inferd-error.js'
import { decodeRgb, detectionInput, detectionSize, MAX_DETECTION_SIDE, validateDetectionInputSpec } from './text-detection-input.js'

const solid = (width: number, height: number, r: number, g: number, b: number): Uint8Array => {
  const data = new Uint8Array(width * height * 3)
  for (let i = 0; i < width * height; i++) data.set([r, g, b], i * 3)
  return data
}

describe('detectionSize', () => {
  it('keeps small images at their size, rounded to multiples of 32', () => {
    expect(detectionSize(518, 52)).toEqual({ width: 512, height: 64 })
    expect(detectionSize(10, 10)).toEqual({ width: 32, height: 32 })
  })

  it('shrinks the longer side to limit_side_len (limit_type max)', () => {
    expect(detectionSize(2000, 1000)).toEqual({ width: 960, height: 480 })
    expect(detectionSize(1000, 3000, { limit_side_len: 640 })).toEqual({ width: 224, height: 640 })
  })

  it('enlarges the shorter side to limit_side_len with limit_type min, never past MAX_DETECTION_SIDE', () => {
    expect(detectionSize(100, 50, { limit_side_len: 736, limit_type: 'min' })).toEqual({ width: 1472, height: 736 })
    const capped = detectionSize(100, 10, { limit_side_len: 960, limit_type: 'min' })
    expect(Math.max(capped.width, capped.height)).toBeLessThanOrEqual(MAX_DETECTION_SIDE)
    expect(capped.width % 32 + capped.height % 32).toBe(0)
  })
})

describe('detectionInput', () => {
  it('makes [1, 3, H, W] with BGR planes normalised by the ImageNet mean and std', async () => {
    const x = await detectionInput({ width: 70, height: 40, data: solid(70, 40, 255, 0, 51) })
    expect(x.shape).toEqual([1, 3, 32, 64])
    const plane = 32 * 64
    expect(x.data[0]).toBeCloseTo((51 / 255 - 0.485) / 0.229, 5) // blue plane first
    expect(x.data[plane + 100]).toBeCloseTo((0 - 0.456) / 0.224, 5)
    expect(x.data[2 * plane + plane - 1]).toBeCloseTo((1 - 0.406) / 0.225, 5)
  })
})

describe('decodeRgb', () => {
  it('decodes PNG to RGB, dropping alpha', async () => {
    const png = await sharp(solid(5, 3, 10, 20, 30), { raw: { width: 5, height: 3, channels: 3 } }).ensureAlpha(0.5).png().toBuffer()
    const image = await decodeRgb(png)
    expect([image.width, image.height, image.data.length]).toEqual([5, 3, 45])
    expect([...image.data.subarray(0, 3)]).toEqual([10, 20, 30])
  })

  it('turns a JPEG upright by its EXIF orientation', async () => {
    const jpeg = await sharp(solid(40, 20, 200, 200, 200), { raw: { width: 40, height: 20, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer()
    const image = await decodeRgb(jpeg)
    expect([image.width, image.height]).toEqual([20, 40])
  })

  it('refuses bytes that are not an image, and formats other than JPEG, PNG, WebP', async () => {
    await expect(decodeRgb(new Uint8Array([1, 2, 3]), 'IMAGE')).rejects.toMatchObject({
      code: 'INFERD_ERR_TENSOR_DATA_INVALID',
      message: expect.stringContaining("tensor 'IMAGE': not a decodable image"),
    })
    const gif = await sharp(solid(4, 4, 0, 0, 0), { raw: { width: 4, height: 4, channels: 3 } }).gif().toBuffer()
    await expect(decodeRgb(gif)).rejects.toMatchObject({ message: expect.stringContaining("format 'gif' is not accepted") })
    const png = await sharp(solid(64, 64, 9, 9, 9), { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer()
    await expect(decodeRgb(png.subarray(0, png.length - 20))).rejects.toMatchObject({ code: 'INFERD_ERR_TENSOR_DATA_INVALID' })
  })
})

describe('validateDetectionInputSpec', () => {
  it('takes parameters as strings', () => {
    expect(validateDetectionInputSpec({ limit_side_len: '736', limit_type: 'min' }, 'm')).toEqual({ limit_side_len: 736, limit_type: 'min' })
  })

  it.each([
    [{ limit_side_len: '20' }, "'limit_side_len' must be an integer from 32 to 4000"],
    [{ limit_type: 'both' }, "'limit_type' must be max or min"],
    [{ side: 3 }, "unknown field 'side'"],
  ])('refuses %j', (value, message) => {
    expect(catchInferdError(() => validateDetectionInputSpec(value, 'pre')).message).toBe(`model 'pre': text detection input: ${message}`)
  })
})
