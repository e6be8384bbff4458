import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { decodeBase64 } from './base64.js'

describe('decodeBase64', () => {
  it('accepts plain base64, wrapped lines and data: URLs', async () => {
    const png = new Uint8Array(await sharp({ create: { width: 2, height: 2, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toBuffer())
    const b64 = Buffer.from(png).toString('base64')
    expect(decodeBase64(b64, 'image')).toEqual(png)
    expect(decodeBase64(b64.replace(/(.{20})/g, '$1\n'), 'image')).toEqual(png)
    expect(decodeBase64(`data:image/png;base64,${b64}`, 'image')).toEqual(png)
    expect(decodeBase64(Buffer.from(png).toString('base64url'), 'image')).toEqual(png)
  })

  it('rejects non-base64 text, empty text and non-base64 data URLs, naming the field', () => {
    expect(() => decodeBase64('not base64!', 'image')).toThrow(/neither base64 nor a data: URL/)
    expect(() => decodeBase64('  ', 'image')).toThrow(/empty/)
    expect(() => decodeBase64('data:image/svg+xml,<svg/>', 'image')).toThrow(/must be base64-encoded/)
    expect(() => decodeBase64('  ', 'audio')).toThrow(/^tensor 'audio': /)
  })
})
