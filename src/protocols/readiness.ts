import type { ServerConfig } from '../config/schema.js'
import { countsAsReady } from '../repository/model-state.js'
import type { ModelRepository } from '../repository/repository.js'

/** What server readiness depends on. */
export interface ReadinessInputs {
  readonly config: Pick<ServerConfig, 'strictReadiness'>
  readonly repository: Pick<ModelRepository, 'list'>
  readonly state: { readonly started: boolean; readonly closing: boolean }
}

/**
 * Whether the server takes inference requests: the start-up loads are done, no shutdown is under
 * way, and (strict readiness, Triton's default) every model version counts as ready (READY, or
 * deliberately not loaded: see countsAsReady). REST /v2/health/ready, gRPC ServerReady and the
 * gRPC health service all answer by it (test/e2e/grpc.test.ts checks that they agree).
 */
export function isServerReady (ctx: ReadinessInputs): boolean {
  if (!ctx.state.started || ctx.state.closing) return false
  if (!ctx.config.strictReadiness) return true
  return ctx.repository.list().every(countsAsReady)
}
