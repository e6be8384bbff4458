import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ModelStatsJson } from '../../../observability/statistics.js'
import type { HttpContext } from '../context.js'

interface StatsParams { model?: string; version?: string }

/**
 * The statistics extension: `GET /v2/models[/{m}[/versions/{v}]]/stats` →
 * `{"model_stats": [$model_stat, …]}` (observability/statistics.ts has the semantics). Unknown
 * models and versions answer through the error registry (404), like every other route.
 *
 * `/v2/models/stats` is a static route: it wins over `/v2/models/{m}` in the router, so a model
 * named `stats` has no metadata route (Triton has the same ambiguity).
 */
export function statsRoutes (ctx: HttpContext) {
  const { statistics } = ctx
  return async (app: FastifyInstance): Promise<void> => {
    const handler = async (req: FastifyRequest<{ Params: StatsParams }>): Promise<{ model_stats: ModelStatsJson[] }> => (
      { model_stats: statistics.modelStats(req.params.model, req.params.version) }
    )
    app.get<{ Params: StatsParams }>('/v2/models/stats', handler)
    app.get<{ Params: StatsParams }>('/v2/models/:model/stats', handler)
    app.get<{ Params: StatsParams }>('/v2/models/:model/versions/:version/stats', handler)
  }
}
