import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { cancelWhenClientGoes } from '../client-gone.js'
import { Errors } from '../../../errors/codes.js'
import { InferdError } from '../../../errors/inferd-error.js'
import type { HttpContext } from '../context.js'
import { modelMetadataV1, modelStatus } from './model-status.js'
import { decodePredictRequest } from './predict-request.js'
import { encodePredictResponse } from './predict-response.js'

interface V1Params { model: string; version?: string }

const EMPTY = Buffer.alloc(0)

/**
 * TF Serving / KServe v1 REST compatibility, over the same engine as v2 (so the same validation,
 * scheduler, statistics and error registry):
 *
 *   POST /v1/models/{m}[/versions/{v}]:predict     row ("instances") or columnar ("inputs") format
 *   GET  /v1/models/{m}[/versions/{v}]             model status (TF) + name/ready (KServe)
 *   GET  /v1/models/{m}[/versions/{v}]/metadata    signature as TF's GetModelMetadataResponse
 *   GET  /v1/models                                KServe's model list
 *
 * The verb is glued to the last path segment with a colon (`iris:predict`). fastify's router
 * reads a colon as the start of a parameter, and an escaped one (`::`) does not end the
 * parameter before it, so the segment is taken whole and split at its last colon here. Only
 * `predict` exists: `:classify`, `:regress` and `:explain` answer 404 like any unknown route.
 *
 * Errors are the server's usual `{"error": "<message>", "code", "requestId"}` with the registry's
 * status: TF Serving's error shape is `{"error": "<message>"}`, which this contains.
 */
export function v1Routes (ctx: HttpContext) {
  const { engine, repository } = ctx
  const predict = async (req: FastifyRequest<{ Params: V1Params }>, reply: FastifyReply): Promise<FastifyReply> => {
    const { model, version } = splitVerb(req)
    const target = version === undefined ? { modelName: model } : { modelName: model, modelVersion: version }
    const cancellation = cancelWhenClientGoes(reply.raw)
    // Decoding needs the signature (v1 bodies carry no datatypes), so a model that is loading is
    // waited for here, as v2 does for raw binary bodies; unknown models fail at once.
    await repository.whenReady(model, version, { waitMs: ctx.config.modelLoadWaitMs, signal: cancellation })
    const served = repository.get(model, version)
    const { request, format } = decodePredictRequest(Buffer.isBuffer(req.body) ? req.body : EMPTY, target, served.signature)
    const response = await engine.infer(request, { signal: cancellation })
    return reply.type('application/json').send(encodePredictResponse(response, format))
  }
  return async (app: FastifyInstance): Promise<void> => {
    app.post<{ Params: V1Params }>('/v1/models/:model', predict)
    app.post<{ Params: V1Params }>('/v1/models/:model/versions/:version', predict)
    app.get('/v1/models', async () => ({
      models: [...new Set(repository.list().filter((e) => e.state === 'READY').map((e) => e.name))],
    }))
    app.get<{ Params: V1Params }>('/v1/models/:model', async (req) => modelStatus(repository, req.params.model))
    app.get<{ Params: V1Params }>('/v1/models/:model/versions/:version', async (req) => modelStatus(repository, req.params.model, req.params.version))
    app.get<{ Params: V1Params }>('/v1/models/:model/metadata', async (req) => modelMetadataV1(repository.get(req.params.model)))
    app.get<{ Params: V1Params }>('/v1/models/:model/versions/:version/metadata', async (req) => modelMetadataV1(repository.get(req.params.model, req.params.version)))
  }
}

/** `iris:predict` (or, with a version, `3:predict`) → the model, version and the verb checked. */
function splitVerb (req: FastifyRequest<{ Params: V1Params }>): { model: string; version?: string } {
  const { model, version } = req.params
  const last = version ?? model
  const colon = last.lastIndexOf(':')
  if (colon < 0 || last.slice(colon + 1) !== 'predict') throw new InferdError(Errors.ROUTE_NOT_FOUND, [req.method, req.url.split('?')[0]])
  const head = last.slice(0, colon)
  return version === undefined ? { model: head } : { model, version: head }
}
