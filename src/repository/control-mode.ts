import type { ServerConfig } from '../config/schema.js'
import { Errors } from '../errors/codes.js'
import { InferdError } from '../errors/inferd-error.js'
import type { ModelRepository } from './repository.js'

/** The part of the server config that says how models are controlled. */
export type ControlConfig = Pick<ServerConfig, 'modelControlMode' | 'loadModels' | 'repositoryPollSecs'>

/** `--load-model *`: every model of the repository (Triton's spelling). */
export const ALL_MODELS = '*'

/**
 * Checks the model control settings at createServer(), before anything listens.
 *
 * @throws InferdError CONFIG_INVALID when `loadModels` is given outside explicit mode (in the
 *   other modes every model loads anyway, and a user naming models must not believe they chose),
 *   or when `*` is mixed with names
 */
export function checkControlConfig (config: ControlConfig): void {
  if (config.loadModels.length === 0) return
  if (config.modelControlMode !== 'explicit') {
    throw new InferdError(Errors.CONFIG_INVALID, [`loadModels (--load-model) applies to modelControlMode 'explicit' only; in '${config.modelControlMode}' every model loads at start-up`])
  }
  if (config.loadModels.includes(ALL_MODELS) && config.loadModels.length > 1) {
    throw new InferdError(Errors.CONFIG_INVALID, [`loadModels: '${ALL_MODELS}' (all models) must be the only entry`])
  }
}

/**
 * The start-up loads of each mode (Triton's --model-control-mode):
 *
 * - `none`: every model loads; nothing changes afterwards.
 * - `poll`: every model loads, then the repository is polled every `repositoryPollSecs`.
 * - `explicit`: only the models named by `loadModels` load (`*`: all); the rest wait for the
 *   load API. A name the repository does not have stops start-up (a typo must not go unnoticed).
 *
 * Resolves when each model has been tried; a model that fails to load does not stop the others.
 *
 * @throws InferdError CONFIG_INVALID for an unknown model in loadModels; what loadAll throws
 */
export async function loadAtStart (repository: ModelRepository, config: ControlConfig): Promise<void> {
  if (config.modelControlMode !== 'explicit') {
    await repository.loadAll()
    if (config.modelControlMode === 'poll') repository.startPolling(config.repositoryPollSecs * 1000)
    return
  }
  if (config.loadModels.length === 0) return
  if (config.loadModels.includes(ALL_MODELS)) {
    await repository.loadAll()
    return
  }
  const known = new Set(await repository.scan())
  const unknown = config.loadModels.filter((name) => !known.has(name))
  if (unknown.length > 0) {
    throw new InferdError(Errors.CONFIG_INVALID, [`loadModels: ${unknown.map((n) => `'${n}'`).join(', ')} not in the repository (models: ${[...known].join(', ') || 'none'})`])
  }
  await repository.loadAll(config.loadModels)
}
