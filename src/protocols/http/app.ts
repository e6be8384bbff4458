import Fastify, { type FastifyInstance } from 'fastify'
import type { HttpContext } from './context.js'
import { installErrorHandling } from './error-handler.js'
import { healthRoutes } from './health.js'
import { modelRoutes } from './v2/model-routes.js'
import { inferRoutes } from './v2/infer-route.js'
import { jobsRoutes } from './v2/jobs-routes.js'
import { predictRoutes } from './v2/predict-route.js'
import { repositoryRoutes } from './v2/repository-routes.js'
import { statsRoutes } from './v2/stats-routes.js'
import { v1Routes } from './v1/routes.js'

let nextId = 0

/**
 * The HTTP/REST adapter: a fastify instance with the Open Inference Protocol routes.
 *
 * Bodies are taken raw (a Buffer, whatever the content type) and decoded by the protocol codec:
 * JSON needs exact 64-bit integers and the binary extension mixes JSON with bytes, neither of
 * which fastify's default JSON parser can do. fastify still enforces the body limit (413).
 * fastify gets no logger: with one, it times every response and hangs two listeners on it for its
 * request logging, and makes a child logger per request; at tens of thousands of requests a second
 * that cost more than the inference (CPU profile at 64 clients: ~2 µs a request). inferd does not
 * log requests; errors are logged by the error handler, through the server's logger.
 */
export function buildHttpApp (ctx: HttpContext): FastifyInstance {
  const app = Fastify({
    bodyLimit: ctx.config.maxRequestBytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => `req-${(++nextId).toString(36)}`,
    forceCloseConnections: false,
    // While closing, requests on connections already open are answered normally (see server.close).
    return503OnClosing: false,
  })
  app.removeAllContentTypeParsers()
  const raw = (_req: unknown, body: Buffer, done: (err: null, body: Buffer) => void): void => { done(null, body) }
  // The same parser under the types clients send as well as '*': fastify caches the parser of a
  // named type by its header, but looks the catch-all up again for every request, parsing the
  // Content-Type header each time (~1.3 µs a request in a CPU profile at 64 clients).
  app.addContentTypeParser(['application/json', 'application/octet-stream'], { parseAs: 'buffer' }, raw)
  app.addContentTypeParser('*', { parseAs: 'buffer' }, raw)
  // Synchronous on purpose: an async hook costs every response a promise and a tick.
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (ctx.state.closing) void reply.header('connection', 'close')
    done(null, payload)
  })
  installErrorHandling(app, ctx.logger)
  void app.register(healthRoutes(ctx))
  void app.register(modelRoutes(ctx))
  void app.register(inferRoutes(ctx))
  void app.register(predictRoutes(ctx))
  void app.register(repositoryRoutes(ctx))
  void app.register(statsRoutes(ctx))
  void app.register(jobsRoutes(ctx))
  void app.register(v1Routes(ctx))
  return app
}
