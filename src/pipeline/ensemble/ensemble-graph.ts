import type { ConfigProblem } from '../../repository/config-problems.js'

/**
 * The data-flow graph of an ensemble: tensors are its edges, steps its nodes. An ensemble tensor
 * is either an ensemble input (the request brings it) or the output of exactly one step; a step
 * can start once every tensor it reads exists. The graph is valid when
 *
 *   - every tensor a step reads is an ensemble input or some step's output,
 *   - no tensor is produced twice, and no step produces an ensemble input,
 *   - every ensemble output is produced by a step,
 *   - the steps have no cycle (a step waiting, through others, for its own output).
 *
 * Steps are named in messages by their config path (`ensemble_scheduling.step[2]`) and model.
 */

/** The parts of an ensemble the graph is made of. */
export interface EnsembleGraphSpec {
  readonly inputs: readonly string[]
  readonly outputs: readonly string[]
  readonly steps: ReadonlyArray<{
    readonly model_name: string
    readonly input_map: Readonly<Record<string, string>>
    readonly output_map: Readonly<Record<string, string>>
  }>
}

const at = (i: number): string => `ensemble_scheduling.step[${i}]`

/** Where each tensor comes from: the index of the step producing it (ensemble inputs are absent). */
export function tensorProducers (spec: EnsembleGraphSpec): Map<string, number> {
  const producers = new Map<string, number>()
  spec.steps.forEach((s, i) => {
    for (const tensor of Object.values(s.output_map)) if (!producers.has(tensor)) producers.set(tensor, i)
  })
  return producers
}

/** Everything wrong with the graph (empty when it is valid), in config order. */
export function ensembleGraphProblems (spec: EnsembleGraphSpec): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  const inputs = new Set(spec.inputs)
  const producers = new Map<string, number>()
  spec.steps.forEach((s, i) => {
    for (const [output, tensor] of Object.entries(s.output_map)) {
      const path = `${at(i)}.output_map.${output}`
      const earlier = producers.get(tensor)
      if (inputs.has(tensor)) problems.push({ path, problem: `'${tensor}' is an input of the ensemble; a step cannot produce it` })
      else if (earlier !== undefined) problems.push({ path, problem: `tensor '${tensor}' is already produced by ${at(earlier)} (model '${spec.steps[earlier]?.model_name}'); each tensor has one producer` })
      else producers.set(tensor, i)
    }
  })
  spec.steps.forEach((s, i) => {
    for (const [input, tensor] of Object.entries(s.input_map)) {
      if (!inputs.has(tensor) && !producers.has(tensor)) {
        problems.push({ path: `${at(i)}.input_map.${input}`, problem: `tensor '${tensor}' is neither an input of the ensemble nor an output of any step` })
      }
    }
  })
  spec.outputs.forEach((name, i) => {
    if (!producers.has(name)) problems.push({ path: `output[${i}]`, problem: `ensemble output '${name}' is not produced by any step (no output_map maps to it)` })
  })
  const cycle = findCycle(spec, producers)
  if (cycle !== undefined) {
    const names = cycle.map((i) => `${at(i)} (model '${spec.steps[i]?.model_name}')`)
    problems.push({ path: 'ensemble_scheduling', problem: `steps wait for each other in a cycle: ${names.join(' → ')} → ${names[0]}` })
  }
  return problems
}

/**
 * A cycle of steps, each feeding the next, or undefined when there is none. Kahn's algorithm
 * removes the steps whose inputs can all be produced; every step left over waits for another
 * left-over step, so walking backwards along those waits must come round to a step seen before.
 */
function findCycle (spec: EnsembleGraphSpec, producers: ReadonlyMap<string, number>): number[] | undefined {
  const waitsFor = spec.steps.map((s) => new Set(Object.values(s.input_map).map((t) => producers.get(t)).filter((p): p is number => p !== undefined)))
  const left = new Set(spec.steps.keys())
  for (let progress = true; progress;) {
    progress = false
    for (const i of left) {
      if ([...(waitsFor[i] ?? [])].every((p) => !left.has(p))) {
        left.delete(i)
        progress = true
      }
    }
  }
  const start = left.values().next()
  if (start.done === true) return undefined
  const path: number[] = []
  let node = start.value
  while (!path.includes(node)) {
    path.push(node)
    node = [...(waitsFor[node] ?? [])].find((p) => left.has(p)) as number
  }
  // path ends in the cycle (from node on); reversed, each step feeds the next.
  return path.slice(path.indexOf(node)).reverse()
}
