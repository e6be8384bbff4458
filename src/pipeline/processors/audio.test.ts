import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import wavefile from 'wavefile'
import { describe, expect, it } from 'vitest'
import { catchInferdError } from '../../../test/helpers/catch-inferd-error.js'
import { type AudioSpec, DEFAULT_MAX_SECONDS, decodeWav, frameSamples, preprocessAudio, resample, validateAudioSpec } from './audio.js'

const SAMPLES = fileURLToPath(new URL('../../../examples/samples/', import.meta.url))

/** A WAV file made by wavefile from raw sample values at `depth` ('16', '32f' ...). */
function wav (depth: string, samples: number[] | number[][], rate = 16000, options?: object): Uint8Array {
  const w = new wavefile.WaveFile()
  const channels = Array.isArray(samples[0]) ? samples.length : 1
  w.fromScratch(channels, rate, depth, samples, options)
  return w.toBuffer()
}

function sine (rate: number, hz: number, seconds: number, amplitude = 0.5): Float32Array {
  return Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / rate))
}

/** Amplitude of the `hz` component over the middle 60 % of a signal (a single-bin DFT). */
function amplitudeAt (s: Float32Array, rate: number, hz: number): number {
  const a = Math.floor(s.length * 0.2)
  const b = Math.floor(s.length * 0.8)
  let re = 0
  let im = 0
  for (let i = a; i < b; i++) {
    re += (s[i] as number) * Math.cos((2 * Math.PI * hz * i) / rate)
    im += (s[i] as number) * Math.sin((2 * Math.PI * hz * i) / rate)
  }
  return (2 * Math.hypot(re, im)) / (b - a)
}

function rms (s: Float32Array, from = 0, to = s.length): number {
  let sum = 0
  for (let i = from; i < to; i++) sum += (s[i] as number) ** 2
  return Math.sqrt(sum / (to - from))
}

describe('validateAudioSpec', () => {
  it('accepts a full spec and returns it', () => {
    const spec = { sample_rate: 16000, resample: [8000, 44100], max_seconds: 30, channels: 'first', frame: 512, hop: 256, context: 64, last_frame: 'drop' }
    expect(validateAudioSpec(spec, 'm')).toEqual(spec)
    expect(validateAudioSpec({ sample_rate: 8000 }, 'm')).toEqual({ sample_rate: 8000 })
  })

  it.each([
    [null, 'must be a mapping'],
    [{}, `'sample_rate' (the rate the model takes, in Hz) is required`],
    [{ sample_rate: 16000.5 }, `'sample_rate' must be an integer number of Hz`],
    [{ sample_rate: 500 }, `'sample_rate' must be an integer number of Hz from 1000 to 384000`],
    [{ sample_rate: 16000, rate: 1 }, `unknown field 'rate'`],
    [{ sample_rate: 16000, resample: 'yes' }, `'resample' must be true, false or a non-empty list`],
    [{ sample_rate: 16000, resample: [] }, `'resample' must be true, false or a non-empty list`],
    [{ sample_rate: 16000, resample: [44100, 'x'] }, `'resample' lists "x"`],
    [{ sample_rate: 16000, max_seconds: 0 }, `'max_seconds' must be a number of seconds above 0`],
    [{ sample_rate: 16000, channels: 'left' }, `'channels' must be mix or first`],
    [{ sample_rate: 16000, frame: 0 }, `'frame' must be an integer of at least 1`],
    [{ sample_rate: 16000, frame: 512, context: -1 }, `'context' must be an integer of at least 0`],
    [{ sample_rate: 16000, hop: 256 }, `'hop' needs 'frame'`],
    [{ sample_rate: 16000, context: 64 }, `'context' needs 'frame'`],
    [{ sample_rate: 16000, frame: 256, hop: 512 }, `'hop' (512) must not exceed 'frame' (256)`],
    [{ sample_rate: 16000, frame: 256, last_frame: 'zero' }, `'last_frame' must be pad or drop`],
  ])('refuses %j: %s', (spec, message) => {
    const err = catchInferdError(() => validateAudioSpec(spec, 'vad'))
    expect(err.code).toBe('INFERD_ERR_MODEL_CONFIG_INVALID')
    expect(err.message).toContain(`model 'vad': audio preprocessing: ${message}`)
  })
})

