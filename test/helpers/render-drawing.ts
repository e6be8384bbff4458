import sharp from 'sharp'
import { seededRandom } from '../../src/core/random.js'

/**
 * Synthetic pictures for the image classifier example (nsfwjs's MobileNetV2, classes Drawing,
 * Hentai, Neutral, Porn, Sexy), rendered offline and deterministically by sharp from SVG.
 *
 * What the model makes of them was measured, not assumed: flat vector cartoons (a smiley, a
 * house, a cartoon face) come out Neutral with ≥ 0.98, and only images that look like pencil work
 * on paper come out Drawing. See scripts/examples/image-classifier.ts for the figures.
 */

const SIZE = 320

/** Light pencil scribbles over a whole white page: the model's "Drawing". */
export async function renderPencilSketch (seed = 7, strokes = 200): Promise<Uint8Array> {
  const rnd = seededRandom(seed)
  const at = (): string => (rnd() * SIZE).toFixed(1)
  const off = (): string => (rnd() * 80 - 40).toFixed(1)
  let body = ''
  for (let i = 0; i < strokes; i++) {
    const grey = 60 + Math.floor(rnd() * 120)
    body += `<path d="M${at()} ${at()} q${off()} ${off()} ${off()} ${off()}" fill="none" ` +
      `stroke="rgb(${grey},${grey},${grey})" stroke-width="${(1 + rnd() * 2).toFixed(1)}" stroke-linecap="round"/>`
  }
  return png(`<rect width="100%" height="100%" fill="white"/>${body}`)
}

/** A flat yellow smiley with black outlines: the model's "Neutral". */
export function renderSmiley (): Promise<Uint8Array> {
  return png('<rect width="100%" height="100%" fill="white"/>' +
    '<circle cx="160" cy="160" r="120" fill="#ffd93b" stroke="black" stroke-width="8"/>' +
    '<circle cx="115" cy="125" r="16" fill="black"/><circle cx="205" cy="125" r="16" fill="black"/>' +
    '<path d="M95 190 Q160 260 225 190" fill="none" stroke="black" stroke-width="10" stroke-linecap="round"/>')
}

async function png (body: string): Promise<Uint8Array> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}">${body}</svg>`
  const out = await sharp(Buffer.from(svg)).png().toBuffer()
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}
