import { createReadStream } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'
import { Errors, InferdError } from '../../errors/index.js'
import { BatchRowReader } from './batch-reader.js'
import { type Row, type RowReader, unreadableRow } from './row.js'

/**
 * Streams a JSON Lines file: one JSON object per line, blank lines ignored. A line that is not
 * a JSON object is still a row (row numbers stay the file's), marked unreadable so that it goes
 * to the rejects file with the parse error rather than stopping the job.
 */
export function openJsonlReader (path: string, totalBytes: number): RowReader {
  let bytesRead = 0
  const file = createReadStream(path, { highWaterMark: 256 * 1024 })
  const chunks = (file as AsyncIterable<Buffer>)[Symbol.asyncIterator]()
  const decoder = new StringDecoder('utf8')
  let pending: Row[] = []
  let at = 0
  let rest = ''
  let ended = false
  /** Reads one more chunk of the file into `pending`; false at the end. */
  const fill = async (): Promise<boolean> => {
    if (ended) return false
    let r: IteratorResult<Buffer>
    try {
      r = await chunks.next()
    } catch (err) {
      throw new InferdError(Errors.BATCH_FILE_INVALID, ['input', path, (err as Error).message], { cause: err })
    }
    pending = pending.slice(at)
    at = 0
    let text: string
    if (r.done === true) {
      ended = true
      text = rest + decoder.end() + '\n'
    } else {
      bytesRead += r.value.length
      text = rest + decoder.write(r.value)
    }
    let start = 0
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const row = parseLine(text.slice(start, nl))
      start = nl + 1
      if (row !== undefined) pending.push(row)
    }
    rest = text.slice(start)
    return true
  }
  return new BatchRowReader('jsonl', {
    async read (max) {
      while (pending.length - at < max && await fill());
      const out = pending.slice(at, at + max)
      at += out.length
      return out
    },
    progress: () => ({ bytesRead, totalBytes }),
    release: async () => { ended = true; file.destroy() },
  })
}

/** One line → a row; undefined for a blank line. */
function parseLine (line: string): Row | undefined {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line
  if (text.trim() === '') return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    return unreadableRow(`not JSON: ${(err as Error).message}`, text)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return unreadableRow(`a line must hold a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`, text)
  }
  return value as Row
}
