import type { FastifyInstance } from 'fastify'
import { InferdError } from '../../../errors/index.js'
import { modelMetadata, tritonModelConfig } from '../../model-metadata.js'
import type { HttpContext } from '../context.js'

interface ModelParams { model: string; version?: string }

/** Per-model metadata, readiness and configuration, with and without `/versions/{v}`. */
export function modelRoutes (ctx: HttpContext) {
  const { repository, engine } = ctx
  return async (app: FastifyInstance): Promise<void> => {
    for (const prefix of ['/v2/models/:model', '/v2/models/:model/versions/:version']) {
      app.get<{ Params: ModelParams }>(prefix, async (req) => {
        return modelMetadata(repository, repository.get(req.params.model, req.params.version), engine.pipelines)
      })
      app.get<{ Params: ModelParams }>(`${prefix}/ready`, async (req, reply) => {
        const { model, version } = req.params
        try {
          repository.get(model, version)
          return { name: model, ready: true }
        } catch (err) {
          // Known but not ready is an answer (false), not a failure; unknown models stay 404.
          if (err instanceof InferdError && err.code === 'INFERD_ERR_MODEL_NOT_READY') return reply.code(503).send({ name: model, ready: false })
          throw err
        }
      })
      app.get<{ Params: ModelParams }>(`${prefix}/config`, async (req) => {
        return tritonModelConfig(repository.get(req.params.model, req.params.version))
      })
    }
  }
}
