import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import parquet from '@dsnp/parquetjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InferdError } from '../../errors/index.js'
import { irisFeatures, writeIrisCsv } from '../../../test/helpers/iris-data.js'
import { castCell } from './csv-reader.js'
import { convertJsonlToParquet, openRowReader, openRowWriter, type Row, type RowReader, unreadableReason } from './index.js'

let dir: string
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'inferd-formats-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

/** The InferdError `p` rejects with. */
async function caught (p: Promise<unknown>): Promise<InferdError> {
  const err = await p.then(() => undefined, (e: unknown) => e)
  if (!(err instanceof InferdError)) throw new Error(`expected an InferdError, got ${String(err)}`)
  return err
}

async function readAll (reader: RowReader): Promise<Row[]> {
  const rows: Row[] = []
  for await (const row of reader) rows.push(row)
  return rows
}

/** Rows with the awkward cases: quotes, commas, newlines, unicode, nulls, booleans, floats. */
const SAMPLE: Row[] = [
  { row: 0, name: 'plain', score: 0.25, ok: true, note: null },
  { row: 1, name: 'with, comma', score: -1.5e-7, ok: false, note: 'say "hi"' },
  { row: 2, name: 'two\nlines', score: 3, ok: true, note: 'ünïcødé ✓' },
  { row: 3, name: ' padded ', score: 123456789.125, ok: false, note: '[1,2,3]' },
]
const COLUMNS = ['row', 'name', 'score', 'ok', 'note']

describe('CSV', () => {
  it('reads cells as what they look like: numbers, booleans, null for empty, text otherwise', () => {
    expect(['12', '-3.5', '.5', '1e-3', '+7', '', 'true', 'false', 'abc', '0x10', 'Infinity', '1,5', '5.1.2'].map(castCell))
      .toEqual([12, -3.5, 0.5, 0.001, 7, null, true, false, 'abc', '0x10', 'Infinity', '1,5', '5.1.2'])
  })

  it('round-trips rows through the writer and the reader, quoting what needs it', async () => {
    const path = join(dir, 'round.csv')
    const writer = await openRowWriter(path, { columns: COLUMNS })
    await writer.write(SAMPLE.slice(0, 2))
    await writer.write(SAMPLE.slice(2))
    await writer.close()
    expect(writer.bytes).toBe((await stat(path)).size)
    const text = await readFile(path, 'utf8')
    expect(text.split('\n')[0]).toBe('row,name,score,ok,note')
    expect(text).toContain('"with, comma"')
    expect(text).toContain('"say ""hi"""')
    expect(await readAll(await openRowReader(path))).toEqual(SAMPLE.map((r) => ({ ...r, score: r.score })))
  })

  it('marks a record with more cells than the header unreadable, and leaves short ones without the last columns', async () => {
    const path = join(dir, 'ragged.csv')
    await writeFile(path, 'a,b,c\n1,2,3\n4,5\n6,7,8,9\n\n10,,x\n')
    const rows = await readAll(await openRowReader(path))
    expect(rows).toHaveLength(4) // the blank line is not a row
    expect(rows[0]).toEqual({ a: 1, b: 2, c: 3 })
    expect(rows[1]).toEqual({ a: 4, b: 5 })
    expect(unreadableReason(rows[2] as Row)).toMatch(/4 cells but the header has 3 columns/)
    expect(rows[3]).toEqual({ a: 10, b: null, c: 'x' })
  })

  it('fails a malformed file with the input named', async () => {
    const path = join(dir, 'broken.csv')
    await writeFile(path, 'a,b\n1,"unclosed\n2,3\n')
    const err = await caught(openRowReader(path).then(readAll))
    expect(err.code).toBe('INFERD_ERR_BATCH_FILE_INVALID')
    expect(err.message).toContain(path)
  })

  it('streams: progress counts bytes, skip resumes at a row, and a large file is read in order', async () => {
    const path = join(dir, 'iris.csv')
    await writeIrisCsv(path, 50_000)
    const size = (await stat(path)).size
    const reader = await openRowReader(path)
    expect(await reader.skip(40_000)).toBe(40_000)
    const first = (await reader.read(3))
    expect(first.map((r) => r.id)).toEqual(['r40000', 'r40001', 'r40002'])
    expect(first[0]).toMatchObject({ sepal_length: irisFeatures(40_000)[0], petal_width: irisFeatures(40_000)[3] })
    const rest = await readAll(reader)
    expect(rest).toHaveLength(50_000 - 40_003)
    expect(rest.at(-1)?.id).toBe('r49999')
    expect(reader.progress()).toEqual({ bytesRead: size, totalBytes: size })
    expect(await reader.read(10)).toEqual([])
  })
})

