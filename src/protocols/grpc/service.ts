import type { ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js'
import { Cancellation } from '../../core/cancellation.js'
import { InferdError } from '../../errors/index.js'
import { SERVER_NAME, VERSION } from '../../version.js'
import { EXTENSIONS } from '../extensions.js'
import { modelMetadata } from '../model-metadata.js'
import { isServerReady } from '../readiness.js'
import { decodeInferRequest, encodeInferResponse } from './codec.js'
import type { GrpcContext } from './context.js'
import type { ModelInferRequestMessage, ModelInferResponseMessage, ModelRefMessage } from './messages.js'
import { modelConfigMessage } from './model-config-message.js'
import { repositoryControlHandlers } from './repository-control.js'
import type { StreamInferHandler } from './stream.js'
import { unary } from './unary.js'

/**
 * The handlers of `inference.GRPCInferenceService` (proto/grpc_service.proto). Thin on purpose:
 * each decodes, calls the same engine, repository and metadata helpers as the REST routes, and
 * encodes, so the two protocols cannot answer the same question differently. Errors leave
 * through status.ts.
 */
export function inferenceService (ctx: GrpcContext, stream: StreamInferHandler): UntypedServiceImplementation {
  const { logger, repository, engine } = ctx
  return {
    ServerLive: unary('ServerLive', logger, () => ({ live: true })),

    ServerReady: unary('ServerReady', logger, () => ({ ready: isServerReady(ctx) })),

    ModelReady: unary('ModelReady', logger, (req: ModelRefMessage) => {
      try {
        repository.get(req.name ?? '', req.version)
        return { ready: true }
      } catch (err) {
        // Known but not ready is an answer (false), not a failure; unknown models stay NOT_FOUND, as in REST.
        if (err instanceof InferdError && err.code === 'INFERD_ERR_MODEL_NOT_READY') return { ready: false }
        throw err
      }
    }),

    ServerMetadata: unary('ServerMetadata', logger, () => ({ name: SERVER_NAME, version: VERSION, extensions: [...EXTENSIONS] })),

    ModelMetadata: unary('ModelMetadata', logger, (req: ModelRefMessage) => modelMetadata(repository, repository.get(req.name ?? '', req.version), engine.pipelines)),

    ModelConfig: unary('ModelConfig', logger, (req: ModelRefMessage) => ({ config: modelConfigMessage(repository.get(req.name ?? '', req.version).config) })),

    ModelInfer: unary('ModelInfer', logger, async (req: ModelInferRequestMessage, call: ServerUnaryCall<ModelInferRequestMessage, ModelInferResponseMessage>) => {
      // The model first: an unknown or unavailable model says more than any complaint about the
      // tensors (a model still loading passes: the engine may wait for it).
      repository.check(req.model_name ?? '', req.model_version)
      const request = decodeInferRequest(req)
      // The client cancelling, or its deadline passing, cancels the request: still queued, it is
      // dropped and never computed.
      const cancellation = new Cancellation()
      call.once('cancelled', () => { cancellation.cancel() })
      const response = await engine.infer(request, { signal: cancellation })
      return encodeInferResponse(response, request)
    }),

    ModelStreamInfer: stream.handle,

    ...repositoryControlHandlers(ctx),
  }
}
