import { Errors } from '../../errors/codes.js'
import { InferdError } from '../../errors/inferd-error.js'

/**
 * The `segments:` settings of a pipeline output of kind `segments`: how per-frame probabilities
 * (of speech, for a voice-activity detector) become time segments. The defaults suit Silero VAD
 * at 32 ms frames.
 */
export interface SegmentsSpec {
  /** A frame at or above this probability starts (or continues) a segment. Default 0.5. */
  readonly threshold?: number
  /**
   * A segment ends only where frames fall below this (default threshold − 0.15, at least 0.01):
   * frames between the two thresholds keep the current state, so a wavering score does not
   * split a segment.
   */
  readonly neg_threshold?: number
  /** Segments shorter than this, in seconds, are dropped as clicks. Default 0.25. */
  readonly min_speech_s?: number
  /** A pause must last this long, in seconds, to end a segment. Default 0.1. */
  readonly min_silence_s?: number
  /** Seconds added at each end of a segment (within the audio); segments that then meet merge. Default 0.03. */
  readonly pad_s?: number
  /** Also return the per-frame probabilities. Default false. */
  readonly probabilities?: boolean
}

/** A {@link SegmentsSpec} with every default applied. */
export type ResolvedSegmentsSpec = Required<SegmentsSpec>

const KEYS: ReadonlySet<string> = new Set(['threshold', 'neg_threshold', 'min_speech_s', 'min_silence_s', 'pad_s', 'probabilities'])

/**
 * Checks an untrusted value (parsed from config.yaml; absent means all defaults) against
 * {@link SegmentsSpec} and applies the defaults.
 *
 * @throws InferdError MODEL_CONFIG_INVALID naming the field and what is wrong with it.
 */
export function validateSegmentsSpec (value: unknown, model: string): ResolvedSegmentsSpec {
  const fail = (what: string): never => { throw new InferdError(Errors.MODEL_CONFIG_INVALID, [model, `segments: ${what}`]) }
  const v = (value ?? {}) as Record<string, unknown>
  if (typeof v !== 'object' || Array.isArray(v)) return fail('must be a mapping')
  for (const key of Object.keys(v)) if (!KEYS.has(key)) fail(`unknown field '${key}'`)
  const probability = (key: string): void => {
    const n = v[key]
    if (n !== undefined && (typeof n !== 'number' || !(n >= 0 && n <= 1))) fail(`'${key}' must be a probability from 0 to 1`)
  }
  probability('threshold')
  probability('neg_threshold')
  for (const key of ['min_speech_s', 'min_silence_s', 'pad_s']) {
    const n = v[key]
    if (n !== undefined && (typeof n !== 'number' || !Number.isFinite(n) || n < 0)) fail(`'${key}' must be a number of seconds, 0 or more`)
  }
  if (v.probabilities !== undefined && typeof v.probabilities !== 'boolean') fail(`'probabilities' must be true or false`)
  const threshold = (v.threshold as number | undefined) ?? 0.5
  const neg = (v.neg_threshold as number | undefined) ?? Math.max(Math.round((threshold - 0.15) * 1e6) / 1e6, 0.01)
  if (neg > threshold) fail(`'neg_threshold' (${neg}) must not exceed 'threshold' (${threshold})`)
  return {
    threshold,
    neg_threshold: neg,
    min_speech_s: (v.min_speech_s as number | undefined) ?? 0.25,
    min_silence_s: (v.min_silence_s as number | undefined) ?? 0.1,
    pad_s: (v.pad_s as number | undefined) ?? 0.03,
    probabilities: (v.probabilities as boolean | undefined) ?? false,
  }
}
