import { describe, expect, it } from 'vitest'
import { configProblem } from '../../test/helpers/catch-inferd-error.js'
import { parseModelConfig, validateModelConfig } from './model-config.js'

const where = { modelName: 'simple', file: 'models/simple/config.yaml' }

function problemOf (text: string): string {
  return configProblem(() => parseModelConfig(text, where))
}

describe('parseModelConfig', () => {
  it('parses a full Triton-style config', () => {
    const config = parseModelConfig(`
name: simple
backend: onnxruntime
max_batch_size: 8
version_policy: { latest: { num_versions: 2 } }
input:
  - { name: INPUT0, data_type: TYPE_FP32, dims: [16] }
  - { name: INPUT1, data_type: INT32, dims: [-1, 4], optional: true }
output:
  - { name: OUTPUT0, data_type: TYPE_STRING, dims: [16], label_filename: labels.txt }
instance_group: [{ count: 2, kind: KIND_CPU }]
dynamic_batching:
  preferred_batch_size: [4, 8]
  max_queue_delay_microseconds: 100
  priority_levels: 2
  default_priority_level: 2
  default_queue_policy: { timeout_action: DELAY, default_timeout_microseconds: 5000, allow_timeout_override: true, max_queue_size: 10 }
  priority_queue_policy:
    1: { max_queue_size: 3 }
optimization:
  graph: { level: 1 }
  execution_accelerators:
    cpu_execution_accelerator: [{ name: openvino, parameters: { threads: 2 } }]
parameters:
  intra_op_thread_count: { string_value: "1" }
  plain: 3
model_warmup:
  - name: zeros
    batch_size: 2
    inputs: { INPUT0: { data_type: TYPE_FP32, dims: [16], zero_data: true } }
`, where)
    expect(config.max_batch_size).toBe(8)
    expect(config.version_policy).toEqual({ latest: { num_versions: 2 } })
    expect(config.input?.map((i) => i.data_type)).toEqual(['FP32', 'INT32'])
    expect(config.input?.[1]?.optional).toBe(true)
    expect(config.output?.[0]).toEqual({ name: 'OUTPUT0', data_type: 'BYTES', dims: [16], label_filename: 'labels.txt' })
    expect(config.parameters).toEqual({ intra_op_thread_count: '1', plain: '3' })
    expect(config.optimization?.execution_accelerators?.cpu_execution_accelerator).toEqual([{ name: 'openvino', parameters: { threads: '2' } }])
    expect(config.dynamic_batching?.priority_queue_policy?.['1']).toEqual({ max_queue_size: 3 })
    expect(config.model_warmup?.[0]?.inputs['INPUT0']).toEqual({ data_type: 'FP32', dims: [16], zero_data: true })
  })

  it('reads an empty file as an empty config', () => {
    expect(parseModelConfig('', where)).toEqual({})
    expect(parseModelConfig('# only a comment\n', where)).toEqual({})
  })

  it('accepts the JSON form (the load API passes JSON)', () => {
    const config = parseModelConfig('{"name":"simple","max_batch_size":0,"version_policy":{"all":{}}}', where)
    expect(config).toEqual({ name: 'simple', max_batch_size: 0, version_policy: { all: {} } })
  })

  it('names the file, the field path and a suggestion for a misspelt field', () => {
    const message = problemOf('input:\n  - { name: x, data_typ: TYPE_FP32 }\n')
    expect(message).toContain('models/simple/config.yaml')
    expect(message).toContain("input[0].data_typ: unknown field 'data_typ' (did you mean 'data_type'?)")
  })

  it('refuses unknown top-level and nested fields', () => {
    expect(problemOf('max_batch: 4\n')).toContain("max_batch: unknown field 'max_batch' (did you mean 'max_batch_size'?)")
    expect(problemOf('dynamic_batching: { max_queue_delay_us: 5 }\n')).toContain("dynamic_batching.max_queue_delay_us: unknown field")
    expect(problemOf('sequence_batching: {}\n')).toContain("sequence_batching: unknown field 'sequence_batching'")
  })

  it('refuses wrong types with the path and the value', () => {
    expect(problemOf('max_batch_size: "eight"\n')).toContain('max_batch_size: expected integer, got "eight"')
    expect(problemOf('max_batch_size: 1.5\n')).toContain('max_batch_size: expected integer, got 1.5')
    expect(problemOf('max_batch_size: -1\n')).toContain('max_batch_size: expected integer to be greater or equal to 0')
    expect(problemOf('input: [{ name: x, dims: [2, x] }]\n')).toContain('input[0].dims[1]: expected integer, got "x"')
    expect(problemOf('instance_group: [{ kind: KIND_TPU }]\n')).toContain('instance_group[0].kind: expected one of KIND_AUTO, KIND_CPU, KIND_GPU, got "KIND_TPU"')
    expect(problemOf('input: [{ dims: [2] }]\n')).toContain('input[0].name: is required')
    expect(problemOf('- 1\n')).toContain('(top level): expected object')
  })

  it('accepts Triton and protocol datatype names and refuses others', () => {
    const config = parseModelConfig('input: [{ name: a, data_type: TYPE_BOOL }, { name: b, data_type: bf16 }, { name: c, data_type: STRING }]', where)
    expect(config.input?.map((i) => i.data_type)).toEqual(['BOOL', 'BF16', 'BYTES'])
    expect(problemOf('output: [{ name: y, data_type: FLOAT }]\n')).toContain("output[0].data_type: unknown datatype 'FLOAT'")
  })

  it('checks what the schema cannot', () => {
    expect(problemOf('name: other\n')).toContain("name: 'other' does not match the model folder 'simple'")
    expect(problemOf('input: [{ name: x, dims: [0] }]\n')).toContain('input[0].dims[0]: 0 is not a valid dimension')
    expect(problemOf('input: [{ name: x }, { name: x }]\n')).toContain("input[1].name: 'x' is listed twice")
    expect(problemOf('version_policy: { latest: {}, all: {} }\n')).toContain('version_policy: give exactly one of latest, all, specific')
    expect(problemOf('version_policy: {}\n')).toContain('(got none)')
    expect(problemOf('version_policy: { specific: { versions: [] } }\n')).toContain('version_policy.specific.versions')
    expect(problemOf('instance_group: [{ kind: KIND_CPU, gpus: [0] }]\n')).toContain('instance_group[0].gpus')
    expect(problemOf('input: [{ name: x, dims: [4], reshape: { shape: [3] } }]\n')).toContain('input[0].reshape.shape: [3] holds 3 elements')
    expect(problemOf('dynamic_batching: { priority_levels: 2 }\n')).toContain('default_priority_level: must be between 1 and priority_levels (2), got 0')
    expect(problemOf('dynamic_batching: { priority_levels: 1, default_priority_level: 1, priority_queue_policy: { 2: {} } }\n'))
      .toContain('dynamic_batching.priority_queue_policy[2]: level 2 is beyond priority_levels (1)')
    expect(problemOf('dynamic_batching: { priority_queue_policy: { high: {} } }\n')).toContain("unexpected key 'high'")
    expect(problemOf('model_warmup: [{ name: w, inputs: { x: { data_type: FP32, dims: [1] } } }]\n'))
      .toContain('model_warmup[0].inputs.x: give exactly one of zero_data: true, random_data: true, input_data_file')
  })

  it('reports YAML syntax errors with their position', () => {
    expect(problemOf('input: [\n  { name: x\n')).toMatch(/not valid YAML at line \d+, column \d+/)
    expect(problemOf('max_batch_size: 1\nmax_batch_size: 2\n')).toContain('not valid YAML')
  })

  it('reports a few problems at once, then counts the rest', () => {
    const message = problemOf('a: 1\nb: 2\nc: 3\nd: 4\n')
    expect(message).toContain("a: unknown field 'a'")
    expect(message).toContain('(and 1 more problem)')
  })

  it('validates values that were parsed elsewhere', () => {
    expect(validateModelConfig({ max_batch_size: 2 }, where)).toEqual({ max_batch_size: 2 })
    expect(() => validateModelConfig({ max_batch_size: '2' }, where)).toThrow(/max_batch_size: expected integer/)
  })
})
