import type { ServerConfig } from '../../config/schema.js'
import type { Logger } from '../../observability/logger.js'
import type { Statistics } from '../../observability/statistics.js'
import type { InferenceEngine } from '../../pipeline/inference-engine.js'
import type { ModelRepository } from '../../repository/repository.js'

/** What the gRPC adapter needs from the rest of the server (the same as the HTTP adapter's). */
export interface GrpcContext {
  readonly config: ServerConfig
  readonly logger: Logger
  readonly repository: ModelRepository
  readonly engine: InferenceEngine
  /** Per model version statistics (ModelStatistics). */
  readonly statistics: Statistics
  /** Shared lifecycle flags, written by the server. */
  readonly state: { readonly started: boolean; readonly closing: boolean }
}
