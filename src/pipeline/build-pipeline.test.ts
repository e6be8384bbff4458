import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ModelBuilder } from '../../scripts/onnx/builder.js'
import { TempRepo } from '../../test/helpers/temp-repo.js'
import { defaultBackends } from '../backends/registry.js'
import type { Tensor } from '../core/tensor.js'
import { ModelRepository, type ModelVersion, type RepositoryLogger } from '../repository/repository.js'
import type { RunModel } from './pipeline.js'
import { PipelineRegistry } from './pipeline-registry.js'

/**
 * Pipelines built from config.yaml when a version loads, through a real ModelRepository and real
 * onnxruntime sessions: a bad `pipeline:` section keeps the version UNAVAILABLE with a reason that
 * names the problem; a good one predicts through the model (chunked by max_batch_size).
 */

/** x → Identity → y, `datatype` [batch, width] (or [width] without a batch dimension). */
function identity (datatype: 'FP32' | 'INT64', width: number, batched = true): Uint8Array {
  const shape = batched ? ['batch', width] : [width]
  return new ModelBuilder().input('features', datatype, shape).output('scores', datatype, shape).node('Identity', ['features'], ['scores']).toBytes()
}

/** Two inputs, one FP32 and one STRING (BYTES), each passed through. */
function mixed (): Uint8Array {
  return new ModelBuilder()
    .input('features', 'FP32', ['batch', 2]).input('names', 'BYTES', ['batch', 1])
    .output('scores', 'FP32', ['batch', 2]).output('names_out', 'BYTES', ['batch', 1])
    .node('Identity', ['features'], ['scores']).node('Identity', ['names'], ['names_out'])
    .toBytes()
}

/** A token-id model's signature (input_ids INT64 [batch, seq] → same). */
function tokens (): Uint8Array {
  return new ModelBuilder().input('input_ids', 'INT64', ['batch', 'seq']).output('ids', 'INT64', ['batch', 'seq']).node('Identity', ['input_ids'], ['ids']).toBytes()
}

const RECORD = 'record: { features: [ { name: a, kind: numeric }, { name: b, kind: numeric } ] }'
const RECORDS_IN = `  inputs:\n    - { name: records, kind: record, tensor: features, ${RECORD} }\n`
const CLASSES_OUT = '  outputs:\n    - { name: animal, kind: classes, tensor: scores, labels: labels.txt }\n'

/** A config for the FP32 identity model with the given pipeline body (YAML, indented 2). */
const config = (pipeline: string, head = 'max_batch_size: 8\n'): string => `${head}pipeline:\n${pipeline}`

