import type { Tensor } from '../../core/tensor.js'
import { decodeBase64 } from '../processors/base64.js'
import { type AudioSpec, preprocessAudio } from '../processors/audio.js'
import type { ItemRunner } from '../pipeline.js'
import { type ResolvedSequence, runFrames } from '../sequence-run.js'
import type { InputStage } from '../stages.js'
import { itemsOf } from './input-items.js'

/**
 * An audio field: a WAV file, base64 in JSON or the file's bytes in /v2 or as a raw body.
 * Files differ in length, so each runs on its own (the {@link ItemRunner}): whole, or frame by
 * frame through a stateful model (`sequence:`), state carried from each frame to the next.
 */
export function audioInput (field: string, tensor: string, spec: AudioSpec, sequence: ResolvedSequence | undefined): { stage: InputStage; runner: ItemRunner } {
  const stage: InputStage = {
    name: field,
    kind: 'audio',
    tensors: sequence === undefined ? [tensor] : [tensor, ...sequence.states.map((s) => s.input), ...sequence.constants.map((c) => c.name)],
    describe: `a WAV file as base64 (${spec.sample_rate} Hz${spec.resample === false || spec.resample === undefined ? '' : ', other rates are converted'}), or a list of them`,
    fromJson (value) {
      const { items, listed } = itemsOf(field, value, (v) => typeof v === 'string', 'a base64 WAV file')
      return { items: items.map((s) => decodeBase64(s as string, field)), listed }
    },
    fromBytes: (bytes) => bytes,
    encode: async () => { throw new Error('audio items run one at a time (ItemRunner)') },
  }
  const runner: ItemRunner = async (item, run, outputNames) => {
    const audio = preprocessAudio(item.get(field) as Uint8Array, spec, field)
    const facts = { seconds: audio.seconds, hopSeconds: audio.hopSeconds }
    let results: Tensor[]
    if (sequence === undefined) {
      results = await run([{ ...audio.tensor, name: tensor }], outputNames)
      return { outputs: new Map(results.map((t, i) => [outputNames[i] ?? t.name, t])), facts }
    }
    const wanted = new Set(outputNames)
    const frames = await runFrames(audio.tensor, sequence, (inputs) => run(inputs, [...sequence.outputs, ...sequence.states.map((s) => s.output)]))
    // Stacked per frame as [frames, ...]; one item, so an item dimension goes in front.
    return { outputs: new Map(frames.filter((t) => wanted.has(t.name)).map((t) => [t.name, { ...t, shape: [1, ...t.shape] }])), facts }
  }
  return { stage, runner }
}
