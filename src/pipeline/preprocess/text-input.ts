import type { TextProcessor } from '../processors/text.js'
import type { InputStage } from '../stages.js'
import { itemsOf } from './input-items.js'

/**
 * A text field: a string in JSON, UTF-8 in /v2; tokenised by the model's tokenizer.json
 * (processors/text.ts) into the token tensors its spec names (input_ids, attention_mask, …).
 */
export function textInput (field: string, processor: TextProcessor, tensors: readonly string[]): InputStage {
  return {
    name: field,
    kind: 'text',
    tensors,
    describe: `text (up to ${processor.spec.max_length} tokens${processor.spec.truncation ? ', longer is cut' : ''}), or a list of texts`,
    fromJson: (value) => itemsOf(field, value, (v) => typeof v === 'string', 'text'),
    fromBytes: (bytes) => bytes,
    encode: async (items) => processor.encode(items as (string | Uint8Array)[], field),
  }
}
