import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Errors, InferdError } from '../../../errors/index.js'
import { createModelControl, type RepositoryParameter } from '../../model-control.js'
import type { HttpContext } from '../context.js'
import { type JsonValue, parseJsonFast } from './json-text.js'
import { describe } from './tensor-json-read.js'

interface ModelParams { model: string }

/**
 * Triton's model repository extension over REST (semantics in src/protocols/model-control.ts):
 *
 *   POST /v2/repository/index                  {"ready": bool}?            → [{name, version?, state, reason}]
 *   POST /v2/repository/models/{m}/load        {"parameters": {"config": "<json>"}}?   → {}
 *   POST /v2/repository/models/{m}/unload      {"parameters": {"unload_dependents": bool}}? → {}
 *
 * Bodies are optional (an empty body is `{}`). Load and unload answer once the operation is
 * done: a load once the model is READY (or failed, with the reason), an unload once its requests
 * have drained and its sessions closed.
 *
 * SECURITY: these are management endpoints. Anyone who can reach the HTTP port can load, reload
 * and unload models (explicit mode) and list the repository. Until authentication arrives (a
 * later issue), keep the port on loopback (the default host) or behind a proxy that restricts
 * `/v2/repository/*`; the default model control mode (`none`) refuses load and unload.
 */
export function repositoryRoutes (ctx: HttpContext) {
  const control = createModelControl(ctx.config, ctx.repository)
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/v2/repository/index', async (req) => {
      const body = readBody(req)
      const ready = body.ready
      if (ready !== undefined && typeof ready !== 'boolean') throw invalid(`'ready' must be true or false, got ${describe(ready)}`)
      return await control.index(ready === true)
    })
    app.post<{ Params: ModelParams }>('/v2/repository/models/:model/load', async (req) => {
      await control.load(req.params.model, readParameters(readBody(req)))
      return {}
    })
    app.post<{ Params: ModelParams }>('/v2/repository/models/:model/unload', async (req) => {
      await control.unload(req.params.model, readParameters(readBody(req)))
      return {}
    })
  }
}

function readBody (req: FastifyRequest): { [key: string]: JsonValue } {
  const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : ''
  if (raw.trim() === '') return {}
  const value = parseJsonFast(raw)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`the body must be a JSON object, got ${describe(value)}`)
  return value
}

function readParameters (body: { [key: string]: JsonValue }): Record<string, RepositoryParameter> {
  const params = body.parameters
  if (params === undefined || params === null) return {}
  if (typeof params !== 'object' || Array.isArray(params)) throw invalid(`'parameters' must be an object, got ${describe(params)}`)
  const out: Record<string, RepositoryParameter> = {}
  for (const [key, value] of Object.entries(params)) {
    if (typeof value === 'object' && value !== null) {
      throw new InferdError(Errors.PARAMETER_INVALID, [key, `must be a string, number or boolean, got ${describe(value)}`])
    }
    if (value !== null) out[key] = value
  }
  return out
}

function invalid (why: string): InferdError {
  return new InferdError(Errors.REQ_BODY_INVALID, [why])
}
