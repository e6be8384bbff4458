import { AppendFile, type AppendOpenOptions } from './append-file.js'
import type { Row, RowWriter } from './row.js'

/** Writes JSON Lines: one JSON object per line, keys in the rows' own order. */
export async function openJsonlWriter (path: string, options: AppendOpenOptions): Promise<RowWriter> {
  const file = await AppendFile.open(path, options)
  return {
    format: 'jsonl',
    dataPath: path,
    get bytes () { return file.size },
    write: (rows) => file.write(jsonLines(rows)),
    close: () => file.close(),
    abort: () => file.close(),
  }
}

/** Rows as JSON Lines text, each line ended by a newline. */
export function jsonLines (rows: readonly Row[]): string {
  let text = ''
  for (const row of rows) text += JSON.stringify(row) + '\n'
  return text
}
