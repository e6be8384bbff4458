import wavefile from 'wavefile'
import { Errors } from '../../errors/codes.js'
import { InferdError } from '../../errors/inferd-error.js'

/** A decoded WAV file, reduced to one channel. */
export interface DecodedAudio {
  /** The file's own rate, in Hz. */
  readonly sampleRate: number
  /** One channel, each sample in [-1, 1]. */
  readonly samples: Float32Array
  /** Channels in the file, before the reduction to one. */
  readonly channels: number
}

export interface DecodeWavOptions {
  /** How several channels become one: `mix` (default) averages them, `first` keeps channel 0. */
  readonly channels?: 'mix' | 'first'
  /**
   * Longest duration accepted, in seconds. Checked from the header before any sample is
   * decoded, so an oversized upload costs a header read, not a decode.
   */
  readonly maxSeconds?: number
}

/** What the fmt chunk says, as far as this module reads it (wavefile types it as `object`). */
interface FmtChunk {
  audioFormat: number
  numChannels: number
  sampleRate: number
  blockAlign: number
  bitsPerSample: number
  subformat: number[]
}

interface DataChunk { chunkSize: number; samples: Uint8Array }

/** WAVE format tags worth naming in a refusal (the rest are reported by number). */
const FORMAT_NAMES: Readonly<Record<number, string>> = {
  2: 'Microsoft ADPCM', 6: 'A-law', 7: 'µ-law', 17: 'IMA ADPCM', 49: 'GSM 6.10', 80: 'MPEG', 85: 'MP3',
}
const PCM = 1
const FLOAT = 3
const EXTENSIBLE = 0xFFFE

/**
 * Decodes a WAV file (RIFF, RIFX or RF64, through the wavefile library) into one channel of
 * samples in [-1, 1]. Accepted encodings: 8, 16, 24 and 32-bit integer PCM, 32 and 64-bit float.
 * Compressed encodings (A-law, µ-law, ADPCM, MP3 in WAV ...) are refused rather than decoded:
 * they are rare in model inputs and each would be one more decoder exposed to untrusted bytes.
 *
 * Float samples beyond ±1 are clipped, so every encoding yields the same range.
 *
 * @param field the request field, named in errors.
 * @throws InferdError TENSOR_DATA_INVALID when the bytes are not a WAV file, are truncated or
 *   corrupt, hold no samples, use an unsupported encoding, or exceed `maxSeconds`.
 */
