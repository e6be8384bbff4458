/**
 * Protocol extensions this server implements, as `GET /v2` (and gRPC ServerMetadata) report them.
 * Names are Triton's. Only what is implemented end to end belongs here.
 */
export const EXTENSIONS: readonly string[] = Object.freeze([
  'binary_tensor_data',
  'classification',
  'model_configuration',
  'model_repository',
  'schedule_policy',
  'statistics',
])
