import { describe, expect, it } from 'vitest'
import { classesStage } from '../pipeline/postprocess/classes.js'
import { tensorStage } from '../pipeline/postprocess/tensor-output.js'
import { valueStage } from '../pipeline/postprocess/value.js'
import { passthroughInput } from '../pipeline/preprocess/passthrough-input.js'
import { recordInput } from '../pipeline/preprocess/record-input.js'
import { tensorInput } from '../pipeline/preprocess/tensor-input.js'
import type { Tensor } from '../core/tensor.js'
import { createRowMapping } from './row-mapping.js'

/**
 * The mapping runs the pipeline's real stages: rows → fields go through the input stages'
 * own `fromJson`/`encode`, and answers come from the output stages' own `decode`, as the
 * engine's predict does.
 */

const SPEC = { features: [{ name: 'x', kind: 'numeric' as const }, { name: 'y', kind: 'numeric' as const }] }
const species = classesStage({ name: 'species', model: 'm', tensor: 'p', activation: 'none', topK: 2, labels: ['a', 'b', 'c'] })
const price = valueStage({ name: 'price', model: 'm', tensor: 'v', width: 1, unscale: { mean: 10, std: 2 } })
const embedding = tensorStage({ name: 'embedding', model: 'm', tensor: 'e', datatype: 'FP32', dims: [2] })

const probs: Tensor = { name: 'p', datatype: 'FP32', shape: [2, 3], data: Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.25, 0.25]) }
const values: Tensor = { name: 'v', datatype: 'FP32', shape: [2, 1], data: Float32Array.from([1, -0.5]) }
const emb: Tensor = { name: 'e', datatype: 'FP32', shape: [2, 2], data: Float32Array.from([0.5, 1.5, 2.5, 3.5]) }
const outputs = new Map([['p', probs], ['v', values], ['e', emb]])
const answer = (stages: typeof species[]) => Object.fromEntries(stages.map((s) => [s.name, s.decode(outputs, 2)]))

describe('row mapping', () => {
  it('gives a one-record pipeline each row as a record, which the record stage encodes', async () => {
    const input = recordInput('records', 'features', SPEC)
    const mapping = createRowMapping({ model: 'm', inputs: [input], outputs: [species] })
    const rows = [{ x: 1, y: 2, id: 'a' }, { x: 3, y: 4, id: 'b' }]
    const fields = mapping.toFields(rows)
    expect(fields).toEqual({ records: rows })
    const items = input.fromJson(fields.records)
    const [t] = await input.encode(items.items)
    expect(Array.from(t?.data as Float32Array)).toEqual([1, 2, 3, 4])
  })

  it('maps other models column by column: text cells as text, JSON lists in a cell as lists', () => {
    const mapping = createRowMapping({ model: 'm', inputs: [passthroughInput('text', 'text', 'string'), tensorInput('vec', 'FP32', [2])], outputs: [price] })
    const fields = mapping.toFields([{ text: 42, vec: '[1, 2]' }, { text: 'hello', vec: [3, 4] }])
    expect(fields).toEqual({ text: ['42', 'hello'], vec: [[1, 2], [3, 4]] })
    expect(passthroughInput('text', 'text', 'string').fromJson(fields.text).items).toEqual(['42', 'hello'])
  })

  it('writes row, kept columns, then predictions: label and score for classes, numbers as numbers, lists as JSON text', () => {
    const mapping = createRowMapping({ model: 'm', inputs: [recordInput('records', 'features', SPEC)], outputs: [species, price, embedding] }, { keep: ['id', 'absent'] })
    expect(mapping.columns).toEqual(['row', 'id', 'absent', 'species', 'species_score', 'price', 'embedding'])
    const rows = [{ x: 1, y: 2, id: 'a' }, { x: 3, y: 4, id: 'b' }]
    const out = mapping.toOutputRows([10, 11], rows, answer([species, price, embedding]))
    expect(out).toEqual([
      { row: 10, id: 'a', absent: null, species: 'b', species_score: expect.closeTo(0.7, 6), price: 12, embedding: '[0.5,1.5]' },
      { row: 11, id: 'b', absent: null, species: 'a', species_score: 0.5, price: 9, embedding: '[2.5,3.5]' },
    ])
    expect(out.map((r) => Object.keys(r))).toEqual([mapping.columns, mapping.columns])
  })

  it('refuses a kept column that would clash with a prediction column', () => {
    expect(() => createRowMapping({ model: 'm', inputs: [], outputs: [species] }, { keep: ['species_score'] })).toThrow(/column 'species_score' would appear twice/)
  })
})
