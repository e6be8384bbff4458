import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findSplitPoints } from './split-points.js'

let dir: string
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'inferd-split-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

async function file (name: string, text: string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, text)
  return path
}

/** Parses every chunk on its own (header prepended, as a worker does) and concatenates. */
async function parseByChunks (path: string, recordsPerChunk: number): Promise<{ rows: unknown[]; chunks: number }> {
  const bytes = await readFile(path)
  const points = await findSplitPoints(path, 'csv', recordsPerChunk)
  const header = bytes.subarray(0, points.dataStart)
  const rows: unknown[] = []
  let expectedStart = points.dataStart
  for (const r of points.ranges) {
    expect(r.start).toBe(expectedStart) // contiguous, nothing skipped or read twice
    expect(r.end).toBeGreaterThan(r.start)
    expectedStart = r.end
    rows.push(...(parse(Buffer.concat([header, bytes.subarray(r.start, r.end)]), { columns: true }) as unknown[]))
  }
  expect(expectedStart).toBe(points.ranges.length === 0 ? points.dataStart : bytes.length)
  return { rows, chunks: points.ranges.length }
}

describe('findSplitPoints', () => {
  it('cuts CSV only between records, never inside a quoted field with line breaks', async () => {
    const lines = ['id,text,n']
    for (let i = 0; i < 50; i++) lines.push(i % 3 === 0 ? `${i},"multi\nline ""quoted""\r\nfield",${i * 2}` : `${i},plain ${i},${i * 2}`)
    const path = await file('quoted.csv', lines.join('\r\n') + '\r\n')
    const whole = parse(await readFile(path), { columns: true }) as unknown[]
    for (const per of [1, 4, 7, 50, 1000]) {
      const { rows, chunks } = await parseByChunks(path, per)
      expect(rows).toEqual(whole)
      expect(chunks).toBe(Math.ceil(50 / per))
    }
  })

  it('keeps a last record without a final line break', async () => {
    const path = await file('tail.csv', 'a,b\n1,2\n3,4\n5,6')
    const points = await findSplitPoints(path, 'csv', 2)
    expect(points.dataStart).toBe(4)
    expect(points.ranges).toEqual([{ start: 4, end: 12, records: 2 }, { start: 12, end: 15, records: 1 }])
    const { rows } = await parseByChunks(path, 2)
    expect(rows).toEqual([{ a: '1', b: '2' }, { a: '3', b: '4' }, { a: '5', b: '6' }])
  })

  it('finds the header after a BOM and blank lines, as csv-parse does', async () => {
    const path = await file('bom.csv', '\uFEFF\r\n\r\nid,"quoted\nname"\r\n1,a\r\n\r\n2,b\r\n')
    const whole = parse(await readFile(path), { columns: true, skip_empty_lines: true, bom: true }) as unknown[]
    expect(whole).toEqual([{ id: '1', 'quoted\nname': 'a' }, { id: '2', 'quoted\nname': 'b' }])
    const bytes = await readFile(path)
    const points = await findSplitPoints(path, 'csv', 1)
    const rows = points.ranges.flatMap((r) => parse(Buffer.concat([bytes.subarray(0, points.dataStart), bytes.subarray(r.start, r.end)]), { columns: true, skip_empty_lines: true, bom: true }) as unknown[])
    expect(rows).toEqual(whole)
  })

  it('gives no chunk for a header-only or empty file', async () => {
    expect((await findSplitPoints(await file('header.csv', 'a,b\n'), 'csv', 10)).ranges).toEqual([])
    expect((await findSplitPoints(await file('header-nonl.csv', 'a,b'), 'csv', 10)).ranges).toEqual([])
    expect((await findSplitPoints(await file('empty.csv', ''), 'csv', 10)).ranges).toEqual([])
  })

  it('cuts JSONL at line breaks, from byte 0, across read buffers', async () => {
    const text = Array.from({ length: 30_000 }, (_, i) => JSON.stringify({ i, s: 'x'.repeat(i % 97) })).join('\n') + '\n'
    const path = await file('big.jsonl', text)
    const points = await findSplitPoints(path, 'jsonl', 7000)
    expect(points.dataStart).toBe(0)
    expect(points.ranges.map((r) => r.records)).toEqual([7000, 7000, 7000, 7000, 2000])
    const bytes = await readFile(path)
    const back = points.ranges.flatMap((r) => bytes.subarray(r.start, r.end).toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { i: number }))
    expect(back.map((o) => o.i)).toEqual(Array.from({ length: 30_000 }, (_, i) => i))
    expect(bytes.length).toBeGreaterThan(1 << 20) // crosses the 1 MiB read buffer
  })
})
