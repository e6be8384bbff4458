import type { Tensor } from '../../core/tensor.js'
import { Errors } from '../../errors/codes.js'
import { InferdError } from '../../errors/inferd-error.js'
import { type AudioSpec, DEFAULT_MAX_SECONDS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE } from './audio-spec.js'
import { resample } from './audio-resample.js'
import { decodeWav } from './audio-wav.js'

export type { AudioSpec } from './audio-spec.js'
export { DEFAULT_MAX_SECONDS, validateAudioSpec } from './audio-spec.js'
export { decodeWav, type DecodedAudio } from './audio-wav.js'
export { resample } from './audio-resample.js'

/** One pre-processed audio item: the model input and the timing needed to read per-frame outputs. */
export interface AudioInput {
  /** FP32 `[1, samples]`, or `[frames, context + frame]` when the spec frames the audio. */
  readonly tensor: Tensor<'FP32'>
  /** Duration of the audio, in seconds. */
  readonly seconds: number
  /** Seconds between the starts of two frames (hop / sample_rate); the duration when not framed. */
  readonly hopSeconds: number
}

/**
 * Turns a WAV file into a speech or audio model's input: decoded to one channel in [-1, 1],
 * checked against the model's sample rate (resampled when the spec allows it), then laid out
 * whole or in frames (see {@link AudioSpec}).
 *
 * The spec is assumed valid ({@link validateAudioSpec} runs when the model loads).
 *
 * @param field the request field, named in errors and used as the tensor's name.
 * @throws InferdError TENSOR_DATA_INVALID when the file is not a usable WAV (see decodeWav), is
 *   at a rate the spec does not accept, is too long, or is shorter than one frame with
 *   `last_frame: drop`.
 * @example
 * const { tensor } = preprocessAudio(wavBytes, { sample_rate: 16000, frame: 512, context: 64 }, 'audio')
 * tensor.shape   // [frames, 576]
 */
export function preprocessAudio (bytes: Uint8Array, spec: AudioSpec, field = 'audio'): AudioInput {
  const invalid = (what: string): InferdError => new InferdError(Errors.TENSOR_DATA_INVALID, [field, what])
  const decoded = decodeWav(bytes, field, {
    ...(spec.channels === undefined ? {} : { channels: spec.channels }),
    maxSeconds: spec.max_seconds ?? DEFAULT_MAX_SECONDS,
  })
  const rate = spec.sample_rate
  let samples = decoded.samples
  if (decoded.sampleRate !== rate) {
    const r = spec.resample ?? false
    if (r === false) throw invalid(`the WAV file is at ${decoded.sampleRate} Hz; this model takes ${rate} Hz audio (convert it, or enable resample in the model's audio settings)`)
    if (Array.isArray(r) && !r.includes(decoded.sampleRate)) {
      throw invalid(`the WAV file is at ${decoded.sampleRate} Hz; this model takes ${rate} Hz audio, or converts from ${r.join(', ')} Hz`)
    }
    if (decoded.sampleRate < MIN_SAMPLE_RATE || decoded.sampleRate > MAX_SAMPLE_RATE) {
      throw invalid(`the WAV file is at ${decoded.sampleRate} Hz, outside the ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE} Hz that can be converted to ${rate} Hz`)
    }
    samples = resample(samples, decoded.sampleRate, rate)
    if (samples.length === 0) throw invalid(`the audio is too short to convert to ${rate} Hz`)
  }
  const seconds = samples.length / rate
  if (spec.frame === undefined) {
    return { tensor: { name: field, datatype: 'FP32', shape: [1, samples.length], data: samples }, seconds, hopSeconds: seconds }
  }
  const tensor = frameSamples(samples, spec.frame, spec.hop ?? spec.frame, spec.context ?? 0, spec.last_frame ?? 'pad', field)
  if (tensor.shape[0] === 0) {
    throw invalid(`the audio has ${samples.length} samples at ${rate} Hz, fewer than one frame of ${spec.frame} (${(spec.frame / rate).toFixed(3)} s)`)
  }
  return { tensor, seconds, hopSeconds: (spec.hop ?? spec.frame) / rate }
}

/**
 * Cuts samples into rows `[frames, context + frame]`: row k holds samples
 * `[k·hop − context, k·hop + frame)`, zeros outside the signal.
 *
 *   samples   |==================================|
 *   row 0   [ctx|  frame  ]                           (ctx before 0: zeros)
 *   row 1         [ctx|  frame  ]                     (starts hop later)
 *   last              ...          [ctx|  frame :000] (padded, or dropped with `drop`)
 *
 * With `pad`, every sample is in some frame; with `drop`, only whole frames are kept.
 */
export function frameSamples (samples: Float32Array, frame: number, hop: number, context: number, last: 'pad' | 'drop', name: string): Tensor<'FP32'> {
  const n = samples.length
  const count = last === 'drop'
    ? (n < frame ? 0 : 1 + Math.floor((n - frame) / hop))
    : (n <= frame ? 1 : 1 + Math.ceil((n - frame) / hop))
  const width = context + frame
  const data = new Float32Array(count * width)
  for (let k = 0; k < count; k++) {
    const start = k * hop - context
    const from = Math.max(0, start)
    const to = Math.min(n, start + width)
    if (to > from) data.set(samples.subarray(from, to), k * width + (from - start))
  }
  return { name, datatype: 'FP32', shape: [count, width], data }
}
