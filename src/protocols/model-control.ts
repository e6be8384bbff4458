import type { ServerConfig } from '../config/schema.js'
import { Errors, InferdError } from '../errors/index.js'
import { parseConfigOverride } from '../repository/config-override.js'
import type { ModelRepository, RepositoryIndexEntry } from '../repository/repository.js'

/** A load/unload request parameter as the protocols carry it (REST JSON, gRPC ModelRepositoryParameter). */
export type RepositoryParameter = string | number | boolean | bigint | Uint8Array

export type RepositoryParameters = Readonly<Record<string, RepositoryParameter>>

/**
 * Triton's model repository extension, protocol-neutral: REST (`/v2/repository/...`) and gRPC
 * (RepositoryIndex, RepositoryModelLoad, RepositoryModelUnload) both go through here, so they
 * accept the same parameters and fail with the same errors.
 *
 * - index: every mode. Rescans, so models added to the folder since start-up are listed.
 * - load / unload: explicit mode only, as in Triton ("explicit model load / unload is not
 *   allowed" otherwise): in `none` the set of models is fixed at start-up, and in `poll` the
 *   folder is the source of truth, which an API call would contradict until the next poll.
 *   Refused with MODEL_CONTROL_DISABLED (FAILED_PRECONDITION, HTTP 409): retrying cannot help,
 *   so Triton's UNAVAILABLE would mislead clients into retrying.
 * - load parameters: `config` (a JSON model config used instead of config.yaml, see
 *   parseConfigOverride). Triton's `file:<version>/<name>` parameters (model files in the
 *   request) are refused as unsupported; any other parameter is refused, so a misspelt
 *   `config` never loads the file's config silently.
 * - unload parameters: `unload_dependents` (boolean) is accepted; inferd has no ensembles yet,
 *   so a model has no dependents and it changes nothing.
 */
export interface ModelControl {
  index (ready?: boolean): Promise<RepositoryIndexEntry[]>
  load (name: string, parameters?: RepositoryParameters): Promise<void>
  unload (name: string, parameters?: RepositoryParameters): Promise<void>
}

export function createModelControl (config: Pick<ServerConfig, 'modelControlMode'>, repository: ModelRepository): ModelControl {
  const requireExplicit = (): void => {
    if (config.modelControlMode !== 'explicit') throw new InferdError(Errors.MODEL_CONTROL_DISABLED, [config.modelControlMode])
  }
  return {
    index: (ready) => repository.index(ready === true ? { ready: true } : {}),
    async load (name, parameters = {}) {
      requireExplicit()
      let override
      for (const [key, value] of Object.entries(parameters)) {
        if (key === 'config') {
          if (typeof value !== 'string') throw parameterInvalid(key, 'must be a string holding the model configuration as JSON')
          override = parseConfigOverride(name, value)
        } else if (key.startsWith('file:')) {
          throw new InferdError(Errors.BACKEND_FEATURE_UNSUPPORTED, [`load parameter '${key}': model files sent in the load request are not supported; put them in the repository`])
        } else {
          throw parameterInvalid(key, "unknown load parameter (known: 'config')")
        }
      }
      await repository.load(name, override)
    },
    async unload (name, parameters = {}) {
      requireExplicit()
      for (const [key, value] of Object.entries(parameters)) {
        if (key !== 'unload_dependents') throw parameterInvalid(key, "unknown unload parameter (known: 'unload_dependents')")
        if (typeof value !== 'boolean') throw parameterInvalid(key, 'must be true or false')
      }
      await repository.unload(name)
    },
  }
}

function parameterInvalid (key: string, why: string): InferdError {
  return new InferdError(Errors.PARAMETER_INVALID, [key, why])
}
