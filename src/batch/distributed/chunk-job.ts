/**
 * One BullMQ job = one chunk of one distributed run. The job carries everything a worker needs,
 * so any worker on any machine (same shared file system, same model repository contents) can take
 * any chunk, in any order, any number of times.
 */

export const DEFAULT_QUEUE_NAME = 'inferd-batch'
/** The BullMQ job name of a chunk job (workers refuse any other). */
export const CHUNK_JOB_NAME = 'chunk'
const VERSION = 1

export type InputFormat = 'csv' | 'jsonl' | 'parquet'

/** Which rows of the input a chunk holds. */
export type ChunkSlice =
  /** CSV / JSONL: bytes [start, end); for CSV, bytes [0, header) are the header record. */
  | { readonly kind: 'bytes'; readonly start: number; readonly end: number; readonly header: number }
  /** Parquet: rows [start, start + count) in file order. */
  | { readonly kind: 'rows'; readonly start: number; readonly count: number }

export interface ChunkJob {
  readonly v: typeof VERSION
  /** Fingerprint of the run (input identity + model + options): a job from another run is dropped. */
  readonly runId: string
  /** The run's chunk folder (absolute, on storage every worker reaches). */
  readonly workDir: string
  readonly index: number
  readonly input: string
  readonly format: InputFormat
  readonly slice: ChunkSlice
  readonly model: string
  readonly version?: string
  readonly keep?: readonly string[]
  readonly batchSize?: number
  /** The run's error budget: a chunk alone over it fails without retry. */
  readonly maxRejects?: number
}

/** The job id of a chunk: deterministic, so a coordinator restarted on the same run finds its jobs again. */
export function chunkJobId (runId: string, index: number): string {
  return `${runId}-${index}`
}

/** Checks what a worker took off the queue; throws on anything that is not a chunk job this version writes. */
export function parseChunkJob (data: unknown): ChunkJob {
  const fail = (what: string): never => { throw new TypeError(`not an inferd chunk job: ${what}`) }
  if (typeof data !== 'object' || data === null) return fail('not an object')
  const d = data as Record<string, unknown>
  if (d.v !== VERSION) fail(`version ${String(d.v)} (this worker reads ${VERSION})`)
  for (const key of ['runId', 'workDir', 'input', 'model'] as const) if (typeof d[key] !== 'string' || d[key] === '') fail(`${key} missing`)
  if (!Number.isInteger(d.index) || (d.index as number) < 0) fail('index')
  if (d.format !== 'csv' && d.format !== 'jsonl' && d.format !== 'parquet') fail(`format ${String(d.format)}`)
  const s = d.slice as Record<string, unknown> | undefined
  const nat = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0
  if (s?.kind === 'bytes') {
    if (!nat(s.start) || !nat(s.end) || !nat(s.header) || (s.end as number) < (s.start as number)) fail('byte slice')
  } else if (s?.kind === 'rows') {
    if (!nat(s.start) || !nat(s.count)) fail('row slice')
  } else {
    fail('slice')
  }
  if (d.version !== undefined && typeof d.version !== 'string') fail('version')
  if (d.keep !== undefined && !(Array.isArray(d.keep) && d.keep.every((k) => typeof k === 'string'))) fail('keep')
  if (d.batchSize !== undefined && !(Number.isInteger(d.batchSize) && (d.batchSize as number) > 0)) fail('batchSize')
  if (d.maxRejects !== undefined && !nat(d.maxRejects)) fail('maxRejects')
  return d as unknown as ChunkJob
}

export function chunkJob (fields: Omit<ChunkJob, 'v'>): ChunkJob {
  return { v: VERSION, ...fields }
}
