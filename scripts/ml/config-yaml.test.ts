import { describe, expect, it } from 'vitest'
import YAML from 'yaml'
import { configYaml } from './config-yaml.js'

describe('configYaml', () => {
  const config = {
    backend: 'onnxruntime',
    max_batch_size: 8,
    input: [{ name: 'features', data_type: 'TYPE_FP32', dims: [4] }],
    output: [{ name: 'y', data_type: 'TYPE_FP32', dims: [1] }],
    pipeline: {
      inputs: [{
        name: 'records',
        kind: 'record',
        tensor: 'features',
        record: {
          features: [
            { name: 'Speed IAS', kind: 'numeric', scale: { mean: 153.491, std: 0.1 + 0.2 }, missing: 'mean' },
            { name: 'answer', kind: 'categorical', categories: ['yes', 'null', '1.5', "O'Hare", 'US AIRWAYS*'], unknown: 'ignore' },
          ],
        },
      }],
      outputs: [{ name: 'mpg', kind: 'value', tensor: 'y', unscale: { mean: 23.4871, std: 7.99623 } }],
    },
  }

  it('reads back as the very object it was written from, numbers included', () => {
    const text = configYaml(['a model', 'second line'], config)
    expect(YAML.parse(text)).toEqual(config)
    expect(text.startsWith('# a model\n# second line\nbackend: onnxruntime\n')).toBe(true)
  })

  it('puts each input, output and feature on one line, and small mappings inline', () => {
    const lines = configYaml([], config).split('\n')
    expect(lines).toContain('  - { name: features, data_type: TYPE_FP32, dims: [ 4 ] }')
    expect(lines.filter((l) => l.trimStart().startsWith('- { name: ')).length).toBe(4)
    expect(lines).toContain('      unscale: { mean: 23.4871, std: 7.99623 }')
  })
})
