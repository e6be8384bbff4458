import type { Tensor } from '../../core/tensor.js'
import { Errors } from '../../errors/codes.js'
import { InferdError } from '../../errors/inferd-error.js'
import type { OutputStage } from '../stages.js'
import { type CtcResult, type CtcVocabulary, decodeCtc } from './ctc.js'
import { rowsOf } from './output-tensor.js'

const utf8 = new TextEncoder()

export interface CtcStageOptions {
  readonly name: string
  readonly model: string
  readonly tensor: string
  /** Built when the model loads: ctcVocabulary(labels, validateCtcSpec(c.ctc), model, classCount). */
  readonly vocabulary: CtcVocabulary
  /** `softmax` when the output holds logits (only the confidence changes). Default none. */
  readonly activation?: 'none' | 'softmax'
}

/**
 * Post-processing for CTC sequence models (text recognisers, speech to characters): each item's
 * `[T, C]` block of a `[n, T, C]` output read as text by greedy decoding (ctc.ts). The answer is
 * `{ text, confidence }` per item; in /v2, a BYTES tensor `[n]` of the texts.
 */
export function ctcStage (o: CtcStageOptions): OutputStage {
  const read = (outputs: ReadonlyMap<string, Tensor>, n: number): CtcResult[] => {
    const { values } = rowsOf(outputs, o.tensor, n, o.model)
    const shape = (outputs.get(o.tensor) as Tensor).shape
    if (shape.length !== 3 || shape[0] !== n) {
      throw new InferdError(Errors.BACKEND_FAILED, [o.model, `pipeline: output '${o.tensor}' of shape [${shape.join(',')}] is not [${n}, T, C]`])
    }
    return decodeCtc(values, shape, o.vocabulary, o.activation === undefined ? {} : { activation: o.activation })
  }
  return {
    name: o.name,
    kind: 'ctc',
    tensors: [o.tensor],
    datatype: 'BYTES',
    dims: [],
    describe: '{ text, confidence }',
    decode (outputs, n) {
      return read(outputs, n)
    },
    toTensor (outputs, n) {
      return { name: o.name, datatype: 'BYTES', shape: [n], data: read(outputs, n).map((r) => utf8.encode(r.text)) }
    },
  }
}
