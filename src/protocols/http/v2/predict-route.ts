import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { cancelWhenClientGoes } from '../client-gone.js'
import type { Parameters } from '../../../core/inference.js'
import { Errors, InferdError } from '../../../errors/index.js'
import type { HttpContext } from '../context.js'
import { type JsonValue, parseJsonFast } from './json-text.js'
import { readParameters } from './request-parameters.js'

interface PredictParams { model: string; version?: string }

/**
 * Bodies taken as the raw data of a one-input model. Anything else is read as JSON, including
 * curl's default form type, so `curl -d '{"text": "..."}'` works without a header.
 */
const RAW_TYPE = /^(?:image\/|audio\/|text\/plain\b|application\/octet-stream\b)/i

/**
 * `POST /v2/models/{m}[/versions/{v}]/predict`, the friendly endpoint (an inferd extension):
 *
 *   {"image": "<base64>"}  {"text": "..."}  {"records": [{...}, ...]}   (fields from the model's pipeline)
 *   → {"model_name", "model_version", "label": {"label": "cat", "score": 0.97}, ...}
 *
 * A field holding a list predicts each item and answers with lists. A model with one input also
 * takes the raw file as the body (`curl --data-binary @cat.png -H 'Content-Type: image/png'`).
 * `id` and `parameters` (priority, timeout) work as in /v2 infer. Errors are the usual shape.
 */
export function predictRoutes (ctx: HttpContext) {
  const { engine, repository } = ctx
  const handler = async (req: FastifyRequest<{ Params: PredictParams }>, reply: FastifyReply): Promise<FastifyReply> => {
    const { model, version } = req.params
    repository.check(model, version)
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
    const cancellation = cancelWhenClientGoes(reply.raw)
    const type = req.headers['content-type'] ?? ''
    let fields: Record<string, unknown> | Uint8Array
    let id: string | undefined
    let parameters: Parameters | undefined
    // fetch() sends a string body as text/plain unless told otherwise: a body that is a JSON
    // object is read as fields whatever its type says, so such a request is not mistaken for raw text.
    if (!RAW_TYPE.test(type) || (/^text\/plain\b/i.test(type) && looksLikeJsonObject(body))) {
      const root = parseJsonFast(body.toString('utf8'))
      if (typeof root !== 'object' || root === null || Array.isArray(root)) {
        throw new InferdError(Errors.REQ_BODY_INVALID, ['the body must be a JSON object of fields, such as {"image": "<base64>"}'])
      }
      const { id: rawId, parameters: rawParams, ...rest } = root as Record<string, JsonValue>
      if (rawId !== undefined && typeof rawId !== 'string') throw new InferdError(Errors.REQ_BODY_INVALID, ["'id' must be a string"])
      id = rawId
      parameters = readParameters(rawParams, 'parameters', true)
      fields = rest
    } else {
      if (body.length === 0) throw new InferdError(Errors.REQ_BODY_INVALID, ['the body is empty'])
      fields = new Uint8Array(body.buffer, body.byteOffset, body.length)
    }
    const answer = await engine.predict({
      modelName: model,
      ...(version === undefined ? {} : { modelVersion: version }),
      ...(id === undefined ? {} : { id }),
      ...(parameters === undefined ? {} : { parameters }),
      fields,
    }, { signal: cancellation })
    return reply.type('application/json').send(JSON.stringify({
      model_name: answer.modelName,
      model_version: answer.modelVersion,
      ...(answer.id === undefined ? {} : { id: answer.id }),
      ...answer.fields,
    }))
  }
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/v2/models/:model/predict', handler)
    app.post('/v2/models/:model/versions/:version/predict', handler)
  }
}

function looksLikeJsonObject (body: Buffer): boolean {
  const text = body.toString('utf8').trim()
  if (!text.startsWith('{') || !text.endsWith('}')) return false
  try {
    const v: unknown = JSON.parse(text)
    return typeof v === 'object' && v !== null && !Array.isArray(v)
  } catch {
    return false
  }
}
