import type { FastifyInstance } from 'fastify'
import { SERVER_NAME, VERSION } from '../../version.js'
import { EXTENSIONS } from '../extensions.js'
import type { HttpContext } from './context.js'
import { isServerReady } from '../readiness.js'

/**
 * Liveness, readiness and server metadata. Liveness is true as long as the process answers;
 * readiness needs the start-up loads done, no shutdown under way, and (strict readiness, Triton's
 * default) every model version READY (or deliberately not loaded). Not ready answers 503 so any probe treats it as failure.
 */
export function healthRoutes (ctx: HttpContext) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/v2/health/live', async () => ({ live: true }))
    app.get('/v2/health/ready', async (_req, reply) => {
      const ready = isServerReady(ctx)
      return reply.code(ready ? 200 : 503).send({ ready })
    })
    app.get('/v2', async () => ({ name: SERVER_NAME, version: VERSION, extensions: EXTENSIONS }))
  }
}
