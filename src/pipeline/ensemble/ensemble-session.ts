import type { Backend, DeclaredSignature, DeclaredTensor, ModelSession } from '../../backends/backend.js'
import { Errors, InferdError } from '../../errors/index.js'
import type { ModelConfig, TensorConfig } from '../../repository/model-config.js'
import { ENSEMBLE_PLATFORM } from './ensemble-config.js'

/**
 * How an ensemble passes through the repository, which expects every model version to have a
 * backend and a session: the `ensemble` backend gives it its name and platform (no model file:
 * the version folder, `1/`, may be empty), and the repository opens it with
 * {@link ensembleSession} instead of a file. Nothing ever runs on that session: the engine sends
 * an ensemble's requests to the ensemble executor, whose steps run on the step models' own
 * schedulers, and the scheduler registry prepares no scheduler for it.
 */
export const ENSEMBLE_BACKEND: Backend = Object.freeze({
  name: ENSEMBLE_PLATFORM,
  platform: ENSEMBLE_PLATFORM,
  defaultModelFilename: '',
  open (): Promise<ModelSession> {
    return Promise.reject(new InferdError(Errors.BACKEND_FEATURE_UNSUPPORTED, ['an ensemble has no model file to open: it is opened from its config']))
  },
})

/**
 * The session of an ensemble version: its signature is what its config declares (the config
 * checks made sure every input and output has data_type and dims), with the batch dimension in
 * front when the ensemble batches, as a model file would declare it.
 */
export function ensembleSession (config: ModelConfig): ModelSession {
  const batch = (config.max_batch_size ?? 0) > 0
  const declare = (t: TensorConfig): DeclaredTensor => ({
    name: t.name,
    datatype: t.data_type ?? 'BYTES',
    shape: t.dims === undefined ? undefined : batch ? [-1, ...t.dims] : [...t.dims],
  })
  const declared: DeclaredSignature = { inputs: (config.input ?? []).map(declare), outputs: (config.output ?? []).map(declare) }
  return {
    declared,
    run (): Promise<never> {
      return Promise.reject(new InferdError(Errors.INTERNAL, [`ensemble '${config.name ?? ''}' was sent to a scheduler; ensembles run through the ensemble executor`]))
    },
    close: () => Promise.resolve(),
  }
}