const MODELS: Record<string, { onnx: Uint8Array; config: string; files?: Record<string, string> }> = {
  // Good ones
  good: {
    onnx: identity('FP32', 2),
    config: config(`${RECORDS_IN}  outputs:\n    - { name: animal, kind: classes, tensor: scores, labels: labels.txt, top_k: 2 }\n`, 'max_batch_size: 2\n'),
    files: { 'labels.txt': 'cat\ndog\n' },
  },
  roundtrip: {
    onnx: identity('FP32', 1),
    config: config(
      '  inputs:\n    - { name: records, kind: record, tensor: features, record: { features: [ { name: price, kind: numeric, scale: { mean: 10, std: 2 } } ] } }\n' +
      '  outputs:\n    - { name: price, kind: value, tensor: scores, unscale: { mean: 10, std: 2 } }\n'),
  },
  unbatched: {
    onnx: identity('FP32', 2, false),
    config: config(`${RECORDS_IN}${CLASSES_OUT}`, 'max_batch_size: 0\n'),
    files: { 'labels.txt': 'cat\ndog\n' },
  },
  labelled_default: {
    onnx: identity('FP32', 2),
    config: 'max_batch_size: 4\noutput: [{ name: scores, label_filename: labels.txt }]\n',
    files: { 'labels.txt': 'cat\ndog\n' },
  },
  // Bad ones: the reason must name the problem
  unknown_input_tensor: { onnx: identity('FP32', 2), config: config(`  inputs:\n    - { name: records, kind: record, tensor: nope, ${RECORD} }\n${CLASSES_OUT}`) },
  missing_tensor: { onnx: identity('FP32', 2), config: config(`  inputs:\n    - { name: records, kind: record, ${RECORD} }\n${CLASSES_OUT}`) },
  unknown_output_tensor: { onnx: identity('FP32', 2), config: config(`${RECORDS_IN}  outputs:\n    - { name: animal, kind: classes, tensor: probs }\n`) },
  record_on_int64: { onnx: identity('INT64', 2), config: config(`${RECORDS_IN}  outputs:\n    - { name: raw, kind: tensor, tensor: scores }\n`) },
  classes_on_bytes: {
    onnx: mixed(),
    config: config(`${RECORDS_IN}    - { name: who, kind: string, tensor: names }\n  outputs:\n    - { name: animal, kind: classes, tensor: names_out }\n`),
  },
  value_on_bytes: {
    onnx: mixed(),
    config: config(`${RECORDS_IN}    - { name: who, kind: string, tensor: names }\n  outputs:\n    - { name: amount, kind: value, tensor: names_out }\n`),
  },
  string_on_fp32: {
    onnx: mixed(),
    config: config('  inputs:\n    - { name: who, kind: string, tensor: features }\n    - { name: more, kind: string, tensor: names }\n  outputs:\n    - { name: raw, kind: tensor, tensor: scores }\n'),
  },
  uncovered_input: { onnx: mixed(), config: config(`${RECORDS_IN}  outputs:\n    - { name: raw, kind: tensor, tensor: scores }\n`) },
  reserved_output: { onnx: identity('FP32', 2), config: config(`${RECORDS_IN}  outputs:\n    - { name: model_name, kind: classes, tensor: scores }\n`) },
  reserved_input: { onnx: identity('FP32', 2), config: config(`  inputs:\n    - { name: parameters, kind: record, tensor: features, ${RECORD} }\n${CLASSES_OUT}`) },
  named_like_model_input: { onnx: identity('FP32', 2), config: config(`  inputs:\n    - { name: features, kind: record, tensor: features, ${RECORD} }\n${CLASSES_OUT}`) },
  duplicate_name: { onnx: identity('FP32', 2), config: config(`${RECORDS_IN}  outputs:\n    - { name: records, kind: tensor, tensor: scores }\n`) },
  missing_labels: { onnx: identity('FP32', 2), config: config(`${RECORDS_IN}  outputs:\n    - { name: animal, kind: classes, tensor: scores, labels: nope.txt }\n`) },
  labels_outside: { onnx: identity('FP32', 2), config: config(`${RECORDS_IN}  outputs:\n    - { name: animal, kind: classes, tensor: scores, labels: ../good/labels.txt }\n`) },
  labels_absolute: { onnx: identity('FP32', 2), config: config(`${RECORDS_IN}  outputs:\n    - { name: animal, kind: classes, tensor: scores, labels: /etc/hostname }\n`) },
  tokenizer_outside: {
    onnx: tokens(),
    config: config('  inputs:\n    - { name: text, kind: text, text: { tokenizer: ../tokenizer.json, max_length: 8 } }\n  outputs:\n    - { name: raw, kind: tensor, tensor: ids }\n'),
  },
  text_with_tensor: {
    onnx: tokens(),
    config: config('  inputs:\n    - { name: text, kind: text, tensor: input_ids, text: { max_length: 8 } }\n  outputs:\n    - { name: raw, kind: tensor, tensor: ids }\n'),
  },
  foreign_setting: { onnx: identity('FP32', 2), config: config(`  inputs:\n    - { name: records, kind: record, tensor: features, image: { width: 2 }, ${RECORD} }\n${CLASSES_OUT}`) },
  unscale_on_classes: { onnx: identity('FP32', 2), config: config(`${RECORDS_IN}  outputs:\n    - { name: animal, kind: classes, tensor: scores, unscale: { mean: 0, std: 1 } }\n`) },
  unscale_reversed: { onnx: identity('FP32', 2), config: config(`${RECORDS_IN}  outputs:\n    - { name: amount, kind: value, tensor: scores, unscale: { min: 5, max: 1 } }\n`) },
  bad_record_spec: { onnx: identity('FP32', 2), config: config(`  inputs:\n    - { name: records, kind: record, tensor: features, record: { features: [] } }\n${CLASSES_OUT}`) },
  unknown_kind: { onnx: identity('FP32', 2), config: config(`  inputs:\n    - { name: clip, kind: video, tensor: features }\n${CLASSES_OUT}`) },
  bad_top_k: { onnx: identity('FP32', 2), config: config(`${RECORDS_IN}  outputs:\n    - { name: animal, kind: classes, tensor: scores, top_k: 0 }\n`) },
}

