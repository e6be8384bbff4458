import type { ServerConfig } from './schema.js'

/** Every server default in one place, units in comments. */
export const DEFAULTS: Omit<ServerConfig, 'modelRepository'> = Object.freeze({
  host: '127.0.0.1',
  httpPort: 8000, // Triton's HTTP port
  grpcPort: 8001, // Triton's gRPC port
  modelControlMode: 'none',
  repositoryPollSecs: 15, // s, Triton's default
  loadModels: Object.freeze([]) as unknown as string[], // explicit mode loads nothing unless named
  modelLoadWaitMs: 30_000, // 30 s: longer than most model loads here, shorter than clients' usual timeouts
  strictReadiness: true,
  defaultMaxBatchSize: 256, // rows; batching gains flatten out around a few hundred rows on 2 cores (ENGINE.md)
  executionMode: 'auto', // see src/scheduler/execution-mode.ts for the measurement behind it
  maxRequestBytes: 64 * 1024 * 1024, // 64 MiB
  grpcMaxMessageBytes: 64 * 1024 * 1024, // 64 MiB, received and sent (grpc-js's own default receive limit is 4 MiB)
  logLevel: 'info',
  busyPollUs: 500, // µs: covers a client's turnaround between two requests here (core/busy-poll.ts has the measurements)
  shutdownTimeoutMs: 30_000, // 30 s
  batchAllowDirs: Object.freeze([]) as unknown as string[], // the jobs API reads and writes nothing unless told where
  jobsDb: '', // next to the data: <first batch allow-dir>/.inferd-jobs.db
  jobSchedules: '', // no scheduled jobs
})
