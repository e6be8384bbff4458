import type { UntypedServiceImplementation } from '@grpc/grpc-js'
import { Errors, InferdError } from '../../errors/index.js'
import { createModelControl, type RepositoryParameter, type RepositoryParameters } from '../model-control.js'
import type { GrpcContext } from './context.js'
import type { ModelRefMessage, ModelRepositoryParameterMessage, RepositoryIndexRequestMessage, RepositoryModelRequestMessage } from './messages.js'
import { unary } from './unary.js'

/**
 * Triton's statistics and model-repository RPCs, over the same objects as the REST routes:
 *
 * - ModelStatistics: Triton's `model_stats` (observability/statistics.ts), whose JSON shape is
 *   the proto's, field for field.
 * - RepositoryIndex, RepositoryModelLoad, RepositoryModelUnload: protocols/model-control.ts has
 *   the semantics (explicit mode only for load and unload; the `config` load parameter; the
 *   errors), shared with REST so both accept and refuse the same requests.
 */
export function repositoryControlHandlers (ctx: GrpcContext): UntypedServiceImplementation {
  const { logger, statistics } = ctx
  const control = createModelControl(ctx.config, ctx.repository)
  return {
    ModelStatistics: unary('ModelStatistics', logger, (req: ModelRefMessage) => ({
      model_stats: statistics.modelStats(req.name, req.version),
    })),

    RepositoryIndex: unary('RepositoryIndex', logger, async (req: RepositoryIndexRequestMessage) => ({
      models: (await control.index(req.ready === true)).map((m) => ({ name: m.name, version: m.version ?? '', state: m.state, reason: m.reason })),
    })),

    RepositoryModelLoad: unary('RepositoryModelLoad', logger, async (req: RepositoryModelRequestMessage) => {
      await control.load(req.model_name ?? '', repositoryParameters(req.parameters))
      return {}
    }),

    RepositoryModelUnload: unary('RepositoryModelUnload', logger, async (req: RepositoryModelRequestMessage) => {
      await control.unload(req.model_name ?? '', repositoryParameters(req.parameters))
      return {}
    }),
  }
}

/** `map<string, ModelRepositoryParameter>` → the protocol-neutral parameters model-control.ts reads. */
function repositoryParameters (map: Record<string, ModelRepositoryParameterMessage> | undefined): RepositoryParameters {
  const entries: Array<[string, RepositoryParameter]> = []
  for (const [key, p] of Object.entries(map ?? {})) {
    switch (p.parameter_choice) {
      case 'bool_param': entries.push([key, p.bool_param ?? false]); break
      case 'string_param': entries.push([key, p.string_param ?? '']); break
      case 'bytes_param': entries.push([key, p.bytes_param ?? new Uint8Array(0)]); break
      case 'int64_param': {
        const n = Number(p.int64_param ?? 0)
        entries.push([key, Number.isSafeInteger(n) ? n : BigInt(p.int64_param ?? 0)])
        break
      }
      default: throw new InferdError(Errors.PARAMETER_INVALID, [key, 'has no value (set one of bool_param, int64_param, string_param, bytes_param)'])
    }
  }
  return Object.fromEntries(entries)
}
