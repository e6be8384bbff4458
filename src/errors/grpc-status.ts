import type { Canonical } from './canonical.js'
import type { InferdError } from './inferd-error.js'

/** Canonical status → gRPC status code number (as in @grpc/grpc-js `status`). */
const GRPC_STATUS = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const satisfies Record<Canonical, number>

export function grpcStatusOf (err: InferdError): number {
  return GRPC_STATUS[err.canonical]
}
