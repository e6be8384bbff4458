import { Errors, InferdError } from '../../errors/index.js'
import type { OutputStage } from '../stages.js'
import { rowsOf } from './output-tensor.js'
import { findSegments, type ResolvedSegmentsSpec } from './segments.js'

const utf8 = new TextEncoder()

/**
 * Per-frame probabilities of one audio item (a VAD's speech score) → `{ speech, speech_ratio,
 * segments: [{ start_s, end_s }] }` (postprocess/segments.ts). In /v2 the same answer as JSON text,
 * one BYTES element per item.
 */
export function segmentsStage (name: string, model: string, tensor: string, spec: ResolvedSegmentsSpec): OutputStage {
  const decode: OutputStage['decode'] = (outputs, n, facts) => {
    const hopSeconds = facts?.hopSeconds
    if (hopSeconds === undefined) throw new InferdError(Errors.BACKEND_FAILED, [model, `pipeline: output '${name}' needs the frame timing of an audio input`])
    const { values } = rowsOf(outputs, tensor, n, model)
    return [findSegments(values, { hopSeconds, ...(facts?.seconds === undefined ? {} : { seconds: facts.seconds }) }, spec)]
  }
  return {
    name,
    kind: 'segments',
    tensors: [tensor],
    datatype: 'BYTES',
    dims: [1],
    describe: '{ speech, speech_ratio, segments: [{ start_s, end_s }] }',
    decode,
    toTensor: (outputs, n, facts) => ({ name, datatype: 'BYTES', shape: [n, 1], data: decode(outputs, n, facts).map((v) => utf8.encode(JSON.stringify(v))) }),
  }
}
