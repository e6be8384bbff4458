import { basename, dirname } from 'node:path'
import type { ResourceLimits } from 'node:worker_threads'
import type { Backend, BackendLogger, ModelSession, SessionOptions } from '../backend.js'
import { type ConfigView, signatureFromConfig } from './declared-signature.js'
import type { HostData } from './messages.js'
import { TypescriptSession } from './typescript-session.js'

/**
 * Config parameter capping the module thread's V8 heap, in MiB (Node's
 * `resourceLimits.maxOldGenerationSizeMb`): a module that outgrows it ends its own thread, which
 * counts as a crash, instead of exhausting the server's memory. Unset: Node's default.
 */
export const HEAP_LIMIT_PARAMETER = 'max_old_generation_size_mb'

/**
 * The custom backend (Triton's Python backend, for JavaScript): a model is a module that exports
 * `initialize`, `execute` and `finalize` (the contract is in types.ts), run in a thread of its
 * own so that whatever it computes never blocks the server's event loop.
 *
 * ```yaml
 * backend: typescript
 * max_batch_size: 8
 * input:  [ { name: x, data_type: TYPE_FP32, dims: [4] } ]   # required: a module declares no signature
 * output: [ { name: y, data_type: TYPE_FP32, dims: [4] } ]   # required
 * parameters: { factor: "2" }                                   # handed to initialize as strings
 * ```
 *
 * The version folder holds `model.mjs`; `default_model_filename` names another file: `.js`
 * (ESM or CommonJS, by the nearest package.json, as Node decides), or `.ts`/`.mts` when the
 * `tsx` package is installed (it is a development dependency of inferd; without it, compile the
 * module to `.mjs`). The module's own imports resolve from its folder upwards, as for any file.
 */
export class TypescriptBackend implements Backend {
  readonly name = 'typescript'
  readonly platform = 'typescript'
  readonly defaultModelFilename = 'model.mjs'

  async open (path: string, options: SessionOptions, logger: BackendLogger): Promise<ModelSession> {
    const config = options.modelConfig as (ConfigView & Readonly<Record<string, unknown>>) | undefined
    const signature = signatureFromConfig(config)
    const versionDir = dirname(path)
    const modelDir = dirname(versionDir)
    const parameters = { ...(config?.parameters ?? {}) }
    const data: HostData = {
      modelName: basename(modelDir),
      version: basename(versionDir),
      modelDir,
      versionDir,
      modelFile: path,
      config: config ?? {},
      parameters,
      maxBatchSize: signature.maxBatchSize,
      inputs: signature.inputs,
      outputs: signature.outputs,
    }
    const resourceLimits = heapLimit(parameters[HEAP_LIMIT_PARAMETER])
    return TypescriptSession.open(data, {
      declared: signature.declared,
      logger,
      ...(resourceLimits === undefined ? {} : { resourceLimits }),
    })
  }
}

function heapLimit (raw: string | undefined): ResourceLimits | undefined {
  if (raw === undefined) return undefined
  if (!/^[1-9][0-9]*$/.test(raw.trim())) throw new Error(`parameters.${HEAP_LIMIT_PARAMETER}: expected a whole number of MiB ≥ 1, got '${raw}'`)
  return { maxOldGenerationSizeMb: Number(raw.trim()) }
}
