import { describe, expect, it } from 'vitest'
import { InferdError } from '../../errors/inferd-error.js'
import { findSegments, validateSegmentsSpec } from './segments.js'

const HOP = 0.032
const defaults = validateSegmentsSpec(undefined, 'm')

/** Probabilities from runs: [value, frames], ... */
function runs (...parts: Array<[number, number]>): number[] {
  return parts.flatMap(([p, n]) => new Array<number>(n).fill(p))
}

describe('validateSegmentsSpec', () => {
  it('applies Silero-like defaults', () => {
    expect(defaults).toEqual({ threshold: 0.5, neg_threshold: 0.35, min_speech_s: 0.25, min_silence_s: 0.1, pad_s: 0.03, probabilities: false })
    expect(validateSegmentsSpec({ threshold: 0.1 }, 'm').neg_threshold).toBe(0.01)
    expect(validateSegmentsSpec({ threshold: 0.7, pad_s: 0, probabilities: true }, 'm')).toMatchObject({ threshold: 0.7, neg_threshold: 0.55, pad_s: 0, probabilities: true })
  })

  it.each([
    ['x', 'must be a mapping'],
    [{ thresh: 0.5 }, `unknown field 'thresh'`],
    [{ threshold: 1.5 }, `'threshold' must be a probability from 0 to 1`],
    [{ neg_threshold: -0.1 }, `'neg_threshold' must be a probability from 0 to 1`],
    [{ min_speech_s: -1 }, `'min_speech_s' must be a number of seconds, 0 or more`],
    [{ pad_s: 'a' }, `'pad_s' must be a number of seconds, 0 or more`],
    [{ probabilities: 1 }, `'probabilities' must be true or false`],
    [{ threshold: 0.4, neg_threshold: 0.6 }, `'neg_threshold' (0.6) must not exceed 'threshold' (0.4)`],
  ])('refuses %j', (value, message) => {
    let err: unknown
    try { validateSegmentsSpec(value, 'vad') } catch (e) { err = e }
    expect(err).toBeInstanceOf(InferdError)
    expect((err as InferdError).message).toBe(`model 'vad': segments: ${message}`)
  })
})

describe('findSegments', () => {
  const spec = { ...defaults, pad_s: 0 }

  it('finds nothing in frames below the threshold', () => {
    expect(findSegments(runs([0.1, 50], [0.49, 5]), { hopSeconds: HOP }, defaults)).toEqual({ speech: false, speech_ratio: 0, segments: [] })
  })

  it('marks a block of speech from its first frame to the first frame after it', () => {
    const r = findSegments(runs([0.1, 10], [0.9, 20], [0.1, 20]), { hopSeconds: HOP }, spec)
    expect(r.segments).toEqual([{ start_s: 0.32, end_s: 0.96 }])
    expect(r.speech).toBe(true)
    expect(r.speech_ratio).toBe(0.4) // 0.64 s of 1.6 s
  })

  it('pads segments by pad_s within the audio', () => {
    expect(findSegments(runs([0.1, 10], [0.9, 20], [0.1, 20]), { hopSeconds: HOP }, defaults).segments).toEqual([{ start_s: 0.29, end_s: 0.99 }])
    expect(findSegments(runs([0.9, 20]), { hopSeconds: HOP, seconds: 0.63 }, defaults).segments).toEqual([{ start_s: 0, end_s: 0.63 }])
  })

  it('drops segments shorter than min_speech_s', () => {
    // 7 frames = 0.224 s < 0.25 s; 8 frames = 0.256 s is kept.
    expect(findSegments(runs([0.1, 10], [0.9, 7], [0.1, 20]), { hopSeconds: HOP }, spec).segments).toEqual([])
    expect(findSegments(runs([0.1, 10], [0.9, 8], [0.1, 20]), { hopSeconds: HOP }, spec).segments).toHaveLength(1)
  })

  it('bridges pauses shorter than min_silence_s and splits at longer ones', () => {
    // 3 quiet frames = 0.096 s < 0.1 s: one segment; 4 = 0.128 s: two.
    const bridged = findSegments(runs([0.9, 10], [0.1, 3], [0.9, 10], [0.1, 10]), { hopSeconds: HOP }, spec)
    expect(bridged.segments).toEqual([{ start_s: 0, end_s: 0.736 }])
    const split = findSegments(runs([0.9, 10], [0.1, 4], [0.9, 10], [0.1, 10]), { hopSeconds: HOP }, spec)
    expect(split.segments).toEqual([{ start_s: 0, end_s: 0.32 }, { start_s: 0.448, end_s: 0.768 }])
  })

  it('keeps the current state between the two thresholds (hysteresis)', () => {
    // 0.4 is below 0.5 (does not start speech) but above 0.35 (does not end it).
    expect(findSegments(runs([0.4, 30]), { hopSeconds: HOP }, spec).segments).toEqual([])
    expect(findSegments(runs([0.9, 10], [0.4, 20], [0.1, 10]), { hopSeconds: HOP }, spec).segments).toEqual([{ start_s: 0, end_s: 0.96 }])
  })

  it('lets uncertain frames inside a pause count towards it, as only a confident frame resumes speech', () => {
    // quiet, then uncertain: the pause started at the quiet frame and lasts 4 frames.
    const r = findSegments(runs([0.9, 10], [0.1, 1], [0.4, 3], [0.9, 10]), { hopSeconds: HOP }, spec)
    expect(r.segments).toEqual([{ start_s: 0, end_s: 0.32 }, { start_s: 0.448, end_s: 0.768 }])
  })

  it('closes a segment still open at the end at the end of the audio', () => {
    expect(findSegments(runs([0.1, 10], [0.9, 15]), { hopSeconds: HOP, seconds: 0.79 }, spec).segments).toEqual([{ start_s: 0.32, end_s: 0.79 }])
    // a pause at the end too short to close it: the segment ends where the pause began
    expect(findSegments(runs([0.9, 15], [0.1, 2]), { hopSeconds: HOP }, spec).segments).toEqual([{ start_s: 0, end_s: 0.48 }])
  })

  it('merges segments that meet once padded', () => {
    const probs = runs([0.9, 10], [0.1, 4], [0.9, 10])
    expect(findSegments(probs, { hopSeconds: HOP }, { ...spec, pad_s: 0.1 }).segments).toEqual([{ start_s: 0, end_s: 0.768 }])
  })

  it('returns the per-frame probabilities when asked, rounded to 3 decimals', () => {
    const r = findSegments([0.12345, 0.98765], { hopSeconds: HOP }, { ...defaults, probabilities: true })
    expect(r.probabilities).toEqual([0.123, 0.988])
  })
})
