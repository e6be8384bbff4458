import type { DataType } from '../core/dtype.js'
import type { ModelSignature, TensorSpec } from '../core/signature.js'
import { allocData, elementCount, type Tensor } from '../core/tensor.js'
import { Errors } from '../errors/codes.js'
import { InferdError } from '../errors/inferd-error.js'

/**
 * The `sequence:` settings of a pipeline input whose model is stateful (Silero VAD, streaming
 * speech models): the input's frames go through the model one at a time, each frame's state
 * outputs feeding the next frame's state inputs.
 *
 * ```yaml
 * sequence:
 *   state: [ { input: state, output: stateN } ]   # starts as zeros
 *   constants: { sr: 16000 }                      # the same value every frame
 *   outputs: [ output ]                           # default: every output that is not a state
 * ```
 */
export interface SequenceSpec {
  readonly state: readonly SequenceStateSpec[]
  /** Model inputs given the same value at every frame: a number, or a list of numbers (rank 1, after the batch dimension of a batching model). */
  readonly constants?: Readonly<Record<string, number | readonly number[]>>
  /** Model outputs collected frame by frame. Default: every output that is not a state output. */
  readonly outputs?: readonly string[]
}

export interface SequenceStateSpec {
  /** The model input the state goes into. */
  readonly input: string
  /** The model output the next state comes from. */
  readonly output: string
  /**
   * The state's shape. Default: the input's declared dims with each variable dimension as 1
   * (one sequence), e.g. `[2, -1, 128]` → `[2, 1, 128]`.
   */
  readonly shape?: readonly number[]
}

/** A {@link SequenceSpec} checked against the model: everything `runFrames` needs. */
export interface ResolvedSequence {
  readonly model: string
  /** The model input each frame goes into, as `[1, width]`. */
  readonly frameInput: string
  readonly states: ReadonlyArray<{ readonly input: string; readonly output: string; readonly datatype: DataType; readonly shape: readonly number[] }>
  readonly constants: readonly Tensor[]
  readonly outputs: readonly string[]
}

const KEYS: ReadonlySet<string> = new Set(['state', 'constants', 'outputs'])
const STATE_KEYS: ReadonlySet<string> = new Set(['input', 'output', 'shape'])

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0

/**
 * Checks an untrusted value (parsed from config.yaml) against {@link SequenceSpec}; the names
 * are checked against the model by {@link resolveSequence}.
 *
 * @throws InferdError MODEL_CONFIG_INVALID naming the field and what is wrong with it.
 */
export function validateSequenceSpec (value: unknown, model: string): SequenceSpec {
  const fail = (what: string): never => { throw new InferdError(Errors.MODEL_CONFIG_INVALID, [model, `sequence: ${what}`]) }
  if (!isRecord(value)) return fail('must be a mapping')
  for (const key of Object.keys(value)) if (!KEYS.has(key)) fail(`unknown field '${key}'`)
  if (!Array.isArray(value.state) || value.state.length === 0) fail(`'state' must be a list of { input, output } (the model's state input and the output that updates it)`)
  for (const [i, s] of (value.state as unknown[]).entries()) {
    if (!isRecord(s)) return fail(`state ${i} must be a mapping { input, output }`)
    for (const key of Object.keys(s)) if (!STATE_KEYS.has(key)) fail(`state ${i}: unknown field '${key}'`)
    if (!isName(s.input) || !isName(s.output)) fail(`state ${i} needs 'input' and 'output' (tensor names)`)
    if (s.shape !== undefined && (!Array.isArray(s.shape) || !s.shape.every((d) => Number.isInteger(d) && (d as number) >= 1))) {
      fail(`state ${i}: 'shape' must be a list of positive integers`)
    }
  }
  if (value.constants !== undefined) {
    if (!isRecord(value.constants)) fail(`'constants' must map input names to values`)
    for (const [name, v] of Object.entries(value.constants as Record<string, unknown>)) {
      const ok = (typeof v === 'number' && Number.isFinite(v)) || (Array.isArray(v) && v.length > 0 && v.every((n) => typeof n === 'number' && Number.isFinite(n)))
      if (!ok) fail(`constant '${name}' must be a number or a non-empty list of numbers`)
    }
  }
  if (value.outputs !== undefined && (!Array.isArray(value.outputs) || value.outputs.length === 0 || !value.outputs.every(isName))) {
    fail(`'outputs' must be a non-empty list of output names`)
  }
  return value as unknown as SequenceSpec
}

/**
 * Checks a sequence spec against the model it runs (when the model loads) and prepares the
 * constant tensors and state shapes. Every required model input must be the frame input, a
 * state or a constant; states must come back as outputs of the same datatype.
 *
 * @param frameInput the model input the frames fill (the pipeline input's `tensor`)
 * @param frameWidth samples per frame row (context + frame), checked against the input's dims
 * @throws InferdError MODEL_CONFIG_INVALID naming the tensor and the problem.
 */
