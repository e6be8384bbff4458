import { type Static, Type } from '@sinclair/typebox'

/**
 * The server's configuration: one closed schema (unknown keys are errors), from which the TS type
 * is derived, so code and schema cannot drift. Names follow Triton's flags where Triton has one
 * (`--model-repository` → `modelRepository`). Defaults live in defaults.ts.
 */
export const ServerConfigSchema = Type.Object({
  /** A model repository folder, or a single model file. */
  modelRepository: Type.String({ minLength: 1 }),
  /** Interface to listen on. Loopback by default: exposing a server is a deliberate act. */
  host: Type.String({ minLength: 1 }),
  /** HTTP/REST port; 0 picks a free one (logged). */
  httpPort: Type.Integer({ minimum: 0, maximum: 65535 }),
  /** gRPC port; 0 picks a free one. */
  grpcPort: Type.Integer({ minimum: 0, maximum: 65535 }),
  /** Triton's model control modes: none (load at start), poll (watch the repository), explicit (API). */
  modelControlMode: Type.Union([Type.Literal('none'), Type.Literal('poll'), Type.Literal('explicit')]),
  /** poll mode: seconds between two scans of the repository for changes (Triton --repository-poll-secs). */
  repositoryPollSecs: Type.Number({ exclusiveMinimum: 0 }),
  /** explicit mode: models loaded at start-up, `*` for all (Triton --load-model, repeatable). */
  loadModels: Type.Array(Type.String({ minLength: 1 })),
  /** Milliseconds a request waits for a model that is loading or warming up (0: fail at once); a request's `timeout` parameter replaces it. */
  modelLoadWaitMs: Type.Integer({ minimum: 0 }),
  /** Server ready only when every model is ready (Triton --strict-readiness). */
  strictReadiness: Type.Boolean(),
  /** max_batch_size given to models whose config sets none but whose tensors have a variable first dimension. */
  defaultMaxBatchSize: Type.Integer({ minimum: 0 }),
  /** Where models compute unless their config says: measured per model (auto), the event loop, or worker threads. */
  executionMode: Type.Union([Type.Literal('auto'), Type.Literal('inline'), Type.Literal('worker')]),
  /** Largest accepted HTTP request body, bytes. */
  maxRequestBytes: Type.Integer({ minimum: 1024 }),
  /** Largest gRPC message, bytes, each way (a request larger is refused with RESOURCE_EXHAUSTED). */
  grpcMaxMessageBytes: Type.Integer({ minimum: 1024 }),
  /** pino level. */
  logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
  /** Microseconds the event loop keeps polling for I/O, instead of sleeping, after a request that found the server idle (core/busy-poll.ts); 0 = off. */
  busyPollUs: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
  /** Milliseconds close() waits for in-flight requests before it fails them. */
  shutdownTimeoutMs: Type.Integer({ minimum: 0 }),
  /** Folders whose files batch jobs may read and write (jobs API, schedules); none: the jobs API is off. */
  batchAllowDirs: Type.Array(Type.String({ minLength: 1 })),
  /** SQLite file holding job state; '' = `.inferd-jobs.db` in the first batch allow-dir. */
  jobsDb: Type.String(),
  /** YAML file of scheduled (cron) jobs; '' = none. */
  jobSchedules: Type.String(),
}, { additionalProperties: false })

export type ServerConfig = Static<typeof ServerConfigSchema>
