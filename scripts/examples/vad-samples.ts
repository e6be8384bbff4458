/**
 * Writes the committed audio samples under examples/samples/ (run by hand; the files are in git):
 *
 *   speech.wav      16 kHz mono 16-bit, 5.92 s: 0.5 s quiet, "Hello, this is the inference
 *                   server." (2.11 s), 0.8 s quiet, "Voice activity detection works." (2.01 s),
 *                   0.5 s quiet. Speech at 0.500–2.612 s and 3.412–5.421 s.
 *   speech-8k.wav   the same at 8 kHz (sox's resampler), for resampling and wrong-rate requests
 *   silence.wav     2 s of room tone: white noise at −60 dBFS RMS
 *   noise.wav       2 s of white noise at −10 dBFS RMS
 *
 * Speech is synthesised by espeak-ng (voice en-us, 165 words/min) and cut and converted by sox,
 * both needed only to remake those two files (`apt-get install espeak-ng sox`). The noise files
 * come from a seeded generator, so they are remade bit for bit without either tool.
 *
 *   npx tsx scripts/examples/vad-samples.ts [dir]
 */
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import wavefile from 'wavefile'
import { isMain } from '../is-main.js'
import { REPO_ROOT } from '../paths.js'

export const SAMPLES_DIR = join(REPO_ROOT, 'examples', 'samples')

/** Where speech.wav has speech, in seconds (from the phrase durations sox reports). */
export const SPEECH_SEGMENTS: ReadonlyArray<readonly [number, number]> = [[0.5, 2.612], [3.412, 5.421]]

const RATE = 16000
const PHRASES = ['Hello, this is the inference server.', 'Voice activity detection works.']

/** Gaussian white noise, 16-bit, from a seeded generator (mulberry32 + Box–Muller). */
export function whiteNoiseWav (seconds: number, rms: number, seed: number): Uint8Array {
  let s = seed >>> 0
  const uniform = (): number => {
    s = (s + 0x6D2B79F5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296
  }
  const n = Math.round(seconds * RATE)
  const samples = new Int16Array(n)
  for (let i = 0; i < n; i++) {
    const g = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
    samples[i] = Math.max(-32768, Math.min(32767, Math.round(g * rms * 32768)))
  }
  const wav = new wavefile.WaveFile()
  wav.fromScratch(1, RATE, '16', samples)
  return wav.toBuffer()
}

async function writeAtomic (path: string, content: Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, content)
  await rename(tmp, path)
}

/** Synthesises speech.wav and speech-8k.wav with espeak-ng and sox. */
function makeSpeech (work: string): void {
  const run = (cmd: string, args: string[]): void => { execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] }) }
  const parts: string[] = []
  const quiet = (name: string, seconds: number): string => {
    const path = join(work, name)
    run('sox', ['-n', '-r', String(RATE), '-c', '1', '-b', '16', path, 'trim', '0', String(seconds)])
    return path
  }
  parts.push(quiet('lead.wav', 0.5))
  PHRASES.forEach((text, i) => {
    const raw = join(work, `p${i}-raw.wav`)
    const cut = join(work, `p${i}.wav`)
    run('espeak-ng', ['-v', 'en-us', '-s', '165', '-w', raw, text])
    // To 16 kHz, with espeak's own leading and trailing silence cut off.
    run('sox', [raw, '-r', String(RATE), '-c', '1', '-b', '16', cut, 'silence', '1', '0.01', '0.1%', 'reverse', 'silence', '1', '0.01', '0.1%', 'reverse'])
    parts.push(cut)
    if (i === 0) parts.push(quiet('gap.wav', 0.8))
  })
  parts.push(quiet('tail.wav', 0.5))
  run('sox', [...parts, join(work, 'speech.wav')])
  run('sox', [join(work, 'speech.wav'), '-r', '8000', join(work, 'speech-8k.wav')])
}

/**
 * Writes the samples into `dir`. Speech is skipped (and said so) when espeak-ng or sox is missing.
 *
 * @returns one line per file, for printing
 */
export async function writeVadSamples (dir: string = SAMPLES_DIR): Promise<string[]> {
  await mkdir(dir, { recursive: true })
  const lines: string[] = []
  await writeAtomic(join(dir, 'silence.wav'), whiteNoiseWav(2, 0.001, 1))
  await writeAtomic(join(dir, 'noise.wav'), whiteNoiseWav(2, 0.316, 2))
  lines.push('wrote silence.wav, noise.wav')
  const work = await mkdtemp(join(tmpdir(), 'inferd-vad-samples-'))
  try {
    makeSpeech(work)
    // Copied through memory: the temporary folder may be on another file system than `dir`.
    for (const name of ['speech.wav', 'speech-8k.wav']) await writeAtomic(join(dir, name), await readFile(join(work, name)))
    lines.push('wrote speech.wav, speech-8k.wav (espeak-ng + sox)')
  } catch (err) {
    lines.push(`speech.wav not remade: ${err instanceof Error ? err.message : String(err)} (needs espeak-ng and sox)`)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  return lines
}

if (isMain(import.meta.url)) {
  for (const line of await writeVadSamples(process.argv[2] ?? SAMPLES_DIR)) console.log(line)
}
