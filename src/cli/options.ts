import type { ServerConfig } from '../config/schema.js'

/** How one config key appears on the command line. */
export interface FlagSpec<V> {
  readonly flag: string
  readonly description: string
  readonly parse: (raw: string) => V
  /** The flag may be given several times; each occurrence is parsed, and the (array) results are concatenated. */
  readonly repeatable?: boolean
}

/**
 * Every config key maps to a flag or to `null` (not a flag), so adding a config key without
 * deciding its flag fails to compile. Flag names follow tritonserver's where it has one.
 */
export type FlagTable = { readonly [K in keyof ServerConfig]: FlagSpec<ServerConfig[K]> | null }

const int = (raw: string): number => {
  if (!/^-?\d+$/.test(raw)) throw new Error(`expected an integer, got '${raw}'`)
  return Number(raw)
}
const positiveNumber = (raw: string): number => {
  const n = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) throw new Error(`expected a positive number, got '${raw}'`)
  return n
}
const bool = (raw: string): boolean => {
  if (/^(true|1|yes|on)$/i.test(raw)) return true
  if (/^(false|0|no|off)$/i.test(raw)) return false
  throw new Error(`expected true or false, got '${raw}'`)
}
const oneOf = <T extends string>(values: readonly T[]) => (raw: string): T => {
  if (!(values as readonly string[]).includes(raw)) throw new Error(`expected one of ${values.join(', ')}, got '${raw}'`)
  return raw as T
}

export const SERVE_FLAGS: FlagTable = {
  modelRepository: { flag: '--model-repository <path>', description: 'model repository folder, or one .onnx file', parse: (s) => s },
  host: { flag: '--host <address>', description: 'interface to listen on (default 127.0.0.1)', parse: (s) => s },
  httpPort: { flag: '--http-port <port>', description: 'HTTP/REST port, 0 for any free port (default 8000)', parse: int },
  grpcPort: { flag: '--grpc-port <port>', description: 'gRPC port, 0 for any free port (default 8001)', parse: int },
  modelControlMode: {
    flag: '--model-control-mode <mode>',
    description: 'none | poll | explicit (default none)',
    parse: oneOf(['none', 'poll', 'explicit'] as const),
  },
  repositoryPollSecs: {
    flag: '--repository-poll-secs <seconds>',
    description: 'poll mode: seconds between scans of the repository for changes (default 15)',
    parse: positiveNumber,
  },
  loadModels: {
    flag: '--load-model <name>',
    description: "explicit mode: a model to load at start-up; repeat for several, '*' for all (default none)",
    parse: (s) => [s],
    repeatable: true,
  },
  modelLoadWaitMs: {
    flag: '--model-load-wait <ms>',
    description: "how long a request waits for a model that is loading, unless its 'timeout' parameter says (default 30000)",
    parse: int,
  },
  strictReadiness: { flag: '--strict-readiness <bool>', description: 'server ready only when every model is (default true)', parse: bool },
  defaultMaxBatchSize: {
    flag: '--default-max-batch-size <rows>',
    description: 'max_batch_size for models with a variable first dimension and no config (default 256)',
    parse: int,
  },
  executionMode: {
    flag: '--execution-mode <mode>',
    description: 'auto | inline | worker: where models compute unless their config says (default auto: measured per model)',
    parse: oneOf(['auto', 'inline', 'worker'] as const),
  },
  maxRequestBytes: { flag: '--max-request-bytes <bytes>', description: 'largest HTTP request body (default 64 MiB)', parse: int },
  grpcMaxMessageBytes: { flag: '--grpc-max-message-bytes <bytes>', description: 'largest gRPC message received or sent (default 64 MiB)', parse: int },
  logLevel: {
    flag: '--log-level <level>',
    description: 'fatal | error | warn | info | debug | trace | silent (default info)',
    parse: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
  },
  busyPollUs: {
    flag: '--busy-poll-us <us>',
    description: 'how long the event loop keeps polling, instead of sleeping, after a request that found the server idle: lower latency for a lone client; 0 = off (default 500)',
    parse: int,
  },
  shutdownTimeoutMs: { flag: '--shutdown-timeout <ms>', description: 'how long shutdown waits for in-flight requests (default 30000)', parse: int },
  batchAllowDirs: {
    flag: '--batch-allow-dir <dir>',
    description: 'a folder batch jobs may read and write; repeat for several (default none: jobs API off)',
    parse: (s) => [s],
    repeatable: true,
  },
  jobsDb: { flag: '--jobs-db <file>', description: 'SQLite file of job state (default <first batch allow-dir>/.inferd-jobs.db)', parse: (s) => s },
  jobSchedules: { flag: '--job-schedules <file.yaml>', description: 'YAML file of cron-scheduled batch jobs (default none)', parse: (s) => s },
}

/** commander's camel-cased option key for a flag such as `--http-port <port>` (→ `httpPort`). */
export function optionKey (flag: string): string {
  const long = flag.split(/\s+/)[0]!.replace(/^--/, '')
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
}
