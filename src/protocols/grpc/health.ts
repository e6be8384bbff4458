import { type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, status, type UntypedServiceImplementation } from '@grpc/grpc-js'
import { isServerReady } from '../readiness.js'
import type { GrpcContext } from './context.js'
import { INFERENCE_SERVICE } from './proto.js'

type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN'

interface HealthCheckRequest { service?: string }
interface HealthCheckResponse { status: ServingStatus }

/** How often a Watch looks again at the lifecycle flags, which raise no event (ms). */
const WATCH_INTERVAL_MS = 1000

/**
 * The standard gRPC health service (grpc.health.v1.Health, proto/health.proto), for Kubernetes
 * gRPC probes and grpc_health_probe. It answers for the server as a whole (service "") and for
 * inference.GRPCInferenceService, both by the server readiness rule (src/protocols/readiness.ts):
 * SERVING once the models are in, NOT_SERVING while loading, when strict readiness finds a model
 * not ready, and from the start of shutdown.
 *
 * Watch streams get the status at once, then each change (checked on every model state change
 * and once a second). `close()` tells each watcher NOT_SERVING and ends its stream, so that open
 * watches never hold a graceful shutdown up.
 */
export class HealthService {
  readonly #ctx: GrpcContext
  readonly #watchers = new Set<() => void>()

  constructor (ctx: GrpcContext) {
    this.#ctx = ctx
  }

  /** The handlers, for grpc-js `Server.addService`. */
  get implementation (): UntypedServiceImplementation {
    return {
      Check: (call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, callback: sendUnaryData<HealthCheckResponse>) => {
        const s = this.#status(call.request.service ?? '')
        if (s === 'SERVICE_UNKNOWN') callback({ code: status.NOT_FOUND, details: `unknown service '${call.request.service ?? ''}'` })
        else callback(null, { status: s })
      },
      Watch: (call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) => { this.#watch(call) },
    }
  }

  /** Ends every Watch stream, after telling it NOT_SERVING. */
  close (): void {
    for (const end of [...this.#watchers]) end()
  }

  #status (service: string): ServingStatus {
    if (service !== '' && service !== INFERENCE_SERVICE) return 'SERVICE_UNKNOWN'
    return isServerReady(this.#ctx) ? 'SERVING' : 'NOT_SERVING'
  }

  #watch (call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>): void {
    const service = call.request.service ?? ''
    let last: ServingStatus | undefined
    const send = (): void => {
      const now = this.#status(service)
      if (now !== last) {
        last = now
        call.write({ status: now })
      }
    }
    const timer = setInterval(send, WATCH_INTERVAL_MS)
    timer.unref()
    const stop = (): void => {
      clearInterval(timer)
      this.#ctx.repository.off('state', send)
      this.#watchers.delete(end)
    }
    const end = (): void => {
      stop()
      if (last !== 'NOT_SERVING' && last !== 'SERVICE_UNKNOWN') call.write({ status: 'NOT_SERVING' })
      call.end()
    }
    this.#watchers.add(end)
    this.#ctx.repository.on('state', send)
    call.on('cancelled', stop)
    call.on('error', stop)
    send()
  }
}
