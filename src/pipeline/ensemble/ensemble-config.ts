import { type Static, Type } from '@sinclair/typebox'
import type { ConfigProblem } from '../../repository/config-problems.js'
import { ensembleGraphProblems } from './ensemble-graph.js'

/**
 * Triton's ensemble models, as config.yaml writes them (model_config.proto `ModelEnsembling`,
 * the `ensemble_scheduling` choice of ModelConfig):
 *
 *   platform: ensemble
 *   input:  [ { name: IMAGE, data_type: TYPE_STRING, dims: [1] } ]
 *   output: [ { name: TEXT, data_type: TYPE_STRING, dims: [-1] } ]
 *   ensemble_scheduling:
 *     step:
 *       - model_name: ocr_det
 *         model_version: -1              # the step model's latest ready version
 *         input_map:  { x: IMAGE }       # step model input  ← ensemble tensor
 *         output_map: { y: det_map }     # step model output → ensemble tensor
 *
 * An ensemble has no model file, so its inputs and outputs must be declared in full. What is
 * checked here, at load, is the ensemble on its own (the step models may load later, or change):
 * the graph of tensors (see ensemble-graph.ts), the fields an ensemble cannot have, and that no
 * step names the ensemble itself. A step model that is missing fails requests, naming the step.
 */

const closed = { additionalProperties: false } as const

const TensorMap = Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }), {
  expected: 'a map of tensor names to tensor names',
})

export const EnsembleStepSchema = Type.Object({
  model_name: Type.String({ minLength: 1 }),
  /** -1 (the default): the latest ready version. Triton's JSON writes int64 as a string; both are taken. */
  model_version: Type.Optional(Type.Union([Type.Integer(), Type.String({ pattern: '^-?[0-9]+$' })], { expected: 'a version number, or -1 for the latest' })),
  /** Step model input name → ensemble tensor name. */
  input_map: Type.Optional(TensorMap),
  /** Step model output name → ensemble tensor name. */
  output_map: Type.Optional(TensorMap),
}, closed)

export const EnsembleSchedulingSchema = Type.Object({
  step: Type.Array(EnsembleStepSchema, { minItems: 1 }),
}, closed)

export type EnsembleSchedulingFile = Static<typeof EnsembleSchedulingSchema>

/** One step after normalisation: every field present. */
export interface EnsembleStep {
  readonly model_name: string
  /** -1: the step model's latest ready version; otherwise that version. */
  readonly model_version: number
  /** Step model input → ensemble tensor it is fed from. */
  readonly input_map: Readonly<Record<string, string>>
  /** Step model output → ensemble tensor it becomes. */
  readonly output_map: Readonly<Record<string, string>>
}

/** `ensemble_scheduling` after normalisation (the field name and shape are Triton's). */
export interface EnsembleScheduling {
  readonly step: readonly EnsembleStep[]
}

/** The platform (and backend) name of an ensemble, as Triton spells it. */
export const ENSEMBLE_PLATFORM = 'ensemble'

/** The part of a config file an ensemble's checks read. */
export interface EnsembleConfigFields {
  readonly platform?: string | undefined
  readonly backend?: string | undefined
  readonly ensemble_scheduling?: EnsembleSchedulingFile | undefined
  readonly input?: ReadonlyArray<{ name: string; data_type?: string | undefined; dims?: readonly number[] | undefined; reshape?: unknown }> | undefined
  readonly output?: ReadonlyArray<{ name: string; data_type?: string | undefined; dims?: readonly number[] | undefined; reshape?: unknown }> | undefined
  readonly dynamic_batching?: unknown
  readonly model_warmup?: readonly unknown[] | undefined
}

/**
 * Checks the ensemble parts of a config (problems are appended) and normalises
 * `ensemble_scheduling`. Returns undefined when the config has none.
 *
 * @param modelName - the ensemble's own name: a step naming it is refused
 */
export function normalizeEnsemble (raw: EnsembleConfigFields, modelName: string, problems: ConfigProblem[]): EnsembleScheduling | undefined {
  const scheduling = raw.ensemble_scheduling
  const isEnsemble = raw.platform === ENSEMBLE_PLATFORM || raw.backend === ENSEMBLE_PLATFORM
  if (scheduling === undefined) {
    if (isEnsemble) problems.push({ path: 'ensemble_scheduling', problem: 'an ensemble needs ensemble_scheduling with at least one step' })
    return undefined
  }
  if (raw.platform !== ENSEMBLE_PLATFORM) {
    problems.push({ path: 'platform', problem: `ensemble_scheduling needs platform: ${ENSEMBLE_PLATFORM}${raw.platform === undefined ? '' : ` (got '${raw.platform}')`}` })
  }
  if (raw.backend !== undefined && raw.backend !== ENSEMBLE_PLATFORM) {
    problems.push({ path: 'backend', problem: `an ensemble runs no backend of its own (got '${raw.backend}'); leave backend out` })
  }
  if (raw.dynamic_batching !== undefined) {
    problems.push({ path: 'dynamic_batching', problem: 'an ensemble has ensemble_scheduling instead (Triton allows one of the two); batch in the step models' })
  }
  if (raw.model_warmup !== undefined && raw.model_warmup.length > 0) {
    problems.push({ path: 'model_warmup', problem: 'an ensemble cannot be warmed up itself; warm up its step models' })
  }
  for (const kind of ['input', 'output'] as const) {
    const list = raw[kind] ?? []
    if (list.length === 0) problems.push({ path: kind, problem: `an ensemble has no model file to read its ${kind}s from: declare them (name, data_type, dims)` })
    list.forEach((t, i) => {
      if (t.data_type === undefined || t.dims === undefined) {
        problems.push({ path: `${kind}[${i}]`, problem: `'${t.name}' needs data_type and dims (an ensemble has no model file to read them from)` })
      }
      if (t.reshape !== undefined) problems.push({ path: `${kind}[${i}].reshape`, problem: 'an ensemble passes tensors on as they are; reshape in the step models' })
    })
  }
  const steps = scheduling.step.map((s, i): EnsembleStep => {
    const at = `ensemble_scheduling.step[${i}]`
    if (s.model_name === modelName) problems.push({ path: `${at}.model_name`, problem: `'${modelName}' is this ensemble: a step cannot run the ensemble it belongs to` })
    const version = s.model_version === undefined ? -1 : Number(s.model_version)
    if (!Number.isSafeInteger(version) || version === 0 || version < -1) {
      problems.push({ path: `${at}.model_version`, problem: `${String(s.model_version)} is not a version (a number from 1, or -1 for the latest)` })
    }
    for (const map of ['input_map', 'output_map'] as const) {
      if (Object.keys(s[map] ?? {}).length === 0) {
        problems.push({ path: `${at}.${map}`, problem: `step model '${s.model_name}' needs an ${map} (${map === 'input_map' ? 'its inputs ← ensemble tensors' : 'its outputs → ensemble tensors'})` })
      }
    }
    return { model_name: s.model_name, model_version: version, input_map: { ...s.input_map }, output_map: { ...s.output_map } }
  })
  problems.push(...ensembleGraphProblems({
    inputs: (raw.input ?? []).map((t) => t.name),
    outputs: (raw.output ?? []).map((t) => t.name),
    steps,
  }))
  return { step: steps }
}
