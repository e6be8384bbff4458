import { describe, expect, it } from 'vitest'
import { configProblem } from '../../../test/helpers/catch-inferd-error.js'
import { parseModelConfig } from '../../repository/model-config.js'
import { ensembleSession } from './ensemble-session.js'

const where = { modelName: 'ens', file: 'models/ens/config.yaml' }

const VALID = `
platform: ensemble
max_batch_size: 8
input:
  - { name: A, data_type: TYPE_FP32, dims: [16] }
  - { name: B, data_type: TYPE_FP32, dims: [16] }
output:
  - { name: RESULT, data_type: TYPE_FP32, dims: [16] }
ensemble_scheduling:
  step:
    - model_name: double
      input_map: { x: A }
      output_map: { y: A2 }
    - model_name: add_sub
      model_version: "2"
      input_map: { INPUT0: A2, INPUT1: B }
      output_map: { OUTPUT0: RESULT }
`

/** VALID with one line replaced (or more appended). */
function variant (from: string, to: string): string {
  if (!VALID.includes(from)) throw new Error(`not in VALID: ${from}`)
  return VALID.replace(from, to)
}

function problemOf (text: string): string {
  return configProblem(() => parseModelConfig(text, where))
}

describe('ensemble config', () => {
  it('parses Triton ensemble_scheduling and fills in the defaults', () => {
    const config = parseModelConfig(VALID, where)
    expect(config.platform).toBe('ensemble')
    expect(config.ensemble_scheduling).toEqual({
      step: [
        { model_name: 'double', model_version: -1, input_map: { x: 'A' }, output_map: { y: 'A2' } },
        { model_name: 'add_sub', model_version: 2, input_map: { INPUT0: 'A2', INPUT1: 'B' }, output_map: { OUTPUT0: 'RESULT' } },
      ],
    })
  })

  it('declares the session signature from the config, batch dimension in front', () => {
    const session = ensembleSession(parseModelConfig(VALID, where))
    expect(session.declared.inputs).toEqual([
      { name: 'A', datatype: 'FP32', shape: [-1, 16] },
      { name: 'B', datatype: 'FP32', shape: [-1, 16] },
    ])
    expect(session.declared.outputs).toEqual([{ name: 'RESULT', datatype: 'FP32', shape: [-1, 16] }])
  })

  it('refuses platform ensemble without ensemble_scheduling', () => {
    expect(problemOf('platform: ensemble\ninput: [{ name: A, data_type: TYPE_FP32, dims: [1] }]\n')).toContain('ensemble_scheduling: an ensemble needs ensemble_scheduling')
  })

  it('refuses ensemble_scheduling on another platform', () => {
    expect(problemOf(variant('platform: ensemble', 'platform: onnxruntime_onnx'))).toContain("platform: ensemble_scheduling needs platform: ensemble (got 'onnxruntime_onnx')")
  })

  it('refuses a step that runs its own ensemble', () => {
    expect(problemOf(variant('model_name: double', 'model_name: ens'))).toContain("ensemble_scheduling.step[0].model_name: 'ens' is this ensemble")
  })

  it('refuses inputs and outputs without data_type or dims', () => {
    expect(problemOf(variant('{ name: B, data_type: TYPE_FP32, dims: [16] }', '{ name: B, data_type: TYPE_FP32 }'))).toContain("input[1]: 'B' needs data_type and dims")
    expect(problemOf(variant('{ name: RESULT, data_type: TYPE_FP32, dims: [16] }', '{ name: RESULT, dims: [16] }'))).toContain("output[0]: 'RESULT' needs data_type and dims")
  })

  it('refuses dynamic_batching and model_warmup on an ensemble', () => {
    expect(problemOf(`${VALID}dynamic_batching: {}\n`)).toContain('dynamic_batching: an ensemble has ensemble_scheduling instead')
    expect(problemOf(`${VALID}model_warmup: [{ name: w, inputs: { A: { data_type: TYPE_FP32, dims: [16], zero_data: true } } }]\n`))
      .toContain('model_warmup: an ensemble cannot be warmed up itself')
  })

  it('refuses a version that is not one, and a step without input_map or output_map', () => {
    expect(problemOf(variant('model_version: "2"', 'model_version: 0'))).toContain('ensemble_scheduling.step[1].model_version: 0 is not a version')
    expect(problemOf(variant('      output_map: { y: A2 }\n', ''))).toContain("ensemble_scheduling.step[0].output_map: step model 'double' needs an output_map")
  })

  it('reports graph problems with the step and tensor', () => {
    expect(problemOf(variant('input_map: { INPUT0: A2, INPUT1: B }', 'input_map: { INPUT0: A2, INPUT1: C }')))
      .toContain("ensemble_scheduling.step[1].input_map.INPUT1: tensor 'C' is neither an input of the ensemble nor an output of any step")
  })

  it('refuses unknown step fields by name', () => {
    expect(problemOf(variant('model_name: double', 'model_name: double\n      model_namespace: x'))).toContain('ensemble_scheduling.step[0].model_namespace')
  })
})
