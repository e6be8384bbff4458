import type { ResolvedSegmentsSpec } from './segments-spec.js'

export type { ResolvedSegmentsSpec, SegmentsSpec } from './segments-spec.js'
export { validateSegmentsSpec } from './segments-spec.js'

/** Where frames sit in time: frame k starts at k · hopSeconds. */
export interface FrameTiming {
  /** Seconds between the starts of two frames (audio.ts `AudioInput.hopSeconds`). */
  readonly hopSeconds: number
  /** Duration of the audio; segments end within it. Default: frames × hopSeconds. */
  readonly seconds?: number
}

export interface Segment {
  readonly start_s: number
  readonly end_s: number
}

/** The answer for one audio item. */
export interface SegmentsResult {
  /** Whether any segment was found. */
  readonly speech: boolean
  /** Share of the audio's duration inside segments, 0–1. */
  readonly speech_ratio: number
  readonly segments: Segment[]
  /** Per-frame probabilities, when the spec asks for them. */
  readonly probabilities?: number[]
}

/**
 * Turns per-frame probabilities into time segments, in four steps:
 *
 * 1. Hysteresis: a segment opens at the first frame ≥ `threshold`; it closes where frames stay
 *    below `neg_threshold` for `min_silence_s` (a run broken only by a frame ≥ `threshold`),
 *    at the first frame of that run. The audio's end closes an open segment.
 * 2. Segments shorter than `min_speech_s` are dropped.
 * 3. Each is widened by `pad_s` at both ends, within the audio; overlapping ones merge.
 * 4. Times are rounded to the millisecond.
 *
 * @param probabilities one value per frame, in order
 * @example
 * findSegments(probs, { hopSeconds: 0.032, seconds: 5.92 }, validateSegmentsSpec({}, 'vad'))
 * // → { speech: true, speech_ratio: 0.63, segments: [{ start_s: 0.512, end_s: 2.656 }, ...] }
 */
export function findSegments (probabilities: ArrayLike<number>, timing: FrameTiming, spec: ResolvedSegmentsSpec): SegmentsResult {
  const frames = probabilities.length
  const hop = timing.hopSeconds
  const duration = timing.seconds ?? frames * hop
  const silenceFrames = Math.max(1, Math.ceil(spec.min_silence_s / hop - 1e-9))

  // 1. Frame ranges [start, end).
  const ranges: Array<[number, number]> = []
  let start = -1 // first frame of the open segment, -1 when none
  let quiet = -1 // first frame of the current run below neg_threshold, -1 when none
  for (let k = 0; k < frames; k++) {
    const p = probabilities[k] as number
    if (start < 0) {
      if (p >= spec.threshold) { start = k; quiet = -1 }
      continue
    }
    if (p >= spec.threshold) quiet = -1
    else if (p < spec.neg_threshold && quiet < 0) quiet = k
    if (quiet >= 0 && k + 1 - quiet >= silenceFrames) {
      ranges.push([start, quiet])
      start = -1
      quiet = -1
    }
  }
  if (start >= 0) ranges.push([start, quiet >= 0 ? quiet : frames])

  // 2–3. To seconds, drop the short ones, pad, merge.
  const segments: Array<{ start_s: number; end_s: number }> = []
  for (const [a, b] of ranges) {
    const s = a * hop
    const e = Math.min(b * hop, duration)
    if (e - s < spec.min_speech_s) continue
    const padded = { start_s: Math.max(0, s - spec.pad_s), end_s: Math.min(duration, e + spec.pad_s) }
    const last = segments[segments.length - 1]
    if (last !== undefined && padded.start_s <= last.end_s) last.end_s = Math.max(last.end_s, padded.end_s)
    else segments.push(padded)
  }
  const covered = segments.reduce((sum, g) => sum + (g.end_s - g.start_s), 0)
  const ms = (t: number): number => Math.round(t * 1000) / 1000
  return {
    speech: segments.length > 0,
    speech_ratio: duration > 0 ? ms(covered / duration) : 0,
    segments: segments.map((g) => ({ start_s: ms(g.start_s), end_s: ms(g.end_s) })),
    ...(spec.probabilities ? { probabilities: Array.from(probabilities, (p) => ms(p)) } : {}),
  }
}
