import type { ServerConfig } from './schema.js'

/** Every server default in one place, units in comments. */
export const DEFAULTS: Omit<ServerConfig, 'modelRepository'> = Object.freeze({
  host: '127.0.0.1',
  httpPort: 8000, // Triton's HTTP port
  grpcPort: 8001, // Triton's gRPC port
  modelControlMode: 'none',
  strictReadiness: true,
  defaultMaxBatchSize: 256, // rows; batching gains flatten out around a few hundred rows on 2 cores (ENGINE.md)
  executionMode: 'auto', // see src/scheduler/execution-mode.ts for the measurement behind it
  maxRequestBytes: 64 * 1024 * 1024, // 64 MiB
  logLevel: 'info',
  shutdownTimeoutMs: 30_000, // 30 s
})