export function decodeWav (bytes: Uint8Array, field: string, options: DecodeWavOptions = {}): DecodedAudio {
  const invalid = (what: string, cause?: unknown): InferdError =>
    new InferdError(Errors.TENSOR_DATA_INVALID, [field, what], cause === undefined ? {} : { cause })
  // Headers first (no samples): cheap, and enough to refuse most bad files.
  const header = new wavefile.WaveFile()
  try {
    header.fromBuffer(bytes, false)
  } catch (err) {
    throw invalid(`not a WAV file (${err instanceof Error ? err.message : String(err)})`, err)
  }
  const fmt = header.fmt as FmtChunk
  const encoding = encodingOf(fmt)
  if (typeof encoding !== 'string') throw invalid(encoding.refused)
  if (!(fmt.numChannels >= 1) || !(fmt.sampleRate >= 1)) throw invalid(`corrupt WAV header: ${fmt.numChannels} channels at ${fmt.sampleRate} Hz`)
  const frameBytes = fmt.numChannels * (fmt.bitsPerSample / 8)
  const declared = (header.data as DataChunk).chunkSize
  if (options.maxSeconds !== undefined) {
    // The declared size may be a placeholder (streamed files write 0 or 0xFFFFFFFF); the file's
    // own length bounds what can really be there.
    const seconds = Math.min(declared, bytes.length) / frameBytes / fmt.sampleRate
    if (seconds > options.maxSeconds) throw invalid(tooLong(seconds, options.maxSeconds))
  }

  const wav = new wavefile.WaveFile()
  let channels: Float64Array[]
  try {
    wav.fromBuffer(bytes)
    const present = (wav.data as DataChunk).samples.length
    if (present < declared) throw invalid(`truncated WAV file: its data chunk declares ${declared} bytes, ${present} are present`)
    if (present % frameBytes !== 0) throw invalid(`corrupt WAV file: ${present} bytes of samples are not a whole number of ${frameBytes}-byte frames`)
    const s = wav.getSamples(false, Float64Array) as unknown as Float64Array | Float64Array[]
    channels = fmt.numChannels === 1 ? [s as Float64Array] : (s as Float64Array[])
    // wavefile reads 32-bit float only under format tag 3; under WAVE_FORMAT_EXTENSIBLE it
    // returns each sample's bits as an int32, which are reinterpreted here.
    if (encoding === 'float32' && fmt.audioFormat === EXTENSIBLE) channels = channels.map(bitsAsFloat32)
  } catch (err) {
    if (err instanceof InferdError) throw err
    throw invalid(`corrupt WAV file (${err instanceof Error ? err.message : String(err)})`, err)
  }
  const length = channels[0]?.length ?? 0
  if (length === 0) throw invalid('the WAV file holds no samples')
  if (options.maxSeconds !== undefined && length / fmt.sampleRate > options.maxSeconds) throw invalid(tooLong(length / fmt.sampleRate, options.maxSeconds))

  const used = options.channels === 'first' ? channels.slice(0, 1) : channels
  const toUnit = normaliser(encoding)
  const samples = new Float32Array(length)
  const share = 1 / used.length
  for (const channel of used) {
    for (let i = 0; i < length; i++) samples[i] = (samples[i] as number) + toUnit(channel[i] as number) * share
  }
  if (encoding.startsWith('float') && samples.some(Number.isNaN)) throw invalid('corrupt WAV file: it holds NaN samples')
  return { sampleRate: fmt.sampleRate, samples, channels: fmt.numChannels }
}

function bitsAsFloat32 (ints: Float64Array): Float64Array {
  return Float64Array.from(new Float32Array(Int32Array.from(ints).buffer))
}

function tooLong (seconds: number, max: number): string {
  return `the audio lasts ${seconds.toFixed(2)} s, longer than the ${max} s this model accepts`
}

type Encoding = 'int8' | 'int16' | 'int24' | 'int32' | 'float32' | 'float64'

/** The sample encoding, or why it is refused. WAVE_FORMAT_EXTENSIBLE carries the real format in its sub-format GUID. */
function encodingOf (fmt: FmtChunk): Encoding | { refused: string } {
  const tag = fmt.audioFormat === EXTENSIBLE ? (fmt.subformat[0] ?? 0) : fmt.audioFormat
  const bits = fmt.bitsPerSample
  if (tag === PCM && [8, 16, 24, 32].includes(bits)) return `int${bits}` as Encoding
  if (tag === FLOAT && (bits === 32 || bits === 64)) return `float${bits}` as Encoding
  const name = tag === PCM ? `${bits}-bit PCM` : tag === FLOAT ? `${bits}-bit float` : FORMAT_NAMES[tag] ?? `format tag ${tag}`
  return { refused: `unsupported WAV encoding: ${name}; send 8, 16, 24 or 32-bit PCM, or 32 or 64-bit float` }
}

/** Maps a raw sample as wavefile returns it (integers at their bit depth, 8-bit unsigned) into [-1, 1]. */
function normaliser (encoding: Encoding): (v: number) => number {
  switch (encoding) {
    case 'int8': return (v) => (v - 128) / 128
    case 'int16': return (v) => v / 32768
    case 'int24': return (v) => v / 8388608
    case 'int32': return (v) => v / 2147483648
    default: return (v) => (v > 1 ? 1 : v < -1 ? -1 : v)
  }
}
