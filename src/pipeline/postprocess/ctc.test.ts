import { describe, expect, it } from 'vitest'
import { catchInferdError } from '../../../test/helpers/catch-inferd-error.js'
import { ctcVocabulary, decodeCtc, validateCtcSpec } from './ctc.js'

/**
 * Builds a [N, T, C] probability tensor from per-step winners: each step puts `p` on its class
 * and spreads the rest evenly, so the argmax and its score are known by construction.
 */
function probs (rows: ReadonlyArray<ReadonlyArray<readonly [number, number]>>, classes: number): { data: Float32Array; shape: number[] } {
  const steps = Math.max(...rows.map((r) => r.length))
  const data = new Float32Array(rows.length * steps * classes)
  rows.forEach((row, n) => {
    for (let t = 0; t < steps; t++) {
      const [cls, p] = row[t] ?? [0, 1] // pad with confident blanks
      const base = (n * steps + t) * classes
      for (let c = 0; c < classes; c++) data[base + c] = c === cls ? p : (1 - p) / (classes - 1)
    }
  })
  return { data, shape: [rows.length, steps, classes] }
}

// PaddleOCR's layout: blank 0, labels a..d at 1..4, appended space at 5.
const paddle = ctcVocabulary(['a', 'b', 'c', 'd'], { labels: 'x.txt', append_space: true }, 'm')

describe('ctcVocabulary', () => {
  it('puts the blank at its index, the labels around it, and an appended space last', () => {
    expect(paddle.classes).toEqual(['', 'a', 'b', 'c', 'd', ' '])
    expect(ctcVocabulary(['a', 'b'], { labels: 'x', blank: 2 }, 'm').classes).toEqual(['a', 'b', ''])
    expect(ctcVocabulary(['<pad>', 'a', '|'], { labels: 'x', blank: 0, word_delimiter: '|' }, 'm').classes).toEqual(['', '<pad>', 'a', ' '])
  })

  it('refuses a blank index past the classes, and a class count that does not match the model', () => {
    expect(catchInferdError(() => ctcVocabulary(['a'], { labels: 'x', blank: 3 }, 'rec'))).toMatchObject({
      code: 'INFERD_ERR_MODEL_CONFIG_INVALID',
      message: expect.stringContaining("'blank' is 3, but there are only 2 classes"),
    })
    const err = catchInferdError(() => ctcVocabulary(['a', 'b'], { labels: 'x' }, 'rec', 4))
    expect(err.message).toContain('the output has 4 classes, the labels make 3')
  })
})

describe('decodeCtc', () => {
  it('merges repeats, drops blanks, keeps a repeat separated by a blank, per row', () => {
    // "a a _ a b _ _ b" → "aabb"; "_ c space space d" → "c d"
    const { data, shape } = probs([
      [[1, 0.9], [1, 0.8], [0, 1], [1, 0.7], [2, 0.6], [0, 1], [0, 1], [2, 0.5]],
      [[0, 1], [3, 0.9], [5, 0.8], [5, 0.9], [4, 0.7]],
    ], 6)
    const [first, second] = decodeCtc(data, shape, paddle)
    expect(first!.text).toBe('aabb')
    // the kept characters' scores: first step of each run
    expect(first!.confidence).toBeCloseTo((0.9 + 0.7 + 0.6 + 0.5) / 4, 6)
    expect(second!.text).toBe('c d')
    expect(second!.confidence).toBeCloseTo((0.9 + 0.8 + 0.7) / 3, 6)
  })

  it('reads an all-blank row as empty text with confidence 0', () => {
    const { data, shape } = probs([[[0, 0.99], [0, 0.99]]], 6)
    expect(decodeCtc(data, shape, paddle)).toEqual([{ text: '', confidence: 0 }])
  })

  it('trims spaces at both ends when asked, and scores only what is left', () => {
    const trimming = ctcVocabulary(['a', 'b', 'c', 'd'], { labels: 'x', append_space: true, trim: true }, 'm')
    const { data, shape } = probs([[[5, 0.5], [0, 1], [1, 0.9], [5, 0.95], [2, 0.7], [5, 0.3]]], 6)
    expect(decodeCtc(data, shape, paddle)[0]!.text).toBe(' a b ')
    const [row] = decodeCtc(data, shape, trimming)
    expect(row!.text).toBe('a b')
    expect(row!.confidence).toBeCloseTo((0.9 + 0.95 + 0.7) / 3, 6)
  })

  it('with activation softmax, scores logits as the winning probability; the text is the same', () => {
    // logits [2, 0, 0] → p = e² / (e² + 2)
    const data = new Float32Array([0, 2, 0, 0, 0, 0])
    const vocab = ctcVocabulary(['a', 'b'], { labels: 'x' }, 'm')
    const [row] = decodeCtc(data, [1, 2, 3], vocab, { activation: 'softmax' })
    expect(row!.text).toBe('a')
    expect(row!.confidence).toBeCloseTo(Math.exp(2) / (Math.exp(2) + 2), 6)
  })

  it('refuses an output that is not [N, T, C] or whose C does not match', () => {
    expect(catchInferdError(() => decodeCtc(new Float32Array(6), [6], paddle)).message).toContain('expects an output of shape [N, T, C], got [6]')
    expect(catchInferdError(() => decodeCtc(new Float32Array(10), [1, 2, 5], paddle)).message).toContain('the output has 5 classes, the labels make 6')
  })
})

describe('validateCtcSpec', () => {
  it('accepts the PaddleOCR form and returns it', () => {
    const spec = { labels: 'ppocr_keys_v1.txt', blank: 0, append_space: true, trim: true }
    expect(validateCtcSpec(spec, 'm')).toEqual(spec)
  })

  it.each([
    ['not a mapping', 'x', 'must be a mapping'],
    ['no labels', { blank: 0 }, "'labels' (the labels file) is required"],
    ['an unknown field', { labels: 'l', beam: 5 }, "unknown field 'beam'"],
    ['a negative blank', { labels: 'l', blank: -1 }, "'blank' must be a class index (an integer >= 0)"],
    ['a fractional blank', { labels: 'l', blank: 1.5 }, "'blank' must be a class index (an integer >= 0)"],
    ['a string boolean', { labels: 'l', append_space: 'yes' }, "'append_space' must be true or false"],
    ['an empty word delimiter', { labels: 'l', word_delimiter: '' }, "'word_delimiter' must be a non-empty string"],
  ])('refuses %s', (_, value, message) => {
    const err = catchInferdError(() => validateCtcSpec(value, 'rec'))
    expect(err.code).toBe('INFERD_ERR_MODEL_CONFIG_INVALID')
    expect(err.message).toBe(`model 'rec': ctc decoding: ${message}`)
  })
})
