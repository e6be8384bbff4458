import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { setupVad } from '../../scripts/examples/vad.js'
import { SPEECH_SEGMENTS } from '../../scripts/examples/vad-samples.js'
import type { Tensor } from '../../src/core/tensor.js'
import { findSegments, type SegmentsResult, validateSegmentsSpec } from '../../src/pipeline/postprocess/segments.js'
import { type AudioSpec, preprocessAudio, validateAudioSpec } from '../../src/pipeline/processors/audio.js'
import { type ResolvedSequence, resolveSequence, runFrames, validateSequenceSpec } from '../../src/pipeline/sequence-run.js'
import { EXAMPLES_REPO, ROOT } from '../helpers/paths.js'
import { startServer } from '../helpers/server.js'
import { TempRepo } from '../helpers/temp-repo.js'

/**
 * Known answers for the voice-activity example (examples/models/vad: Silero VAD v5, copied in by
 * scripts/examples/vad.ts), with the pre- and post-processing its config.yaml declares, run frame
 * by frame with onnxruntime-node directly (runFrames with a runModel written here, standing in for
 * the engine): speech is found where the sample has it, silence and noise have none.
 *
 * Observed when written (per-frame speech probability, 32 ms frames):
 *   speech.wav      186 frames, mean 0.64, median 0.999, 63 % ≥ 0.5; segments 0.514–2.718 s and
 *                   3.394–5.502 s (speech is at 0.500–2.612 and 3.412–5.421), speech_ratio 0.728
 *   speech-8k.wav   resampled to 16 kHz by inferd: mean 0.62, 63 % ≥ 0.5, the same segments
 *   silence.wav     63 frames, mean 0.006, max 0.095      noise.wav   mean 0.005, max 0.041
 */

const MODEL_DIR = join(EXAMPLES_REPO, 'vad')
const SAMPLES = join(ROOT, 'examples', 'samples')
const config = parse(readFileSync(join(MODEL_DIR, 'config.yaml'), 'utf8')) as Record<string, any>
const input = config.pipeline.inputs[0]
const audioSpec: AudioSpec = validateAudioSpec(input.audio, 'vad')
const sequenceSpec = validateSequenceSpec(input.sequence, 'vad')
const segmentsSpec = validateSegmentsSpec(config.pipeline.outputs[0].segments, 'vad')

let session: ort.InferenceSession
let sequence: ResolvedSequence

beforeAll(async () => {
  await setupVad(MODEL_DIR)
  session = await ort.InferenceSession.create(join(MODEL_DIR, '1', 'model.onnx'))
  sequence = resolveSequence(sequenceSpec, input.tensor, (audioSpec.context ?? 0) + (audioSpec.frame ?? 0), {
    maxBatchSize: 0,
    inputs: [
      { name: 'input', datatype: 'FP32', dims: [-1, -1] },
      { name: 'state', datatype: 'FP32', dims: [2, -1, 128] },
      { name: 'sr', datatype: 'INT64', dims: [] },
    ],
    outputs: [{ name: 'output', datatype: 'FP32', dims: [-1, 1] }, { name: 'stateN', datatype: 'FP32', dims: [-1, -1, -1] }],
  }, 'vad')
})
afterAll(async () => { await session?.release() })

/** One model call through onnxruntime-node, in inferd's tensor form (FP32 and INT64 only). */
async function runModel (inputs: Tensor[]): Promise<Tensor[]> {
  const feeds = Object.fromEntries(inputs.map((t) => [t.name, new ort.Tensor(t.datatype === 'INT64' ? 'int64' : 'float32', t.data as Float32Array, t.shape)]))
  const out = await session.run(feeds)
  return Object.entries(out).map(([name, v]) => ({ name, datatype: 'FP32', shape: v.dims, data: v.data as Float32Array }))
}

/** The declared pipeline on one sample file: probabilities per frame and the segments answer. */
async function detect (file: string): Promise<{ probs: Float32Array; result: SegmentsResult }> {
  const audio = preprocessAudio(readFileSync(join(SAMPLES, file)), audioSpec, 'audio')
  const [probs] = await runFrames(audio.tensor, sequence, runModel)
  expect(probs?.shape).toEqual([audio.tensor.shape[0], 1])
  const data = probs?.data as Float32Array
  return { probs: data, result: findSegments(data, { hopSeconds: audio.hopSeconds, seconds: audio.seconds }, segmentsSpec) }
}

/** Seconds of [a, b] that some segment covers. */
function covered (segments: SegmentsResult['segments'], a: number, b: number): number {
  return segments.reduce((sum, s) => sum + Math.max(0, Math.min(b, s.end_s) - Math.max(a, s.start_s)), 0)
}

describe('vad example model', () => {
  it('loads through the repository with its config: inputs input, state, sr; outputs output, stateN; no batching', async () => {
    // The pipeline section is left out here: this checks the model and config completion; the
    // friendly endpoint is tested where the engine wires pipelines.
    const { pipeline: _, ...plain } = config
    const repo = await TempRepo.create({
      'vad/config.yaml': stringify(plain),
      'vad/1/model.onnx': readFileSync(join(MODEL_DIR, '1', 'model.onnx')),
    })
    const server = await startServer(repo.root)
    try {
      const { signature } = server.repository.get('vad')
      expect(signature.maxBatchSize).toBe(0)
      expect(signature.inputs.map((s) => [s.name, s.datatype, s.dims])).toEqual([
        ['input', 'FP32', [-1, -1]], ['state', 'FP32', [2, -1, 128]], ['sr', 'INT64', []],
      ])
      expect(signature.outputs.map((s) => [s.name, s.datatype])).toEqual([['output', 'FP32'], ['stateN', 'FP32']])
      // The declared sequence fits the model as the server sees it.
      const seq = resolveSequence(sequenceSpec, input.tensor, 576, signature, 'vad')
      expect(seq.states[0]?.shape).toEqual([2, 1, 128])
    } finally {
      await server.close()
      await repo.dispose()
    }
  })

  it('finds both phrases of speech.wav', async () => {
    const { probs, result } = await detect('speech.wav')
    expect(result.speech).toBe(true)
    expect(result.segments).toHaveLength(2)
    for (const [a, b] of SPEECH_SEGMENTS) expect(covered(result.segments, a, b) / (b - a)).toBeGreaterThan(0.9)
    // and little else: the quiet lead-in, gap and tail (2.1 s together) are mostly left out
    const total = result.segments.reduce((sum, s) => sum + s.end_s - s.start_s, 0)
    const speech = SPEECH_SEGMENTS.reduce((sum, [a, b]) => sum + covered(result.segments, a, b), 0)
    expect(total - speech).toBeLessThan(0.3)
    expect(probs.filter((p) => p >= 0.5).length / probs.length).toBeGreaterThan(0.5)
  })

  it('finds the same speech in the 8 kHz file, resampled to 16 kHz by the pipeline', async () => {
    const ref = (await detect('speech.wav')).result
    const { result } = await detect('speech-8k.wav')
    expect(result.segments).toHaveLength(ref.segments.length)
    result.segments.forEach((s, i) => {
      expect(Math.abs(s.start_s - (ref.segments[i]?.start_s ?? NaN))).toBeLessThan(0.1)
      expect(Math.abs(s.end_s - (ref.segments[i]?.end_s ?? NaN))).toBeLessThan(0.1)
    })
  })

  it.each(['silence.wav', 'noise.wav'])('finds no speech in %s', async (file) => {
    const { probs, result } = await detect(file)
    expect(result).toEqual({ speech: false, speech_ratio: 0, segments: [] })
    expect(Math.max(...probs)).toBeLessThan(0.2)
  })
})
