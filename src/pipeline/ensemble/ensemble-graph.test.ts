import { describe, expect, it } from 'vitest'
import { type EnsembleGraphSpec, ensembleGraphProblems, tensorProducers } from './ensemble-graph.js'

const step = (model_name: string, input_map: Record<string, string>, output_map: Record<string, string>): EnsembleGraphSpec['steps'][number] =>
  ({ model_name, input_map, output_map })

/** A → (double, add_sub) → combine: a diamond over tensors A, B. */
const diamond: EnsembleGraphSpec = {
  inputs: ['A', 'B'],
  outputs: ['RESULT', 'DIFF'],
  steps: [
    step('combine', { INPUT0: 'A2', INPUT1: 'S' }, { OUTPUT0: 'RESULT' }),
    step('double', { x: 'A' }, { y: 'A2' }),
    step('add_sub', { INPUT0: 'A', INPUT1: 'B' }, { OUTPUT0: 'S', OUTPUT1: 'DIFF' }),
  ],
}

describe('ensembleGraphProblems', () => {
  it('accepts a valid diamond, whatever the order of its steps', () => {
    expect(ensembleGraphProblems(diamond)).toEqual([])
    expect(tensorProducers(diamond)).toEqual(new Map([['RESULT', 0], ['A2', 1], ['S', 2], ['DIFF', 2]]))
  })

  it('accepts one ensemble tensor feeding several step inputs', () => {
    expect(ensembleGraphProblems({ inputs: ['X'], outputs: ['Y'], steps: [step('add', { a: 'X', b: 'X' }, { c: 'Y' })] })).toEqual([])
  })

  it('refuses a step input that nothing produces', () => {
    const problems = ensembleGraphProblems({ ...diamond, steps: [...diamond.steps.slice(1), step('combine', { INPUT0: 'A3', INPUT1: 'S' }, { OUTPUT0: 'RESULT' })] })
    expect(problems).toEqual([{
      path: 'ensemble_scheduling.step[2].input_map.INPUT0',
      problem: "tensor 'A3' is neither an input of the ensemble nor an output of any step",
    }])
  })

  it('refuses a tensor produced twice, naming both steps', () => {
    const problems = ensembleGraphProblems({ ...diamond, steps: [...diamond.steps, step('other', { x: 'B' }, { y: 'S' })] })
    expect(problems).toEqual([{
      path: 'ensemble_scheduling.step[3].output_map.y',
      problem: "tensor 'S' is already produced by ensemble_scheduling.step[2] (model 'add_sub'); each tensor has one producer",
    }])
  })

  it('refuses a step that produces an ensemble input', () => {
    const problems = ensembleGraphProblems({ inputs: ['X'], outputs: ['Y'], steps: [step('m', { a: 'X' }, { b: 'Y', c: 'X' })] })
    expect(problems).toEqual([{ path: 'ensemble_scheduling.step[0].output_map.c', problem: "'X' is an input of the ensemble; a step cannot produce it" }])
  })

  it('refuses an ensemble output no step produces', () => {
    const problems = ensembleGraphProblems({ ...diamond, outputs: ['RESULT', 'MISSING'] })
    expect(problems).toEqual([{ path: 'output[1]', problem: "ensemble output 'MISSING' is not produced by any step (no output_map maps to it)" }])
  })

  it('refuses a cycle and names its steps in the order they feed each other', () => {
    const problems = ensembleGraphProblems({
      inputs: ['X'],
      outputs: ['Z'],
      steps: [
        step('first', { a: 'X', b: 'T3' }, { c: 'T1' }),
        step('second', { a: 'T1' }, { c: 'T2' }),
        step('third', { a: 'T2' }, { c: 'T3', d: 'Z' }),
      ],
    })
    expect(problems).toHaveLength(1)
    expect(problems[0]?.path).toBe('ensemble_scheduling')
    // Whichever step the message starts from, each one feeds the next, and the last feeds the first.
    const order = [...(problems[0]?.problem ?? '').matchAll(/step\[(\d)\]/g)].map((m) => Number(m[1]))
    expect(order).toHaveLength(4)
    expect(order[3]).toBe(order[0])
    for (let k = 0; k < 3; k++) expect(order[k + 1]).toBe(((order[k] as number) + 1) % 3)
  })

  it('refuses a step that reads its own output', () => {
    const problems = ensembleGraphProblems({ inputs: ['X'], outputs: ['Y'], steps: [step('loop', { a: 'X', b: 'Y' }, { c: 'Y' })] })
    expect(problems).toEqual([{
      path: 'ensemble_scheduling',
      problem: "steps wait for each other in a cycle: ensemble_scheduling.step[0] (model 'loop') → ensemble_scheduling.step[0] (model 'loop')",
    }])
  })
})
