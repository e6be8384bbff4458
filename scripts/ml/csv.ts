/**
 * Parses CSV text (RFC 4180: comma separated, `"` quotes with `""` for a quote inside, CRLF or LF
 * line ends) into one record per row, keyed by the header row. Every value stays a string:
 * which columns are numbers, and what an empty cell means, is the caller's decision.
 *
 * @example
 * parseCsv('a,b\n1,"x, y"\n') // [{ a: '1', b: 'x, y' }]
 */
export function parseCsv (text: string): Record<string, string>[] {
  const rows = splitRows(text)
  const header = rows.shift()
  if (header === undefined) return []
  return rows.map((cells, i) => {
    if (cells.length !== header.length) throw new Error(`csv row ${i + 2}: ${cells.length} cells, header has ${header.length}`)
    return Object.fromEntries(header.map((name, j) => [name, cells[j] as string]))
  })
}

function splitRows (text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (quoted) {
      if (c !== '"') cell += c
      else if (text[i + 1] === '"') { cell += '"'; i++ } else quoted = false
    } else if (c === '"') {
      quoted = true
    } else if (c === ',') {
      row.push(cell)
      cell = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
    } else {
      cell += c
    }
  }
  if (quoted) throw new Error('csv: unterminated quoted value')
  // The last line may lack its line end; a blank final line is not a row.
  if (cell !== '' || row.length > 0) rows.push([...row, cell])
  return rows.filter((r) => !(r.length === 1 && r[0] === ''))
}
