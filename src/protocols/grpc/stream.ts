import type { ServerDuplexStream } from '@grpc/grpc-js'
import { Cancellation, type CancelSignal } from '../../core/cancellation.js'
import { Errors, InferdError } from '../../errors/index.js'
import { decodeInferRequest, encodeInferResponse } from './codec.js'
import type { GrpcContext } from './context.js'
import type { ModelInferRequestMessage, ModelStreamInferResponseMessage } from './messages.js'
import { toGrpcStatus } from './status.js'

type StreamCall = ServerDuplexStream<ModelInferRequestMessage, ModelStreamInferResponseMessage>

/**
 * Triton's `ModelStreamInfer`: many inference requests over one bidirectional stream.
 *
 *   client ──req A──req B──req C──▶           each request runs through the engine as soon as it
 *   server ◀──resp A──error B──resp C──       arrives (so they batch with each other and with
 *                                             unary traffic); answers go out in request order
 *
 * Answers keep the order of the requests, so a client that sends no `id` can still pair them;
 * every answer echoes the request's `id` as well. A request that fails is answered in-stream,
 * as Triton does: `error_message` holds the reason and `infer_response` the request's id, model
 * and version; the stream stays open. The client half-closing ends the stream (status OK) once
 * every answer is out. The client cancelling (or its deadline passing) aborts the requests
 * still queued: they are dropped, never computed.
 *
 * Shutdown: `close()` answers requests that arrive from then on with SHUTTING_DOWN and ends each
 * stream once its requests in flight are answered, so open streams never hold shutdown up.
 */
export class StreamInferHandler {
  readonly #ctx: GrpcContext
  readonly #streams = new Set<() => void>()
  #closing = false

  constructor (ctx: GrpcContext) {
    this.#ctx = ctx
  }

  /** The grpc-js bidi handler. */
  readonly handle = (call: StreamCall): void => {
    const cancellation = new Cancellation()
    let inFlight = 0
    let clientDone = false
    let ended = false
    // Answers are chained so that each is written after the ones before it, whenever it settles.
    let tail: Promise<void> = Promise.resolve()
    const maybeEnd = (): void => {
      if (ended || inFlight > 0 || !(clientDone || this.#closing)) return
      ended = true
      this.#streams.delete(maybeEnd)
      call.end()
    }
    this.#streams.add(maybeEnd)
    call.on('data', (msg: ModelInferRequestMessage) => {
      inFlight++
      const answer = this.#answer(msg, cancellation)
      tail = tail.then(() => answer).then((res) => {
        // grpc-js buffers what the peer has not read yet; a stream whose client stopped reading
        // grows by its answers until the client cancels, as any unread HTTP/2 stream would.
        try {
          if (!ended && !call.cancelled) call.write(res)
        } catch (err) {
          // An answer that cannot be sent (it does not serialize): the stream cannot go on in order.
          this.#ctx.logger.error({ err }, 'ModelStreamInfer: writing an answer failed; cancelling the stream')
          ended = true
          this.#streams.delete(maybeEnd)
          cancellation.cancel()
          call.destroy(err as Error)
        }
        inFlight--
        maybeEnd()
      })
    })
    call.on('end', () => { clientDone = true; maybeEnd() })
    call.on('cancelled', () => {
      ended = true
      this.#streams.delete(maybeEnd)
      cancellation.cancel()
    })
    call.on('error', (err: unknown) => {
      this.#ctx.logger.debug({ err }, 'ModelStreamInfer stream failed')
      ended = true
      this.#streams.delete(maybeEnd)
      cancellation.cancel()
    })
  }

  /** Stops taking requests on open streams; each ends once its requests in flight are answered. */
  close (): void {
    this.#closing = true
    for (const maybeEnd of [...this.#streams]) maybeEnd()
  }

  /** Runs one request; never rejects: a failure becomes an in-stream error answer. */
  async #answer (msg: ModelInferRequestMessage, signal: CancelSignal): Promise<ModelStreamInferResponseMessage> {
    try {
      if (this.#closing) throw new InferdError(Errors.SHUTTING_DOWN)
      // The model first, as in ModelInfer: an unknown or unavailable model says more than the tensors.
      this.#ctx.repository.check(msg.model_name ?? '', msg.model_version)
      const request = decodeInferRequest(msg)
      const response = await this.#ctx.engine.infer(request, { signal })
      return { infer_response: encodeInferResponse(response, request) }
    } catch (err) {
      const status = toGrpcStatus(err, this.#ctx.logger, 'ModelStreamInfer')
      return {
        error_message: status.details,
        infer_response: { id: msg.id ?? '', model_name: msg.model_name ?? '', model_version: msg.model_version ?? '' },
      }
    }
  }
}
