import type { JobsService } from '../../batch/jobs/jobs-service.js'
import type { ServerConfig } from '../../config/schema.js'
import type { Logger } from '../../observability/logger.js'
import type { Statistics } from '../../observability/statistics.js'
import type { InferenceEngine } from '../../pipeline/inference-engine.js'
import type { ModelRepository } from '../../repository/repository.js'

/** What the HTTP adapter needs from the rest of the server. */
export interface HttpContext {
  readonly config: ServerConfig
  readonly logger: Logger
  readonly repository: ModelRepository
  readonly engine: InferenceEngine
  /** Per model version statistics (the statistics extension). */
  readonly statistics: Statistics
  /** Batch jobs (`/v2/jobs`); absent: the routes answer JOBS_DISABLED. */
  readonly jobs?: JobsService
  /** Shared lifecycle flags, written by the server. */
  readonly state: { started: boolean; closing: boolean }
}
