import type { SessionOptions } from '../backends/backend.js'
import { DEFAULT_BACKEND, PLATFORM_BACKENDS } from '../config/constants.js'
import { Errors } from '../errors/codes.js'
import { InferdError } from '../errors/inferd-error.js'
import type { ModelConfig } from './model-config.js'

/**
 * What the repository needs from a config before the model is open: which backend opens it and
 * with which session options. (Completion against the model comes after opening.)
 */

/**
 * The backend a config asks for: `backend`, else the backend of `platform`, else onnxruntime.
 *
 * @throws InferdError MODEL_CONFIG_INVALID for a platform inferd does not serve, or a platform
 *   that disagrees with `backend`
 */
export function backendNameFor (modelName: string, config: ModelConfig): string {
  const fromPlatform = config.platform === undefined ? undefined : PLATFORM_BACKENDS[config.platform]
  if (config.platform !== undefined && fromPlatform === undefined && config.backend === undefined) {
    throw new InferdError(Errors.MODEL_CONFIG_INVALID, [modelName, `platform '${config.platform}' is not served (known platforms: ${Object.keys(PLATFORM_BACKENDS).join(', ')}); name a backend instead`])
  }
  if (config.backend !== undefined && fromPlatform !== undefined && fromPlatform !== config.backend) {
    throw new InferdError(Errors.MODEL_CONFIG_INVALID, [modelName, `platform '${String(config.platform)}' belongs to backend '${fromPlatform}', but backend is '${config.backend}'`])
  }
  return config.backend ?? fromPlatform ?? DEFAULT_BACKEND
}

// Triton's onnxruntime backend reads its thread counts from these model parameters.
const INTRA_OP_PARAMETER = 'intra_op_thread_count'
const INTER_OP_PARAMETER = 'inter_op_thread_count'

/**
 * Session options from the config, Triton's onnxruntime backend conventions:
 * - `optimization.graph.level`: -1 basic only, 1 up to extended, anything else all;
 * - execution providers: on a GPU instance the `gpu_execution_accelerator` names, then `cuda`,
 *   then the `cpu_execution_accelerator` names (the backend adds cpu last);
 * - `parameters.intra_op_thread_count` / `inter_op_thread_count`.
 *
 * @param gpu - whether the first instance group runs on a GPU
 * @throws InferdError MODEL_CONFIG_INVALID for a thread count that is not a whole number ≥ 0
 */
export function sessionOptionsFor (modelName: string, config: ModelConfig, gpu: boolean): SessionOptions {
  const level = config.optimization?.graph?.level
  const accelerators = config.optimization?.execution_accelerators
  const providers = [
    ...(gpu ? [...(accelerators?.gpu_execution_accelerator ?? []).map((a) => a.name), 'cuda'] : []),
    ...(accelerators?.cpu_execution_accelerator ?? []).map((a) => a.name),
  ]
  const intra = threadCount(modelName, config, INTRA_OP_PARAMETER)
  const inter = threadCount(modelName, config, INTER_OP_PARAMETER)
  return {
    ...(level === undefined ? {} : { graphOptimizationLevel: level === -1 ? 'basic' : level === 1 ? 'extended' : 'all' }),
    ...(providers.length === 0 ? {} : { executionProviders: providers }),
    ...(intra === undefined ? {} : { intraOpThreads: intra }),
    ...(inter === undefined ? {} : { interOpThreads: inter }),
  }
}

function threadCount (modelName: string, config: ModelConfig, key: string): number | undefined {
  const raw = config.parameters?.[key]
  if (raw === undefined) return undefined
  if (!/^[0-9]+$/.test(raw.trim())) {
    throw new InferdError(Errors.MODEL_CONFIG_INVALID, [modelName, `parameters.${key}: expected a whole number ≥ 0, got '${raw}'`])
  }
  return Number(raw.trim())
}
