import { Errors, InferdError } from '../../errors/index.js'
import { recordsToFeatures, type TabularSpec } from '../processors/tabular.js'
import type { InputStage } from '../stages.js'
import { itemsOf, utf8Text } from './input-items.js'

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * A records field: JSON objects (one row each) turned into the feature matrix the model was
 * trained on, by the spec saved with it (processors/tabular.ts): scaling, one-hot, missing values.
 * In /v2 each BYTES element is one record as JSON text.
 */
export function recordInput (field: string, tensor: string, spec: TabularSpec): InputStage {
  return {
    name: field,
    kind: 'record',
    tensors: [tensor],
    describe: `a record {${spec.features.map((f) => f.name).join(', ')}}, or a list of them`,
    fromJson: (value) => itemsOf(field, value, isObject, 'a record (a JSON object)'),
    fromBytes (bytes) {
      const text = utf8Text(field, bytes)
      try {
        return JSON.parse(text) as unknown
      } catch (err) {
        throw new InferdError(Errors.TENSOR_DATA_INVALID, [field, `is not a JSON record: ${(err as Error).message}`])
      }
    },
    encode: async (items) => [{ ...recordsToFeatures(items, spec, field), name: tensor }],
  }
}
