import { parse } from 'csv-parse/sync'

/**
 * Parses CSV text (header row first) into one record per row, keyed by the header, with
 * csv-parse. Every value stays a string: which columns are numbers, and what an empty cell
 * means, is the caller's decision. A row with a different cell count is an error.
 *
 * @example
 * parseCsv('a,b\n1,"x, y"\n') // [{ a: '1', b: 'x, y' }]
 */
export function parseCsv (text: string): Record<string, string>[] {
  return parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[]
}