export function resolveSequence (spec: SequenceSpec, frameInput: string, frameWidth: number, signature: ModelSignature, model: string): ResolvedSequence {
  const fail = (what: string): never => { throw new InferdError(Errors.MODEL_CONFIG_INVALID, [model, `sequence: ${what}`]) }
  const inputs = new Map(signature.inputs.map((s) => [s.name, s]))
  const outputs = new Map(signature.outputs.map((s) => [s.name, s]))
  const batched = signature.maxBatchSize > 0
  const input = (name: string, role: string): TensorSpec =>
    inputs.get(name) ?? fail(`${role} '${name}' is not an input of the model (inputs: ${[...inputs.keys()].join(', ')})`)
  // The shape the model sees for one frame: a leading 1 is the batch of one when the model batches.
  const fullShape = (s: TensorSpec): readonly number[] => (batched ? [-1, ...s.dims] : s.dims)

  const frame = input(frameInput, 'the frame input')
  const frameDims = fullShape(frame)
  if (frame.datatype !== 'FP32') fail(`the frame input '${frameInput}' is ${frame.datatype}; audio frames are FP32`)
  if (frameDims.length !== 2 || !compatible(frameDims, [1, frameWidth])) {
    fail(`the frame input '${frameInput}' has shape [${frameDims.join(', ')}]; each frame is fed as [1, ${frameWidth}]`)
  }
  const used = new Set([frameInput])
  const claim = (name: string, role: string): TensorSpec => {
    if (used.has(name)) fail(`input '${name}' is used twice (as ${role} and before)`)
    used.add(name)
    return input(name, role)
  }

  const states = spec.state.map((s) => {
    const inSpec = claim(s.input, 'a state')
    const outSpec = outputs.get(s.output) ?? fail(`state output '${s.output}' is not an output of the model (outputs: ${[...outputs.keys()].join(', ')})`)
    if (outSpec.datatype !== inSpec.datatype) fail(`state '${s.input}' is ${inSpec.datatype} but its update '${s.output}' is ${outSpec.datatype}`)
    const declared = fullShape(inSpec)
    const shape = s.shape ?? declared.map((d) => (d === -1 ? 1 : d))
    if (!compatible(declared, shape)) fail(`state '${s.input}' has shape [${declared.join(', ')}]; [${shape.join(', ')}] does not fit it`)
    return { input: s.input, output: s.output, datatype: inSpec.datatype, shape }
  })

  const constants = Object.entries(spec.constants ?? {}).map(([name, value]): Tensor => {
    const c = claim(name, 'a constant')
    if (c.datatype === 'BYTES' || c.datatype === 'FP16' || c.datatype === 'BF16') fail(`constant '${name}': the model's input is ${c.datatype}, which a constant cannot fill`)
    const declared = fullShape(c)
    const values = typeof value === 'number' ? [value] : value
    const shape = typeof value === 'number' ? declared.map(() => 1) : [...(batched ? [1] : []), values.length]
    if (!compatible(declared, shape)) fail(`constant '${name}' of shape [${shape.join(', ')}] does not fit the input's shape [${declared.join(', ')}]`)
    const data = allocData(c.datatype, elementCount(shape))
    values.forEach((v, i) => {
      if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
        if (!Number.isInteger(v)) fail(`constant '${name}' must be a whole number for ${c.datatype}`)
        data[i] = BigInt(v)
      } else {
        (data as Exclude<typeof data, BigInt64Array | BigUint64Array | Uint8Array[]>)[i] = v
      }
    })
    return { name, datatype: c.datatype, shape, data }
  })

  for (const s of signature.inputs) {
    if (!used.has(s.name) && s.optional !== true) fail(`the model's input '${s.name}' is not the frame input, a state or a constant; add it under 'constants' or 'state'`)
  }
  const stateOutputs = new Set(states.map((s) => s.output))
  const collected = spec.outputs ?? signature.outputs.map((s) => s.name).filter((n) => !stateOutputs.has(n))
  for (const name of collected) {
    if (!outputs.has(name)) fail(`output '${name}' is not an output of the model (outputs: ${[...outputs.keys()].join(', ')})`)
    if (stateOutputs.has(name)) fail(`output '${name}' is a state; it is carried between frames, not collected`)
  }
  if (collected.length === 0) fail('the model has no output besides its states to collect')
  return { model, frameInput, states, constants, outputs: collected }
}

/** Whether a concrete shape fits declared dims (-1 matches any size). */
function compatible (declared: readonly number[], shape: readonly number[]): boolean {
  return declared.length === shape.length && declared.every((d, i) => d === -1 || d === shape[i])
}
