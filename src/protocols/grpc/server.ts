import { Server, ServerCredentials, setLogger } from '@grpc/grpc-js'
import type { GrpcContext } from './context.js'
import { HealthService } from './health.js'
import { loadProtos } from './proto.js'
import { inferenceService } from './service.js'
import { StreamInferHandler } from './stream.js'

/**
 * The gRPC adapter: a grpc-js server on its own port with inference.GRPCInferenceService and the
 * standard health service.
 *
 * Message size: `grpcMaxMessageBytes` caps what a call may send and receive. A larger request
 * is refused by grpc-js before any handler runs (RESOURCE_EXHAUSTED), as REST's body limit is.
 *
 * Lifecycle: `listen()` binds (port 0 picks a free port) and serves at once. `close()` is the
 * graceful half: it ends open inference streams and health watches once their work is answered,
 * then lets grpc-js stop taking calls and wait for those in flight. `forceClose()` is the other
 * half, for when that takes longer than the shutdown timeout: every open call is cancelled.
 */
export class GrpcServer {
  readonly #ctx: GrpcContext
  readonly #server: Server
  readonly #health: HealthService
  readonly #stream: StreamInferHandler
  #address = ''
  #closing: Promise<void> | undefined

  constructor (ctx: GrpcContext) {
    const max = ctx.config.grpcMaxMessageBytes
    this.#ctx = ctx
    // grpc-js writes its own problems to the console unless given a logger; route them to ours.
    // (grpc-js has one logger per process: the server created last wins, which is fine, as they
    // all log to the same place in practice.)
    setLogger({ error: (...args: unknown[]) => { ctx.logger.warn({ source: 'grpc-js' }, args.map(String).join(' ')) } })
    this.#server = new Server({ 'grpc.max_receive_message_length': max, 'grpc.max_send_message_length': max })
    const protos = loadProtos()
    this.#health = new HealthService(ctx)
    this.#stream = new StreamInferHandler(ctx)
    this.#server.addService(protos.inference, inferenceService(ctx, this.#stream))
    this.#server.addService(protos.health, this.#health.implementation)
  }

  /** `host:port` once listening: the target a gRPC client dials (gRPC targets carry no scheme). */
  get address (): string { return this.#address }

  /**
   * Binds and starts serving.
   * @returns the port bound (the real one when 0 was asked)
   */
  listen (host: string, port: number): Promise<number> {
    const bindHost = host.includes(':') ? `[${host}]` : host
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(`${bindHost}:${port}`, ServerCredentials.createInsecure(), (err, bound) => {
        if (err !== null) {
          reject(new Error(`gRPC service cannot listen on ${bindHost}:${port}: ${err.message}`, { cause: err }))
          return
        }
        this.#address = `${bindHost}:${bound}`
        resolve(bound)
      })
    })
  }

  /** Graceful close: resolves once every call has finished. Idempotent. */
  close (): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#stream.close()
      this.#health.close()
      this.#server.tryShutdown((err) => {
        if (err !== undefined) this.#ctx.logger.warn({ err }, 'gRPC graceful shutdown reported an error')
        resolve()
      })
    })
    return this.#closing
  }

  /** Cancels every call still open (their clients see CANCELLED or UNAVAILABLE). */
  forceClose (): void {
    this.#server.forceShutdown()
  }
}
