import { extname } from 'node:path'
import { Errors, InferdError } from '../../errors/index.js'

/** One record of a data set: column name → value (numbers, strings, booleans, null). */
export type Row = Record<string, unknown>

/** The file formats batch inference reads and writes. */
export type BatchFormat = 'csv' | 'jsonl' | 'parquet'

export const BATCH_FORMATS: readonly BatchFormat[] = ['csv', 'jsonl', 'parquet']

/**
 * Marks a row its reader could not parse (a JSONL line that is not a JSON object). Such a row
 * still counts as one input row, so row numbers stay those of the file, and the runner sends
 * it to the rejects file with this reason instead of stopping the whole job.
 */
export const UNREADABLE = Symbol('inferd.batch.unreadable')

/** A row its reader could not parse: the reason, and the raw text for the rejects file. */
export interface UnreadableRow {
  readonly [UNREADABLE]: string
  readonly raw: string
}

export function unreadableRow (reason: string, raw: string): Row {
  return { [UNREADABLE]: reason, raw } as unknown as Row
}

/** The parse error of a row a reader could not read, or undefined for a good row. */
export function unreadableReason (row: Row): string | undefined {
  return (row as Partial<UnreadableRow>)[UNREADABLE]
}

/** How far a reader has got, for progress and ETA. */
export interface ReadProgress {
  readonly bytesRead: number
  readonly totalBytes: number
  /** Known up front for formats that record it (Parquet). */
  readonly totalRows?: number
}

/**
 * Rows of a file in file order. Each row is read once: `read`, `skip` and
 * `for await` all take from the same position. Reading pulls from the
 * file only as fast as the consumer asks (stream backpressure), so memory stays flat.
 */
export interface RowReader extends AsyncIterable<Row> {
  readonly format: BatchFormat
  progress (): ReadProgress
  /** The next rows, up to `max` (fewer only at the end; none once the file is done): one await per batch. */
  read (max: number): Promise<Row[]>
  /** Reads and drops up to `n` rows (a resume); resolves to how many there were. Call before iterating. */
  skip (n: number): Promise<number>
  /** Releases the file; safe to call more than once and mid-iteration. */
  close (): Promise<void>
}

/**
 * Appends rows to a file. Rows reach the OS when `write` resolves, so `bytes` is what a
 * checkpoint may record: a resume truncates the file back to it.
 */
export interface RowWriter {
  readonly format: BatchFormat
  /** The file `write` appends to (for Parquet, the JSONL part file that `close` converts). */
  readonly dataPath: string
  /** Size of `dataPath` once every write so far has resolved. */
  readonly bytes: number
  write (rows: readonly Row[]): Promise<void>
  /** Completes the output (Parquet: converts the part file and renames the result into place). */
  close (): Promise<void>
  /** Releases the file without completing it: what was written stays, for a resume. */
  abort (): Promise<void>
}

/** The format named, else the one the file's extension says. `role` names the file in errors. */
export function formatOf (path: string, named?: string, role: 'input' | 'output' = 'input'): BatchFormat {
  const raw = (named ?? extname(path).slice(1)).toLowerCase()
  const format = raw === 'ndjson' || raw === 'json' ? 'jsonl' : raw === 'pq' ? 'parquet' : raw
  if ((BATCH_FORMATS as readonly string[]).includes(format)) return format as BatchFormat
  throw new InferdError(Errors.BATCH_FILE_INVALID, [role, path, named === undefined
    ? `cannot tell the format from the extension '${extname(path)}'; name it with --${role === 'input' ? 'format' : 'output-format'} (${BATCH_FORMATS.join(', ')})`
    : `unknown format '${named}' (${BATCH_FORMATS.join(', ')})`])
}