describe('decodeWav', () => {
  it.each([
    ['8', [0, 64, 128, 192, 255], [-1, -0.5, 0, 0.5, 127 / 128]],
    ['16', [-32768, -16384, 0, 16384, 32767], [-1, -0.5, 0, 0.5, 32767 / 32768]],
    ['24', [-8388608, -4194304, 0, 4194304, 8388607], [-1, -0.5, 0, 0.5, 8388607 / 8388608]],
    ['32', [-2147483648, -1073741824, 0, 1073741824, 2147483647], [-1, -0.5, 0, 0.5, 1]],
    ['32f', [-1, -0.5, 0, 0.25, 0.75], [-1, -0.5, 0, 0.25, 0.75]],
    ['64', [-1, -0.5, 0, 0.25, 0.75], [-1, -0.5, 0, 0.25, 0.75]],
  ])('decodes %s-bit samples into [-1, 1]', (depth, raw, expected) => {
    const decoded = decodeWav(wav(depth, raw, 22050), 'audio')
    expect(decoded.sampleRate).toBe(22050)
    expect(decoded.channels).toBe(1)
    expect(Array.from(decoded.samples)).toEqual(expected.map((v) => Math.fround(v)))
  })

  it('decodes big-endian RIFX files', () => {
    const decoded = decodeWav(wav('16', [16384, -16384], 16000, { container: 'RIFX' }), 'audio')
    expect(Array.from(decoded.samples)).toEqual([0.5, -0.5])
  })

  it('decodes WAVE_FORMAT_EXTENSIBLE files: 24-bit PCM and 32-bit float', () => {
    // wavefile writes the 40-byte extensible fmt chunk for more than two channels but leaves the
    // format tag at 1; set the tag (0xFFFE) and the sub-format GUID's first field (1 PCM, 3 float).
    const extensible = (bytes: Uint8Array, subformat: number): Uint8Array => {
      const dv = new DataView(bytes.buffer, bytes.byteOffset)
      expect(dv.getUint16(16, true)).toBe(40)
      dv.setUint16(20, 0xFFFE, true)
      dv.setUint32(44, subformat, true)
      return bytes
    }
    const pcm = decodeWav(extensible(wav('24', [[4194304, 0], [4194304, 0], [-4194304, 0]]), 1), 'audio')
    expect(pcm.channels).toBe(3)
    expect(Array.from(pcm.samples)).toEqual([Math.fround(0.5 / 3), 0])
    const float = decodeWav(extensible(wav('32f', [[0.5, -0.25], [0.5, -0.25], [0.5, -0.25]]), 3), 'audio')
    expect(Array.from(float.samples)).toEqual([0.5, -0.25])
  })

  it('mixes channels down by averaging, or keeps the first with channels: first', () => {
    const stereo = wav('16', [[16384, 16384, 0], [-16384, 0, 8192]])
    expect(Array.from(decodeWav(stereo, 'audio').samples)).toEqual([0, 0.25, 0.125])
    expect(Array.from(decodeWav(stereo, 'audio', { channels: 'first' }).samples)).toEqual([0.5, 0.5, 0])
    expect(decodeWav(stereo, 'audio').channels).toBe(2)
  })

  it('clips float samples beyond ±1', () => {
    expect(Array.from(decodeWav(wav('32f', [1.5, -2, 0.5]), 'audio').samples)).toEqual([1, -1, 0.5])
  })

  it('decodes the committed samples', () => {
    const speech = decodeWav(readFileSync(`${SAMPLES}speech.wav`), 'audio')
    expect(speech.sampleRate).toBe(16000)
    expect(speech.samples.length / 16000).toBeCloseTo(5.92, 2)
    const speech8k = decodeWav(readFileSync(`${SAMPLES}speech-8k.wav`), 'audio')
    expect(speech8k.sampleRate).toBe(8000)
    expect(speech8k.samples.length / 8000).toBeCloseTo(5.92, 2)
  })

  describe('refuses bad files with TENSOR_DATA_INVALID naming the field', () => {
    const good = wav('16', Array.from({ length: 100 }, (_, i) => i * 100))
    const alaw = (() => { const w = new wavefile.WaveFile(); w.fromScratch(1, 8000, '16', [0, 1000, -1000, 2000]); w.toALaw(); return w.toBuffer() })()
    const mulaw = (() => { const w = new wavefile.WaveFile(); w.fromScratch(1, 8000, '16', [0, 1000, -1000, 2000]); w.toMuLaw(); return w.toBuffer() })()
    const adpcm = (() => { const w = new wavefile.WaveFile(); w.fromScratch(1, 8000, '16', new Array(1010).fill(100)); w.toIMAADPCM(); return w.toBuffer() })()
    const patched = (offset: number, bytes: number, value: number): Uint8Array => {
      const b = Uint8Array.from(good)
      const dv = new DataView(b.buffer)
      if (bytes === 2) dv.setUint16(offset, value, true)
      else dv.setUint32(offset, value, true)
      return b
    }
    it.each([
      ['text', new TextEncoder().encode('this is not a wav file, just some text'), 'not a WAV file'],
      ['no bytes', new Uint8Array(0), 'not a WAV file'],
      ['a cut header', good.slice(0, 30), 'not a WAV file'],
      ['a truncated data chunk', good.slice(0, good.length - 10), 'truncated WAV file: its data chunk declares 200 bytes, 190 are present'],
      ['half a sample', good.slice(0, good.length - 1), 'truncated WAV file'],
      ['no samples', wav('16', []), 'the WAV file holds no samples'],
      ['A-law', alaw, 'unsupported WAV encoding: A-law'],
      ['µ-law', mulaw, 'unsupported WAV encoding: µ-law'],
      ['IMA ADPCM', adpcm, 'unsupported WAV encoding: IMA ADPCM'],
      ['MP3 in WAV', patched(20, 2, 85), 'unsupported WAV encoding: MP3'],
      ['12-bit PCM', patched(34, 2, 12), 'unsupported WAV encoding: 12-bit PCM'],
      ['a sample rate of 0', patched(24, 4, 0), 'corrupt WAV header: 1 channels at 0 Hz'],
      ['no channels', patched(22, 2, 0), 'corrupt WAV header: 0 channels'],
      ['NaN samples', wav('32f', [0, Number.NaN]), 'corrupt WAV file: it holds NaN samples'],
    ])('%s', (_, bytes, message) => {
      const err = catchInferdError(() => decodeWav(bytes, 'clip'))
      expect(err.code).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
      expect(err.message).toContain(`tensor 'clip': ${message}`)
    })

    it('too long, from the header, before decoding', () => {
      const err = catchInferdError(() => decodeWav(wav('16', new Array(16000 * 3).fill(0)), 'clip', { maxSeconds: 2.5 }))
      expect(err.message).toBe(`tensor 'clip': the audio lasts 3.00 s, longer than the 2.5 s this model accepts`)
      expect(decodeWav(wav('16', new Array(16000 * 2).fill(0)), 'clip', { maxSeconds: 2.5 }).samples.length).toBe(32000)
    })
  })
})

