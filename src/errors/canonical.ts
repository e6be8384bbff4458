/**
 * Canonical status of a failure, chosen where the failure happens and mapped once per protocol
 * (see `http-status.ts` and `grpc-status.ts`). The names follow gRPC's canonical codes.
 */
export type Canonical =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'CANCELLED'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'UNKNOWN'
