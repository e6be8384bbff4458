import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { cancelWhenClientGoes } from '../client-gone.js'
import type { InferenceRequest } from '../../../core/inference.js'
import type { HttpContext } from '../context.js'
import { decodeInferRequest } from './decode-request.js'
import { encodeInferResponse } from './encode-response.js'
import { INFERENCE_HEADER_CONTENT_LENGTH, parseInferenceHeaderLength } from './inference-header.js'
import { decodeRawBinaryRequest } from './raw-binary-request.js'

interface InferParams { model: string; version?: string }

const EMPTY = Buffer.alloc(0)

/**
 * `POST /v2/models/{m}[/versions/{v}]/infer`: decode (JSON, binary extension, or raw binary),
 * run through the engine (which validates against the model's signature), encode.
 */
export function inferRoutes (ctx: HttpContext) {
  const { engine, repository } = ctx
  const handler = async (req: FastifyRequest<{ Params: InferParams }>, reply: FastifyReply): Promise<FastifyReply> => {
    const { model, version } = req.params
    const target = version === undefined ? { modelName: model } : { modelName: model, modelVersion: version }
    const body = Buffer.isBuffer(req.body) ? req.body : EMPTY
    // The model first: an unknown or unavailable model says more than any complaint about the body.
    // A model that is loading passes here; the engine waits for it (up to the request's timeout).
    repository.check(model, version)
    const cancellation = cancelWhenClientGoes(reply.raw)
    const headerLength = parseInferenceHeaderLength(req.headers[INFERENCE_HEADER_CONTENT_LENGTH])
    let request: InferenceRequest
    if (headerLength === 0) {
      // Raw binary needs the signature to decode, so the wait happens here (bounded by the default
      // wait: the request's own timeout parameter is inside the body, not decoded yet).
      await repository.whenReady(model, version, { waitMs: ctx.config.modelLoadWaitMs, signal: cancellation })
      request = decodeRawBinaryRequest(body, target, repository.get(model, version).signature)
    } else {
      request = decodeInferRequest(body, headerLength, target)
    }
    const response = await engine.infer(request, { signal: cancellation })
    const encoded = encodeInferResponse(response, request)
    if (typeof encoded === 'string') return reply.type('application/json').send(encoded)
    return reply
      .header(INFERENCE_HEADER_CONTENT_LENGTH, encoded.headerLength)
      .type('application/octet-stream')
      .send(Buffer.concat([Buffer.from(encoded.header, 'utf8'), ...encoded.body]))
  }
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/v2/models/:model/infer', handler)
    app.post('/v2/models/:model/versions/:version/infer', handler)
  }
}