describe('resample', () => {
  it.each([
    [44100, 16000], [48000, 16000], [22050, 16000], [8000, 16000], [16000, 44100], [11025, 16000],
  ])('keeps the frequency and level of in-band tones, %i → %i Hz', (from, to) => {
    const band = Math.min(from, to) / 2
    for (const hz of [440, 1000, 0.75 * band]) {
      const out = resample(sine(from, hz, 1), from, to)
      expect(out.length).toBe(Math.floor((sine(from, hz, 1).length * to) / from))
      // All the energy stays at hz: the tone's amplitude is kept, and so is the total RMS.
      expect(amplitudeAt(out, to, hz)).toBeCloseTo(0.5, 2)
      const mid = [Math.floor(out.length * 0.2), Math.floor(out.length * 0.8)] as const
      expect(rms(out, ...mid)).toBeCloseTo(0.5 / Math.SQRT2, 2)
    }
  })

  it('removes tones above the new Nyquist frequency instead of folding them down (no aliasing)', () => {
    for (const [from, hz] of [[44100, 10000], [48000, 12000], [22050, 9000]] as const) {
      const out = resample(sine(from, hz, 1), from, 16000)
      // Unfiltered decimation would leave a 0.35 RMS alias at 16000 − hz.
      expect(rms(out, 200, out.length - 200)).toBeLessThan(0.005)
    }
  })

  it('keeps a constant signal constant (unit gain at DC) away from the edges', () => {
    const out = resample(new Float32Array(44100).fill(0.25), 44100, 16000)
    let worst = 0
    for (let i = 100; i < out.length - 100; i++) worst = Math.max(worst, Math.abs((out[i] as number) - 0.25))
    expect(worst).toBeLessThan(1e-6)
  })

  it('handles rates with no small common ratio (quantised phases) without drifting', () => {
    const out = resample(sine(44101, 1000, 1), 44101, 16000)
    expect(amplitudeAt(out, 16000, 1000)).toBeCloseTo(0.5, 2)
  })

  it('agrees with sox on real speech: speech-8k.wav brought to 16 kHz matches speech.wav below 4 kHz', () => {
    const a = decodeWav(readFileSync(`${SAMPLES}speech-8k.wav`), 'audio')
    const b = decodeWav(readFileSync(`${SAMPLES}speech.wav`), 'audio')
    const up = resample(a.samples, 8000, 16000)
    const ref = resample(resample(b.samples, 16000, 8000), 8000, 16000) // the same band as the 8 kHz file
    const n = Math.min(up.length, ref.length)
    let dot = 0
    let ea = 0
    let eb = 0
    for (let i = 0; i < n; i++) {
      dot += (up[i] as number) * (ref[i] as number)
      ea += (up[i] as number) ** 2
      eb += (ref[i] as number) ** 2
    }
    expect(dot / Math.sqrt(ea * eb)).toBeGreaterThan(0.99)
  })

  it('returns a copy at the same rate', () => {
    const s = Float32Array.of(0.1, 0.2)
    const out = resample(s, 16000, 16000)
    expect(Array.from(out)).toEqual(Array.from(s))
    expect(out).not.toBe(s)
  })
})

