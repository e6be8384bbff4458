import { Metadata, type StatusObject } from '@grpc/grpc-js'
import { Errors, grpcStatusOf, InferdError, toInferdError } from '../../errors/index.js'
import type { Logger } from '../../observability/logger.js'

/** Trailing metadata key carrying inferd's stable error code (docs/errors.md). */
export const ERROR_CODE_TRAILER = 'inferd-error-code'

/**
 * Every failure leaves the gRPC adapter through here: the one place gRPC learns about errors.
 * The status code comes from the error's canonical status (errors/grpc-status.ts), the details
 * are the message, and the stable code travels in the `inferd-error-code` trailer.
 *
 * Anything that is not an InferdError is wrapped as INTERNAL with the original as cause, the
 * same as the REST adapter does, so both protocols report one code for one failure. Server-side
 * failures (INTERNAL, UNKNOWN) are logged with their stack; client mistakes only at debug.
 */
export function toGrpcStatus (err: unknown, logger: Logger, call: string): StatusObject {
  const e = err instanceof InferdError ? err : toInferdError(err, Errors.INTERNAL)
  if (e.canonical === 'INTERNAL' || e.canonical === 'UNKNOWN') logger.error({ err, code: e.code, call }, e.message)
  else logger.debug({ code: e.code, call }, e.message)
  return { code: grpcStatusOf(e), details: e.message, metadata: errorTrailer(e) }
}

/** The trailing metadata for an error: its stable code. */
export function errorTrailer (e: InferdError): Metadata {
  const metadata = new Metadata()
  metadata.set(ERROR_CODE_TRAILER, e.code)
  return metadata
}