const silent: RepositoryLogger = { debug () {}, info () {}, warn () {}, error () {} }

let temp: TempRepo
let repo: ModelRepository
const pipelines = new PipelineRegistry()
const reasons = new Map<string, { state: string; reason: string }>()

beforeAll(async () => {
  temp = await TempRepo.create()
  for (const [name, m] of Object.entries(MODELS)) {
    await temp.put(`${name}/1/model.onnx`, m.onnx)
    await temp.put(`${name}/config.yaml`, m.config)
    for (const [file, text] of Object.entries(m.files ?? {})) await temp.put(`${name}/${file}`, text)
  }
  const backends = defaultBackends()
  repo = new ModelRepository({ root: temp.root, backends: (n) => backends.get(n), defaultMaxBatchSize: 8, logger: silent, hooks: pipelines })
  await repo.loadAll()
  for (const row of repo.list()) reasons.set(row.name, row)
})
afterAll(async () => {
  await repo?.close()
  await temp?.dispose()
})

/** Runs the model's own session: the real onnxruntime path without a scheduler. Counts calls and their rows. */
function runner (model: ModelVersion): RunModel & { calls: number[] } {
  const calls: number[] = []
  const run = async (inputs: Tensor[], outputNames: readonly string[]): Promise<Tensor[]> => {
    calls.push(inputs[0]?.shape[0] ?? 0)
    return model.session.run(inputs, outputNames)
  }
  return Object.assign(run, { calls })
}

describe('pipelines that load', () => {
  it('are READY and predict through the model: records → features → classes with labels', async () => {
    expect(reasons.get('good')).toMatchObject({ state: 'READY' })
    const model = repo.get('good')
    const pipeline = pipelines.configured(model)
    expect(pipeline?.inputs.map((s) => [s.name, s.kind, s.tensors])).toEqual([['records', 'record', ['features']]])
    expect(pipeline?.outputs.map((s) => [s.name, s.kind, s.datatype, s.dims])).toEqual([['animal', 'classes', 'BYTES', [2]]])
    const run = runner(model)
    const records = [{ a: 0.9, b: 0.1 }, { a: 0.2, b: 0.8 }, { a: 0.6, b: 0.4 }, { a: 0, b: 1 }, { a: 0.3, b: 0.7 }]
    const answer = await pipeline?.predict({ records }, run)
    expect(answer?.items).toBe(5)
    const labels = (answer?.fields.animal as Array<{ label: string; score: number }>)
    expect(labels.map((v) => v.label)).toEqual(['cat', 'dog', 'cat', 'dog', 'dog'])
    expect(labels.map((v) => v.score)).toEqual([0.9, 0.8, 0.6, 1, 0.7].map((x) => expect.closeTo(x, 6)))
    // max_batch_size 2: five items take three model calls of 2, 2 and 1 rows.
    expect([...run.calls].sort()).toEqual([1, 2, 2])
  })

  it('a single record answers a single value; the /v2 face answers a tensor', async () => {
    const model = repo.get('good')
    const pipeline = pipelines.configured(model)
    const one = await pipeline?.predict({ records: { a: 0.3, b: 0.7 } }, runner(model))
    expect(one?.fields.animal).toMatchObject({ label: 'dog', top_k: [{ label: 'dog', index: 1 }, { label: 'cat', index: 0 }] })
    const enc = new TextEncoder()
    const outputs = await pipeline?.infer({
      modelName: 'good',
      inputs: [{ name: 'records', datatype: 'BYTES', shape: [3], data: [{ a: 1, b: 0 }, { a: 0, b: 1 }, { a: 0.5, b: 0.25 }].map((r) => enc.encode(JSON.stringify(r))) }],
    }, runner(model))
    expect(outputs).toHaveLength(1)
    expect(outputs?.[0]).toMatchObject({ name: 'animal', datatype: 'BYTES', shape: [3, 2] })
    const strings = (outputs?.[0]?.data as Uint8Array[]).map((b) => new TextDecoder().decode(b))
    expect(strings.filter((_, i) => i % 2 === 0).map((s) => s.split(':').slice(1).join(':'))).toEqual(['0:cat', '1:dog', '0:cat'])
  })

  it('record scaling and value unscaling with the same statistics give the input back', async () => {
    const model = repo.get('roundtrip')
    const answer = await pipelines.configured(model)?.predict({ records: [{ price: 12.5 }, { price: -3 }] }, runner(model))
    expect(answer?.fields.price).toEqual([expect.closeTo(12.5, 4), expect.closeTo(-3, 4)])
  })

  it('a model without a batch dimension runs one item per call', async () => {
    expect(reasons.get('unbatched')).toMatchObject({ state: 'READY' })
    const model = repo.get('unbatched')
    const run = runner(model)
    const answer = await pipelines.configured(model)?.predict({ records: [{ a: 1, b: 2 }, { a: 3, b: 1 }, { a: 0, b: 0.5 }] }, run)
    expect((answer?.fields.animal as Array<{ label: string }>).map((v) => v.label)).toEqual(['dog', 'cat', 'dog'])
    // Each call gets the item without a leading item dimension: [2], whose first dim is the width.
    expect(run.calls).toEqual([2, 2, 2])
  })

  it('a model with no pipeline section gets a default face: its tensors in, labelled classes out', async () => {
    const model = repo.get('labelled_default')
    expect(pipelines.configured(model)).toBeUndefined()
    const face = pipelines.friendly(model)
    expect(face).toBe(pipelines.friendly(model))
    expect(face.inputs.map((s) => [s.name, s.kind])).toEqual([['features', 'tensor']])
    expect(face.outputs.map((s) => [s.name, s.kind])).toEqual([['scores', 'classes']])
    const single = await face.predict({ features: [0.2, 0.8] }, runner(model))
    expect(single.fields.scores).toEqual({ label: 'dog', score: expect.closeTo(0.8, 6) })
    const list = await face.predict({ features: [[0.7, 0.3], [0.1, 0.9]] }, runner(model))
    expect((list.fields.scores as Array<{ label: string }>).map((v) => v.label)).toEqual(['cat', 'dog'])
  })
})