describe('JSON Lines', () => {
  it('round-trips rows, one object per line', async () => {
    const path = join(dir, 'round.jsonl')
    const writer = await openRowWriter(path)
    await writer.write(SAMPLE)
    await writer.close()
    expect((await readFile(path, 'utf8')).trim().split('\n')).toHaveLength(SAMPLE.length)
    expect(await readAll(await openRowReader(path))).toEqual(SAMPLE)
  })

  it('keeps a line that is not a JSON object as an unreadable row, so row numbers stay the file\'s', async () => {
    const path = join(dir, 'mixed.ndjson')
    await writeFile(path, '{"a":1}\n{not json\n\n[1,2]\r\n{"a":2}') // no final newline
    const rows = await readAll(await openRowReader(path))
    expect(rows).toHaveLength(4)
    expect(rows[0]).toEqual({ a: 1 })
    expect(unreadableReason(rows[1] as Row)).toMatch(/^not JSON/)
    expect(unreadableReason(rows[2] as Row)).toMatch(/got an array/)
    expect(rows[3]).toEqual({ a: 2 })
  })

  it('resumes: cut back to a recorded size, then appended to', async () => {
    const path = join(dir, 'resume.jsonl')
    const w1 = await openRowWriter(path)
    await w1.write(SAMPLE.slice(0, 2))
    const mark = w1.bytes
    await w1.write(SAMPLE.slice(2)) // written after the "checkpoint": must go
    await w1.abort()
    const w2 = await openRowWriter(path, { resumeAt: mark })
    expect(w2.bytes).toBe(mark)
    await w2.write(SAMPLE.slice(3))
    await w2.close()
    expect(await readAll(await openRowReader(path))).toEqual([SAMPLE[0], SAMPLE[1], SAMPLE[3]])
  })

  it('refuses to resume a file shorter than the checkpoint says', async () => {
    const path = join(dir, 'short.jsonl')
    await writeFile(path, '{"a":1}\n')
    const err = await caught(openRowWriter(path, { resumeAt: 100 }))
    expect(err.code).toBe('INFERD_ERR_BATCH_CHECKPOINT_MISMATCH')
  })
})

describe('Parquet', () => {
  it('writes through a JSON Lines part file, converted and renamed into place at close', async () => {
    const path = join(dir, 'out.parquet')
    const writer = await openRowWriter(path, { columns: COLUMNS })
    expect(writer.dataPath).toBe(`${path}.part.jsonl`)
    await writer.write(SAMPLE)
    await expect(stat(path)).rejects.toThrow() // nothing at the final path before close
    await writer.close()
    const back = await readAll(await openRowReader(path))
    expect(back).toEqual(SAMPLE)
    const reader = await parquet.ParquetReader.openFile(path)
    const types = Object.fromEntries(reader.getSchema().fieldList.map((f) => [f.name, f.primitiveType]))
    await reader.close()
    expect(types).toEqual({ row: 'INT64', name: 'BYTE_ARRAY', score: 'DOUBLE', ok: 'BOOLEAN', note: 'BYTE_ARRAY' })
    await expect(stat(`${path}.tmp`)).rejects.toThrow()
  })

  it('reads a Parquet file with the iris columns in order, INT64 as numbers, with a row count for progress', async () => {
    const path = join(dir, 'iris.parquet')
    const schema = new parquet.ParquetSchema({
      sepal_length: { type: 'DOUBLE' },
      sepal_width: { type: 'FLOAT', optional: true },
      petal_length: { type: 'DOUBLE' },
      petal_width: { type: 'DOUBLE' },
      id: { type: 'INT64' },
      label: { type: 'UTF8' },
    })
    const writer = await parquet.ParquetWriter.openFile(schema, path)
    writer.setRowGroupSize(1000) // several row groups
    const n = 2500
    for (let i = 0; i < n; i++) {
      const f = irisFeatures(i)
      await writer.appendRow({ sepal_length: f[0], ...(i === 7 ? {} : { sepal_width: f[1] }), petal_length: f[2], petal_width: f[3], id: BigInt(i), label: `r${i}` })
    }
    await writer.close()
    const reader = await openRowReader(path)
    expect(reader.progress().totalRows).toBe(n)
    expect(await reader.skip(5)).toBe(5)
    const rows = await readAll(reader)
    expect(rows).toHaveLength(n - 5)
    expect(rows[0]).toEqual({ sepal_length: irisFeatures(5)[0], sepal_width: expect.closeTo(irisFeatures(5)[1] as number, 5), petal_length: irisFeatures(5)[2], petal_width: irisFeatures(5)[3], id: 5, label: 'r5' })
    expect(rows[2]?.sepal_width).toBeNull() // row 7: the missing optional value
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: n - 5 }, (_, i) => i + 5))
    expect(reader.progress().bytesRead).toBe(reader.progress().totalBytes)
  })

  it('converts JSON Lines to Parquet, widening mixed columns (ints and floats to DOUBLE, anything else to text)', async () => {
    const from = join(dir, 'mixed.jsonl')
    const to = join(dir, 'mixed.parquet')
    await writeFile(from, '{"a":1,"b":1,"c":{"x":1}}\n{"a":2.5,"b":"two","d":true}\n')
    await convertJsonlToParquet(from, to, ['d'])
    const rows = await readAll(await openRowReader(to))
    expect(rows).toEqual([{ d: null, a: 1, b: '1', c: '{"x":1}' }, { d: true, a: 2.5, b: 'two', c: null }])
  })
})

describe('formats', () => {
  it('tells the format from the extension, or from the name given, and refuses an unknown one', async () => {
    const path = join(dir, 'data.txt')
    await writeFile(path, '{"a":1}\n')
    expect((await caught(openRowReader(path))).message).toMatch(/cannot tell the format .*--format/)
    expect(await readAll(await openRowReader(path, { format: 'jsonl' }))).toEqual([{ a: 1 }])
    expect((await caught(openRowReader(join(dir, 'none.csv')))).message).toMatch(/no such file/)
    expect((await caught(openRowWriter(join(dir, 'x.xlsx')))).message).toMatch(/batch output .*--output-format/)
  })
})
