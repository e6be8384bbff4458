import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Errors, httpStatusOf, InferdError, toInferdError } from '../../errors/index.js'
import type { Logger } from '../../observability/logger.js'

/**
 * Every failure leaves the HTTP adapter here, in the protocol's error shape
 * `{"error": "<message>"}` plus inferd's stable `code` and the `requestId`. Fastify's own errors
 * (body too large, bad content length) are translated into the registry first, so clients see
 * one vocabulary. Retryable errors carry Retry-After.
 */
export function installErrorHandling (app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const e = fromFastify(err, app.initialConfig.bodyLimit ?? 0)
    const status = httpStatusOf(e)
    if (status >= 500 && e.canonical !== 'UNAVAILABLE') logger.error({ reqId: req.id, err, code: e.code }, e.message)
    else logger.debug({ reqId: req.id, code: e.code }, e.message)
    if (e.retryable) void reply.header('retry-after', '1')
    return reply.code(status).type('application/json').send({ error: e.message, code: e.code, requestId: req.id })
  })
  app.setNotFoundHandler((req, reply) => {
    const e = new InferdError(Errors.ROUTE_NOT_FOUND, [req.method, req.url.split('?')[0]])
    return reply.code(404).type('application/json').send({ error: e.message, code: e.code, requestId: req.id })
  })
}

function fromFastify (err: FastifyError, bodyLimit: number): InferdError {
  if (err instanceof InferdError) return err
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new InferdError(Errors.REQ_BODY_TOO_LARGE, [bodyLimit], { cause: err })
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new InferdError(Errors.REQ_BODY_INVALID, [err.message], { cause: err })
  }
  // Fastify marks client mistakes (aborted or malformed bodies) with a 4xx statusCode.
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new InferdError(Errors.REQ_BODY_INVALID, [err.message], { cause: err })
  }
  return toInferdError(err, Errors.INTERNAL)
}
