import { stat } from 'node:fs/promises'
import { Errors, InferdError } from '../../errors/index.js'
import type { AppendOpenOptions } from './append-file.js'
import { openCsvReader } from './csv-reader.js'
import { openCsvWriter } from './csv-writer.js'
import { openJsonlReader } from './jsonl-reader.js'
import { openJsonlWriter } from './jsonl-writer.js'
import { openParquetReader } from './parquet-reader.js'
import { openParquetWriter } from './parquet-writer.js'
import { type BatchFormat, formatOf, type RowReader, type RowWriter } from './row.js'

export { convertJsonlToParquet, parquetPartPath } from './parquet-writer.js'
export { BATCH_FORMATS, formatOf, unreadableReason, type BatchFormat, type ReadProgress, type Row, type RowReader, type RowWriter } from './row.js'

export interface OpenRowReaderOptions {
  /** Default: from the extension (.csv, .jsonl/.ndjson, .parquet). */
  readonly format?: BatchFormat | string
}

/**
 * Opens a data file for streaming in file order: CSV (header row; numeric-looking cells as
 * numbers, empty cells as null), JSON Lines, or Parquet.
 *
 * @throws InferdError BATCH_FILE_INVALID when the file is missing, not a file, or of an unknown format
 */
export async function openRowReader (path: string, options: OpenRowReaderOptions = {}): Promise<RowReader> {
  const format = formatOf(path, options.format)
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new InferdError(Errors.BATCH_FILE_INVALID, ['input', path, err.code === 'ENOENT' ? 'no such file' : err.message])
  })
  if (!info.isFile()) throw new InferdError(Errors.BATCH_FILE_INVALID, ['input', path, 'not a file'])
  switch (format) {
    case 'csv': return openCsvReader(path, info.size)
    case 'jsonl': return openJsonlReader(path, info.size)
    case 'parquet': return openParquetReader(path, info.size)
  }
}

export interface OpenRowWriterOptions extends AppendOpenOptions {
  /** Default: from the extension. */
  readonly format?: BatchFormat | string
  /** The column order: CSV's header, Parquet's leading columns. Needed for CSV. */
  readonly columns?: readonly string[]
}

/**
 * Opens an output file: emptied (the default), appended to (`append`), or cut back to a
 * checkpoint's size and appended to (`resumeAt`). Parquet is written through a JSON Lines part
 * file (`dataPath`) and converted by `close()`.
 */
export async function openRowWriter (path: string, options: OpenRowWriterOptions = {}): Promise<RowWriter> {
  const format = formatOf(path, options.format, 'output')
  const open: AppendOpenOptions = {
    ...(options.append === undefined ? {} : { append: options.append }),
    ...(options.resumeAt === undefined ? {} : { resumeAt: options.resumeAt }),
  }
  switch (format) {
    case 'csv': return openCsvWriter(path, options.columns ?? [], open)
    case 'jsonl': return openJsonlWriter(path, open)
    case 'parquet': return openParquetWriter(path, options.columns ?? [], open)
  }
}
