import parquet from '@dsnp/parquetjs'
import { Errors, InferdError } from '../../errors/index.js'
import { BatchRowReader } from './batch-reader.js'
import type { Row, RowReader } from './row.js'

/**
 * Streams a Parquet file row group by row group (@dsnp/parquetjs cursor), so memory holds one
 * row group, not the file. Values come out as a JSON model would send them: INT64 as numbers
 * (text when beyond 2^53), UTF8/bytes as text, timestamps and dates as ISO 8601 strings.
 * Progress in bytes is estimated from rows read out of the row count the footer records.
 */
export async function openParquetReader (path: string, totalBytes: number): Promise<RowReader> {
  let reader: Awaited<ReturnType<typeof parquet.ParquetReader.openFile>>
  try {
    reader = await parquet.ParquetReader.openFile(path)
  } catch (err) {
    throw new InferdError(Errors.BATCH_FILE_INVALID, ['input', path, `not a readable Parquet file: ${(err as Error).message}`], { cause: err })
  }
  const totalRows = Number(reader.getRowCount())
  const cursor = reader.getCursor()
  let rowsRead = 0
  const progress = () => ({ bytesRead: totalRows === 0 ? totalBytes : Math.round(totalBytes * rowsRead / totalRows), totalBytes, totalRows })
  let ended = false
  return new BatchRowReader('parquet', {
    async read (max) {
      const out: Row[] = []
      try {
        while (!ended && out.length < max) {
          const record = await cursor.next()
          if (record === null || record === undefined) ended = true
          else out.push(plainRow(record as Row))
        }
      } catch (err) {
        throw new InferdError(Errors.BATCH_FILE_INVALID, ['input', path, (err as Error).message], { cause: err })
      }
      rowsRead += out.length
      return out
    },
    progress,
    release: async () => { ended = true; await reader.close() },
  })
}

function plainRow (record: Row): Row {
  const row: Row = {}
  for (const [key, value] of Object.entries(record)) row[key] = plainValue(value)
  return row
}

function plainValue (value: unknown): unknown {
  if (typeof value === 'bigint') return value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER ? Number(value) : value.toString()
  if (value instanceof Date) return value.toISOString()
  if (Buffer.isBuffer(value)) return value.toString('utf8')
  if (Array.isArray(value)) return value.map(plainValue)
  if (typeof value === 'object' && value !== null) return plainRow(value as Row)
  return value
}
