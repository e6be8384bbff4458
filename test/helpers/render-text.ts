import sharp from 'sharp'

/** An 8-bit RGB image, row-major, 3 bytes per pixel, no padding between rows. */
export interface RgbImage {
  readonly width: number
  readonly height: number
  readonly data: Uint8Array
}

export interface RenderTextOptions {
  /** Font size in px. Default 32. */
  readonly fontSize?: number
  /** CSS font-family list; fontconfig picks the first installed. Default `'DejaVu Sans, sans-serif'`. */
  readonly fontFamily?: string
  /** Empty border kept around the ink on every side, in px. Default a quarter of the font size. */
  readonly margin?: number
  /** Text colour, any SVG colour. Default `'#202020'`. */
  readonly color?: string
  /** Background colour, any SVG colour. Default `'#f4f4f0'`. */
  readonly background?: string
}

const escapeXml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!)

/**
 * Renders one line of text, dark on light by default, as a tight RGB image: the kind of crop an
 * OCR text detector hands to the next stage. Offline and deterministic for a given font set: sharp
 * rasterises an SVG with librsvg and the system's fonts.
 *
 * The SVG canvas is sized generously (text width is unknown before layout), then cropped to the
 * ink plus `margin` on each side.
 *
 * @example
 * const img = await renderText('Hello inference server 42', { fontSize: 40 })
 * // img.data.length === img.width * img.height * 3
 */
export async function renderText (text: string, options: RenderTextOptions = {}): Promise<RgbImage> {
  const fontSize = options.fontSize ?? 32
  const margin = options.margin ?? Math.round(fontSize / 4)
  const background = options.background ?? '#f4f4f0'
  const canvasWidth = Math.ceil(text.length * fontSize * 0.8 + 2 * fontSize)
  const canvasHeight = Math.ceil(fontSize * 2.5)
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${canvasWidth}" height="${canvasHeight}">` +
    `<rect width="100%" height="100%" fill="${escapeXml(background)}"/>` +
    `<text x="${fontSize}" y="${Math.round(fontSize * 1.5)}" font-size="${fontSize}" ` +
    `font-family="${escapeXml(options.fontFamily ?? 'DejaVu Sans, sans-serif')}" fill="${escapeXml(options.color ?? '#202020')}">` +
    `${escapeXml(text)}</text></svg>`
  // trim() compares against the top-left pixel, which is background by construction.
  const { data, info } = await sharp(Buffer.from(svg))
    .flatten({ background })
    .trim({ margin })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
  if (info.channels !== 3) throw new Error(`expected 3 channels after removeAlpha, got ${info.channels}`)
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
}

/** The image turned upside down (180°): the pixel order reversed, each pixel's channels kept. */
export function rotate180 (image: RgbImage): RgbImage {
  const { data } = image
  const out = new Uint8Array(data.length)
  const pixels = data.length / 3
  for (let p = 0; p < pixels; p++) {
    const from = p * 3
    const to = (pixels - 1 - p) * 3
    out[to] = data[from]!
    out[to + 1] = data[from + 1]!
    out[to + 2] = data[from + 2]!
  }
  return { width: image.width, height: image.height, data: out }
}