describe('frameSamples', () => {
  const ramp = Float32Array.from({ length: 10 }, (_, i) => i + 1) // 1..10

  it('lays frames side by side, padding the last with zeros', () => {
    const t = frameSamples(ramp, 4, 4, 0, 'pad', 'x')
    expect(t.shape).toEqual([3, 4])
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0])
  })

  it('drops a partial last frame with drop', () => {
    const t = frameSamples(ramp, 4, 4, 0, 'drop', 'x')
    expect(t.shape).toEqual([2, 4])
    expect(frameSamples(ramp.subarray(0, 3), 4, 4, 0, 'drop', 'x').shape).toEqual([0, 4])
  })

  it('overlaps frames with a hop shorter than the frame', () => {
    const t = frameSamples(ramp, 4, 2, 0, 'pad', 'x')
    expect(t.shape).toEqual([4, 4])
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 3, 4, 5, 6, 5, 6, 7, 8, 7, 8, 9, 10])
  })

  it('puts the preceding context in front of each frame, zeros before the start', () => {
    const t = frameSamples(ramp, 4, 4, 2, 'pad', 'x')
    expect(t.shape).toEqual([3, 6])
    expect(Array.from(t.data)).toEqual([0, 0, 1, 2, 3, 4, 3, 4, 5, 6, 7, 8, 7, 8, 9, 10, 0, 0])
  })

  it('makes one padded frame of a signal shorter than a frame', () => {
    expect(Array.from(frameSamples(ramp.subarray(0, 2), 4, 4, 1, 'pad', 'x').data)).toEqual([0, 1, 2, 0, 0])
  })
})

