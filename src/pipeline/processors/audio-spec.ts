import { Errors } from '../../errors/codes.js'
import { InferdError } from '../../errors/inferd-error.js'

/**
 * The `audio:` settings of a pipeline input of kind `audio`, as written in config.yaml: how a
 * WAV file becomes the samples a model takes. Only `sample_rate` is required; everything else
 * defaults to "take the file as it is", so a spec states what the model actually needs.
 *
 * Without `frame`, the input is the whole waveform, `[1, samples]`. With `frame`, it is cut
 * into rows, `[frames, context + frame]`: row k holds samples `[k·hop − context, k·hop + frame)`,
 * zeros where that range runs outside the audio. Streaming models such as Silero VAD take such
 * rows one at a time (see the `sequence:` settings, sequence-spec.ts); per-frame classifiers
 * can take them as a batch.
 */
export interface AudioSpec {
  /** The rate the model was trained at, in Hz (16000 for most speech models). */
  readonly sample_rate: number
  /**
   * What happens to a file at another rate: `false` (default) refuses it with both rates named;
   * `true` converts any rate; a list converts only those source rates (and refuses others), for
   * a deployment that wants to bound what it accepts.
   */
  readonly resample?: boolean | readonly number[]
  /**
   * Longest audio accepted, in seconds; longer is a 400. Default {@link DEFAULT_MAX_SECONDS}: the
   * body-size limit alone does not bound memory, as resampling a low-rate file multiplies it.
   */
  readonly max_seconds?: number
  /** How a multi-channel file becomes one channel: `mix` (default) averages the channels, `first` keeps channel 0. */
  readonly channels?: 'mix' | 'first'
  /** Samples per frame (at `sample_rate`). Unset: the whole waveform in one row. */
  readonly frame?: number
  /** Samples between the starts of two frames. Default `frame` (frames side by side). */
  readonly hop?: number
  /**
   * Samples of the preceding audio put in front of each frame (zeros before the start). Silero
   * VAD v5 needs 64 at 16 kHz: without them it scores speech as silence.
   */
  readonly context?: number
  /** A last frame that runs past the end: `pad` (default) fills it with zeros, `drop` leaves it out. */
  readonly last_frame?: 'pad' | 'drop'
}

/** `max_seconds` when the spec gives none: ten minutes. */
export const DEFAULT_MAX_SECONDS = 600

/** Sample rates a spec may name, and a file may have to be resampled: telephone-band to studio rates, in Hz. */
export const MIN_SAMPLE_RATE = 1000
export const MAX_SAMPLE_RATE = 384000

const KEYS: ReadonlySet<string> = new Set(['sample_rate', 'resample', 'max_seconds', 'channels', 'frame', 'hop', 'context', 'last_frame'])

const isRate = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= MIN_SAMPLE_RATE && n <= MAX_SAMPLE_RATE

/**
 * Checks an untrusted value (parsed from config.yaml) against {@link AudioSpec}, so that a bad
 * spec fails when the model loads rather than on its first request.
 *
 * @throws InferdError MODEL_CONFIG_INVALID naming the field and what is wrong with it.
 */
export function validateAudioSpec (value: unknown, model: string): AudioSpec {
  const fail = (what: string): never => { throw new InferdError(Errors.MODEL_CONFIG_INVALID, [model, `audio preprocessing: ${what}`]) }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('must be a mapping')
  const v = value as Record<string, unknown>
  for (const key of Object.keys(v)) if (!KEYS.has(key)) fail(`unknown field '${key}'`)
  const rates = `an integer number of Hz from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE}`
  if (v.sample_rate === undefined) fail(`'sample_rate' (the rate the model takes, in Hz) is required`)
  if (!isRate(v.sample_rate)) fail(`'sample_rate' must be ${rates}`)
  const r = v.resample
  if (r !== undefined && typeof r !== 'boolean') {
    if (!Array.isArray(r) || r.length === 0) fail(`'resample' must be true, false or a non-empty list of source sample rates`)
    for (const rate of r as unknown[]) if (!isRate(rate)) fail(`'resample' lists ${JSON.stringify(rate)}; each source rate must be ${rates}`)
  }
  if (v.max_seconds !== undefined && (typeof v.max_seconds !== 'number' || !Number.isFinite(v.max_seconds) || v.max_seconds <= 0)) {
    fail(`'max_seconds' must be a number of seconds above 0`)
  }
  if (v.channels !== undefined && v.channels !== 'mix' && v.channels !== 'first') fail(`'channels' must be mix or first`)
  if (v.last_frame !== undefined && v.last_frame !== 'pad' && v.last_frame !== 'drop') fail(`'last_frame' must be pad or drop`)
  const count = (key: string, min: number): void => {
    const n = v[key]
    if (n !== undefined && (typeof n !== 'number' || !Number.isInteger(n) || n < min)) fail(`'${key}' must be an integer of at least ${min} (samples)`)
  }
  count('frame', 1)
  count('hop', 1)
  count('context', 0)
  if (v.frame === undefined) {
    for (const key of ['hop', 'context', 'last_frame']) if (v[key] !== undefined) fail(`'${key}' needs 'frame' (samples per frame)`)
  } else if (typeof v.hop === 'number' && v.hop > (v.frame as number)) {
    // A hop past the frame's end would silently skip audio between frames.
    fail(`'hop' (${v.hop}) must not exceed 'frame' (${String(v.frame)}), or audio between frames would be skipped`)
  }
  return v as unknown as AudioSpec
}
