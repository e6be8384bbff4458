/**
 * Sample-rate conversion by windowed-sinc interpolation (a Kaiser-windowed low-pass filter
 * evaluated at each output instant), written here rather than taken from wavefile.
 *
 * Why not wavefile's `toSampleRate`: its filtering is good (cubic interpolation behind a
 * zero-phase Butterworth low-pass), but it only works on a whole WaveFile, so a conversion
 * packs every sample into bytes and unpacks it again; measured on one minute of 44.1 kHz audio
 * it cost about 1.7 s of CPU, several times this module, which also keeps more of the band when
 * upsampling (a 3 kHz tone from an 8 kHz file keeps 0.70 of its amplitude through wavefile's
 * cubic interpolation, all of it here). Measured CPU for one minute of audio here: 44.1 → 16 kHz
 * about 0.3 s, 8 → 16 kHz about 0.13 s (on a loaded 2-core machine).
 *
 * How: output sample i sits at x = i·from/to in input samples. It is the sum of the inputs
 * within `ZEROS` zero-crossings of the filter, each weighted by the filter at its distance from
 * x. The cut-off is a little under the lower of the two Nyquist frequencies (`ROLLOFF`), so
 * downsampling does not alias. Instants repeat with period L = to / gcd(from, to), so the
 * weights are computed once per distinct phase (quantised to `MAX_PHASES` phases when L is
 * larger, a timing error under 1/8000 of a sample).
 *
 *   input   ·   ·   ·   ·   ·   ·   ·   ·   ·   ·        (rate `from`)
 *                     ▲ x = i·from/to
 *   weights  ╶─╴╱‾‾‾‾‾╲╶─╴                               (2·R taps around x, one set per phase)
 *   output    ·     ·     ·     ·     ·                  (rate `to`)
 */

/** Zero-crossings of the sinc on each side of the centre: the filter's length and steepness. */
const ZEROS = 12
/** Kaiser window shape: about 80 dB of stop-band rejection. */
const BETA = 8
/** Cut-off as a fraction of the lower Nyquist frequency (flat to about 0.85 of it). */
const ROLLOFF = 0.94
/** Most weight sets kept for one conversion. */
const MAX_PHASES = 4096

interface Filter {
  /** Taps per output sample (2·R). */
  readonly taps: number
  /** Distinct phases (weight sets). */
  readonly phases: number
  /** phases × taps weights; set p is for an output at fractional position p / phases. */
  readonly weights: Float32Array
}

/** Filters of recent conversions (a server sees a handful of source rates). */
const filters = new Map<string, Filter>()
const FILTER_CACHE = 8

/**
 * Converts `samples` from rate `from` to rate `to` (both in Hz). The result has
 * `floor(length · to / from)` samples; the same length of time.
 *
 * @example
 * resample(samplesAt44k, 44100, 16000)   // → 16 kHz, nothing above 7.5 kHz
 */
export function resample (samples: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return samples.slice()
  const g = gcd(from, to)
  const up = to / g // L: output instants per period
  const down = from / g // M: input samples per period
  const filter = filterFor(from, to, up)
  const { taps, phases, weights } = filter
  const n = samples.length
  const out = new Float32Array(Math.floor((n * to) / from))
  const half = taps / 2
  for (let i = 0; i < out.length; i++) {
    // Integer arithmetic: i·M stays exact far beyond any audio length (2^53).
    const num = i * down
    let base = Math.floor(num / up)
    let phase = num - base * up
    if (phases !== up) {
      phase = Math.round((phase * phases) / up)
      if (phase === phases) { phase = 0; base++ }
    }
    const first = base - half + 1
    const w = phase * taps
    let acc = 0
    if (first >= 0 && first + taps <= n) {
      for (let j = 0; j < taps; j++) acc += (samples[first + j] as number) * (weights[w + j] as number)
    } else {
      // Near either end: inputs outside the signal count as silence.
      for (let j = 0; j < taps; j++) {
        const k = first + j
        if (k >= 0 && k < n) acc += (samples[k] as number) * (weights[w + j] as number)
      }
    }
    out[i] = acc
  }
  return out
}

function filterFor (from: number, to: number, up: number): Filter {
  const key = `${from}:${to}`
  const cached = filters.get(key)
  if (cached !== undefined) return cached
  const scale = Math.min(1, to / from) // the filter stretches by 1/scale when downsampling
  const reach = ZEROS / scale // in input samples
  const half = Math.ceil(reach)
  const taps = 2 * half
  const phases = Math.min(up, MAX_PHASES)
  const weights = new Float32Array(phases * taps)
  const i0Beta = besselI0(BETA)
  for (let p = 0; p < phases; p++) {
    const frac = p / phases
    let sum = 0
    for (let j = 0; j < taps; j++) {
      // Tap j reads input base − half + 1 + j; its distance from the output instant, in input samples:
      const t = frac + half - 1 - j
      const u = Math.abs(t) * scale // in zero-crossings of the (un-rolled-off) sinc
      let h = 0
      if (u < ZEROS) {
        const r = u / ZEROS
        const window = besselI0(BETA * Math.sqrt(1 - r * r)) / i0Beta
        const x = Math.PI * ROLLOFF * u
        h = (u === 0 ? 1 : Math.sin(x) / x) * window
      }
      weights[p * taps + j] = h
      sum += h
    }
    // Unit gain at DC for every phase, so a constant signal stays exactly constant.
    for (let j = 0; j < taps; j++) weights[p * taps + j] = (weights[p * taps + j] as number) / sum
  }
  const filter = { taps, phases, weights }
  if (filters.size >= FILTER_CACHE) filters.delete(filters.keys().next().value as string)
  filters.set(key, filter)
  return filter
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for the window's range). */
function besselI0 (x: number): number {
  let sum = 1
  let term = 1
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2
    sum += term
    if (term < sum * 1e-12) break
  }
  return sum
}

function gcd (a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b]
  return a
}