describe('preprocessAudio', () => {
  const spec: AudioSpec = { sample_rate: 16000 }
  const tone = (rate: number, seconds: number): Uint8Array =>
    wav('16', Array.from(sine(rate, 440, seconds), (v) => Math.round(v * 32767)), rate)

  it('gives the whole waveform as [1, samples] without frame', () => {
    const a = preprocessAudio(tone(16000, 0.5), spec, 'audio')
    expect(a.tensor).toMatchObject({ name: 'audio', datatype: 'FP32', shape: [1, 8000] })
    expect(a.seconds).toBe(0.5)
  })

  it('frames as [frames, context + frame] with the hop in seconds', () => {
    const a = preprocessAudio(tone(16000, 1), { sample_rate: 16000, frame: 512, context: 64 }, 'audio')
    expect(a.tensor.shape).toEqual([Math.ceil(16000 / 512), 576])
    expect(a.hopSeconds).toBe(0.032)
    expect(a.seconds).toBe(1)
  })

  it('refuses another rate unless resampling is on, naming both rates', () => {
    const err = catchInferdError(() => preprocessAudio(tone(44100, 0.2), spec, 'audio'))
    expect(err.code).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
    expect(err.message).toBe(`tensor 'audio': the WAV file is at 44100 Hz; this model takes 16000 Hz audio (convert it, or enable resample in the model's audio settings)`)
  })

  it('resamples with resample: true, and only the listed rates with a list', () => {
    const a = preprocessAudio(tone(44100, 0.5), { sample_rate: 16000, resample: true }, 'audio')
    expect(a.tensor.shape).toEqual([1, 8000])
    expect(amplitudeAt(a.tensor.data, 16000, 440)).toBeCloseTo(0.5, 2)
    expect(preprocessAudio(tone(8000, 0.5), { sample_rate: 16000, resample: [8000] }, 'audio').tensor.shape).toEqual([1, 8000])
    const err = catchInferdError(() => preprocessAudio(tone(44100, 0.1), { sample_rate: 16000, resample: [8000, 48000] }, 'audio'))
    expect(err.message).toBe(`tensor 'audio': the WAV file is at 44100 Hz; this model takes 16000 Hz audio, or converts from 8000, 48000 Hz`)
  })

  it('refuses a rate that cannot be converted, and applies a default max_seconds', () => {
    const lowRate = wav('8', new Array(1000).fill(128), 100)
    expect(catchInferdError(() => preprocessAudio(lowRate, { sample_rate: 16000, resample: true }, 'audio')).message)
      .toBe(`tensor 'audio': the WAV file is at 100 Hz, outside the 1000–384000 Hz that can be converted to 16000 Hz`)
    // 1000 samples at 1 Hz: 1000 s, past the default 600 s, refused before it is decoded or resampled.
    expect(catchInferdError(() => preprocessAudio(wav('8', new Array(1000).fill(128), 1), { sample_rate: 16000, resample: true }, 'audio')).message)
      .toContain(`the audio lasts 1000.00 s, longer than the ${DEFAULT_MAX_SECONDS} s this model accepts`)
  })

  it('refuses audio longer than max_seconds and shorter than one frame with drop', () => {
    expect(catchInferdError(() => preprocessAudio(tone(16000, 1), { sample_rate: 16000, max_seconds: 0.5 }, 'audio')).message)
      .toContain('the audio lasts 1.00 s, longer than the 0.5 s this model accepts')
    expect(catchInferdError(() => preprocessAudio(tone(16000, 0.01), { sample_rate: 16000, frame: 512, last_frame: 'drop' }, 'audio')).message)
      .toBe(`tensor 'audio': the audio has 160 samples at 16000 Hz, fewer than one frame of 512 (0.032 s)`)
  })
})
