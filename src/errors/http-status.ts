import type { Canonical } from './canonical.js'
import type { InferdError } from './inferd-error.js'

/** Canonical status → HTTP status. The only place the HTTP protocol learns about error semantics. */
const HTTP_STATUS = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  FAILED_PRECONDITION: 409,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
  CANCELLED: 499,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNKNOWN: 500,
} as const satisfies Record<Canonical, number>

export function httpStatusOf (err: InferdError): number {
  return err.httpOverride ?? HTTP_STATUS[err.canonical]
}
