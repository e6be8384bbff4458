import { Errors } from '../../../errors/codes.js'
import { InferdError } from '../../../errors/inferd-error.js'

/**
 * The header of Triton's binary extension giving the byte length of the JSON part of a body
 * (requests and responses). Lower-case, as Node presents incoming header names.
 */
export const INFERENCE_HEADER_CONTENT_LENGTH = 'inference-header-content-length'

/**
 * Reads the `Inference-Header-Content-Length` request header.
 *
 * @returns undefined when absent (the body is plain JSON); 0 for a raw binary request (see
 *   raw-binary-request.ts); otherwise the JSON header's byte length
 * @throws InferdError REQ_BINARY_INVALID when it is not a single non-negative decimal integer
 * @example parseInferenceHeaderLength(req.headers[INFERENCE_HEADER_CONTENT_LENGTH])
 */
export function parseInferenceHeaderLength (value: string | readonly string[] | undefined): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string') {
    throw new InferdError(Errors.REQ_BINARY_INVALID, [`Inference-Header-Content-Length given ${value.length} times`])
  }
  const trimmed = value.trim()
  const n = Number(trimmed)
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(n)) {
    throw new InferdError(Errors.REQ_BINARY_INVALID, [`Inference-Header-Content-Length must be a non-negative integer, got '${value.slice(0, 40)}'`])
  }
  return n
}
