import { rename, rm, stat } from 'node:fs/promises'
import parquet from '@dsnp/parquetjs'
import { Errors, InferdError } from '../../errors/index.js'
import { AppendFile, type AppendOpenOptions } from './append-file.js'
import { jsonLines } from './jsonl-writer.js'
import { openJsonlReader } from './jsonl-reader.js'
import type { Row, RowWriter } from './row.js'

/** Parquet types a column can take here; every column is optional (nullable). */
type ColumnType = 'INT64' | 'DOUBLE' | 'BOOLEAN' | 'UTF8'

/** Rows per Parquet row group: what a reader holds in memory at once. */
const ROW_GROUP_SIZE = 8192

/** The JSON Lines part file a Parquet output is written through. */
export function parquetPartPath (path: string): string {
  return `${path}.part.jsonl`
}

/**
 * Parquet output. A Parquet file is complete only once its footer is written and cannot be
 * appended to or cut back, so rows go to a JSON Lines part file first (which a resume can
 * truncate like any other output); `close` converts the part into `<path>.tmp`, then renames it
 * onto `path`, so the Parquet file appears whole or not at all. The part file stays until the
 * caller removes it (after its checkpoint), so a kill during conversion loses nothing.
 */
export async function openParquetWriter (path: string, columns: readonly string[], options: AppendOpenOptions): Promise<RowWriter> {
  const part = await AppendFile.open(parquetPartPath(path), options)
  return {
    format: 'parquet',
    dataPath: part.path,
    get bytes () { return part.size },
    write: (rows) => part.write(jsonLines(rows)),
    async close () {
      await part.close()
      await convertJsonlToParquet(part.path, path, columns)
    },
    abort: () => part.close(),
  }
}

/**
 * Writes the rows of a JSON Lines file as Parquet at `path` (through `<path>.tmp` and a rename).
 * Two passes: the first finds each column's type (INT64 when every value is a safe integer,
 * DOUBLE for other numbers, BOOLEAN, else UTF8 with objects as JSON text), the second writes.
 * `columns` come first, in order; columns only the data has follow in order of appearance.
 */
export async function convertJsonlToParquet (from: string, path: string, columns: readonly string[] = []): Promise<void> {
  const size = (await stat(from)).size
  const types = new Map<string, ColumnType | undefined>(columns.map((c) => [c, undefined]))
  for await (const row of openJsonlReader(from, size)) {
    for (const [key, value] of Object.entries(row)) types.set(key, widen(types.get(key), value))
  }
  const definition: Record<string, { type: ColumnType; optional: true }> = {}
  for (const [name, type] of types) definition[name] = { type: type ?? 'UTF8', optional: true }
  const tmp = `${path}.tmp`
  try {
    const writer = await parquet.ParquetWriter.openFile(new parquet.ParquetSchema(definition), tmp)
    writer.setRowGroupSize(ROW_GROUP_SIZE)
    for await (const row of openJsonlReader(from, size)) await writer.appendRow(toParquetRow(row, definition))
    await writer.close()
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw new InferdError(Errors.BATCH_OUTPUT_FAILED, [path, `writing Parquet: ${(err as Error).message}`], { cause: err })
  }
}

/** The narrowest type that holds what was seen and `value` (null fits any). */
function widen (seen: ColumnType | undefined, value: unknown): ColumnType | undefined {
  if (value === null || value === undefined) return seen
  const own: ColumnType = typeof value === 'number'
    ? (Number.isSafeInteger(value) ? 'INT64' : 'DOUBLE')
    : typeof value === 'boolean' ? 'BOOLEAN' : 'UTF8'
  if (seen === undefined || seen === own) return own
  if ((seen === 'INT64' && own === 'DOUBLE') || (seen === 'DOUBLE' && own === 'INT64')) return 'DOUBLE'
  return 'UTF8'
}

function toParquetRow (row: Row, definition: Readonly<Record<string, { type: ColumnType }>>): Row {
  const out: Row = {}
  for (const [name, { type }] of Object.entries(definition)) {
    const value = row[name]
    if (value === null || value === undefined) continue
    if (type === 'INT64') out[name] = BigInt(value as number)
    else if (type === 'UTF8') out[name] = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value)
    else out[name] = value
  }
  return out
}
