import type { handleUnaryCall, ServerUnaryCall } from '@grpc/grpc-js'
import type { Logger } from '../../observability/logger.js'
import { toGrpcStatus } from './status.js'

/**
 * Adapts an async function to a grpc-js unary handler: its result is the response, anything it
 * throws (synchronously or not) becomes the call's status through status.ts.
 *
 * @param name - the RPC's name, for the log
 */
export function unary<Req, Res> (
  name: string,
  logger: Logger,
  fn: (request: Req, call: ServerUnaryCall<Req, Res>) => Res | Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    new Promise<Res>((resolve) => { resolve(fn(call.request, call)) })
      .then((res) => { callback(null, res) }, (err: unknown) => { callback(toGrpcStatus(err, logger, name)) })
  }
}
