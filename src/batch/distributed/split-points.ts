import { type FileHandle, open } from 'node:fs/promises'

/**
 * Where a CSV or JSONL file may be cut into chunks without cutting a record: byte offsets just
 * after a line break that ends a record. The coordinator scans the input once for them (a byte
 * search, no parsing), so each worker reads only its own byte range, however large the file.
 *
 * CSV needs one subtlety: a quoted field may hold line breaks. Every `"` toggles "inside quotes"
 * (an escaped `""` toggles twice), and only a line break outside quotes ends a record. UTF-8 never
 * uses the bytes of `"` or `\n` inside a multi-byte character, so bytes are enough.
 *
 * Counts here are of line breaks, not of parsed rows (a blank line counts): they size the chunks.
 * Row numbers come from the parser, chunk by chunk, so the two never need to agree exactly.
 */
export interface SplitPoints {
  /** Byte offset where the data starts: after the header record for CSV, 0 for JSONL. */
  readonly dataStart: number
  /** File size when scanned. */
  readonly size: number
  /**
   * Chunk byte ranges covering [dataStart, size) in order, each ending on a record boundary (or at
   * the end of the file); none empty.
   */
  readonly ranges: ReadonlyArray<{ readonly start: number; readonly end: number; readonly records: number }>
}

const NL = 0x0a
const CR = 0x0d
const QUOTE = 0x22
const READ_SIZE = 1 << 20

/**
 * Scans `path` and cuts it every `recordsPerChunk` records.
 *
 * @param format - 'csv' (first record is the header; quote-aware) or 'jsonl'
 */
export async function findSplitPoints (path: string, format: 'csv' | 'jsonl', recordsPerChunk: number): Promise<SplitPoints> {
  if (!Number.isInteger(recordsPerChunk) || recordsPerChunk < 1) throw new RangeError(`recordsPerChunk must be a positive integer, not ${recordsPerChunk}`)
  const file = await open(path, 'r')
  try {
    const { size } = await file.stat()
    const buffer = Buffer.allocUnsafe(READ_SIZE)
    const quoteAware = format === 'csv'
    const dataStart = format === 'csv' ? await headerEnd(file, size, buffer) : 0
    let inQuotes = false
    let chunkStart = dataStart
    let records = 0
    const ranges: Array<{ start: number; end: number; records: number }> = []
    let position = dataStart
    let lastByte = NL
    while (position < size) {
      const { bytesRead } = await file.read(buffer, 0, Math.min(READ_SIZE, size - position), position)
      if (bytesRead === 0) break
      const view = buffer.subarray(0, bytesRead)
      lastByte = view[bytesRead - 1] ?? NL
      let i = 0
      while (i < bytesRead) {
        if (quoteAware) {
          const q = view.indexOf(QUOTE, i)
          const n = view.indexOf(NL, i)
          if (n === -1 && q === -1) break
          if (q !== -1 && (n === -1 || q < n)) { inQuotes = !inQuotes; i = q + 1; continue }
          i = n + 1
          if (inQuotes) continue
        } else {
          const n = view.indexOf(NL, i)
          if (n === -1) break
          i = n + 1
        }
        // A record ends at position + i.
        if (++records === recordsPerChunk) {
          const end = position + i
          ranges.push({ start: chunkStart, end, records })
          chunkStart = end
          records = 0
        }
      }
      position += bytesRead
    }
    if (chunkStart < size) {
      // The tail: records after the last cut, the last one perhaps without a final line break.
      ranges.push({ start: chunkStart, end: size, records: records + (lastByte === NL ? 0 : 1) })
    }
    return { dataStart, size, ranges }
  } finally {
    await file.close()
  }
}

/**
 * Where a CSV file's header record ends: after the first record that is not blank, as csv-parse
 * (skip_empty_lines, bom) reads it; a byte loop, since a header is short. The file's size when
 * there is no complete header record (no data either).
 */
async function headerEnd (file: FileHandle, size: number, buffer: Buffer): Promise<number> {
  let inQuotes = false
  let blank = true
  let position = 0
  while (position < size) {
    const { bytesRead } = await file.read(buffer, 0, Math.min(READ_SIZE, size - position), position)
    if (bytesRead === 0) break
    for (let i = 0; i < bytesRead; i++) {
      const b = buffer[i] as number
      if (b === QUOTE) inQuotes = !inQuotes
      if (b === NL && !inQuotes) {
        if (!blank) return position + i + 1
        continue
      }
      const bom = position + i < 3 && (b === 0xef || b === 0xbb || b === 0xbf)
      if (b !== CR && !bom) blank = false
    }
    position += bytesRead
  }
  return size
}