describe('a bad pipeline section keeps the version UNAVAILABLE, the reason naming the problem', () => {
  const cases: Array<[string, RegExp]> = [
    ['unknown_input_tensor', /pipeline: input 'records': the model has no input 'nope' \(inputs: features\)/],
    ['missing_tensor', /input 'records' \(record\) needs 'tensor'/],
    ['unknown_output_tensor', /output 'animal': the model has no output 'probs' \(outputs: scores\)/],
    ['record_on_int64', /record stages make FP32, the model's 'features' is INT64/],
    ['classes_on_bytes', /output 'animal': 'names_out' is BYTES, classes need numbers/],
    ['value_on_bytes', /output 'amount': 'names_out' is BYTES/],
    ['string_on_fp32', /input 'who': string stages fill a BYTES input, the model's 'features' is FP32/],
    ['uncovered_input', /no input stage fills the model's input 'names'/],
    ['reserved_output', /'model_name' is reserved/],
    ['reserved_input', /'parameters' is reserved/],
    ['named_like_model_input', /input 'features' has the name of a model input/],
    ['duplicate_name', /the name 'records' is used twice/],
    ['missing_labels', /labels: 'nope\.txt' not found/],
    ['labels_outside', /'\.\.\/good\/labels\.txt' is outside the model folder/],
    ['labels_absolute', /'\/etc\/hostname' is outside the model folder/],
    ['tokenizer_outside', /tokenizer.*\.\.\/tokenizer\.json/],
    ['text_with_tensor', /a text stage names its tensors in 'text:'/],
    ['foreign_setting', /'records': 'image' does not apply to kind record/],
    ['unscale_on_classes', /'animal': 'unscale' does not apply to kind classes/],
    ['unscale_reversed', /unscale needs max > min/],
    ['bad_record_spec', /tabular preprocessing: 'features' is empty/],
    ['unknown_kind', /kind.*one of image, text, audio, record/],
    ['bad_top_k', /top_k/],
  ]
  it.each(cases)('%s', (name, reason) => {
    const row = reasons.get(name)
    expect(row?.state, JSON.stringify(row)).toBe('UNAVAILABLE')
    expect(row?.reason).toMatch(reason)
    expect(row?.reason).toMatch(new RegExp(`^model '${name}'|${name}`))
    expect(() => repo.get(name)).toThrow()
  })

  it('every bad model above is covered by a case', () => {
    const bad = Object.keys(MODELS).filter((n) => reasons.get(n)?.state !== 'READY')
    expect(bad.sort()).toEqual(cases.map(([n]) => n).sort())
  })
})
