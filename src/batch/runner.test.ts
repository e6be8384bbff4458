import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import parquet from '@dsnp/parquetjs'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXAMPLES_REPO } from '../../test/helpers/paths.js'
import { irisRecord, type IrisRowKind, writeIrisCsv } from '../../test/helpers/iris-data.js'
import { resolveConfig } from '../config/resolve.js'
import { Cancellation } from '../core/cancellation.js'
import { InferdError } from '../errors/index.js'
import { createRuntime, type InferdRuntime } from '../runtime.js'
import { readCheckpoint } from './checkpoint.js'
import { openRowReader, type Row } from './formats/index.js'
import { type BatchOptions, type BatchProgress, runBatch } from './runner.js'

/**
 * runBatch against the real iris example (records pipeline → onnxruntime → classes) on real
 * files. Generated rows cycle through the 150 flowers of the iris data set, so every output row
 * can be checked against the engine's own answer for its flower, asked one row per call.
 */

let dir: string
let runtime: InferdRuntime
/** The engine's answer for each of the 150 flowers, one predict call per flower. */
let expected: Array<{ label: string; score: number }>

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inferd-batch-'))
  runtime = createRuntime(resolveConfig({ modelRepository: EXAMPLES_REPO, modelControlMode: 'explicit' }), pino({ level: 'silent' }))
  await runtime.repository.scan()
  await runtime.repository.load('iris')
  expected = await Promise.all(Array.from({ length: 150 }, async (_, i) => {
    const r = await runtime.engine.predict({ modelName: 'iris', fields: { records: [irisRecord(i)] } })
    return (r.fields.species as Array<{ label: string; score: number }>)[0] as { label: string; score: number }
  }))
})
afterAll(async () => {
  await runtime?.close()
  await rm(dir, { recursive: true, force: true })
})

async function readRows (path: string): Promise<Row[]> {
  const rows: Row[] = []
  for await (const row of await openRowReader(path)) rows.push(row)
  return rows
}

/** The InferdError `p` rejects with. */
async function caught (p: Promise<unknown>): Promise<InferdError> {
  const err = await p.then(() => undefined, (e: unknown) => e)
  if (!(err instanceof InferdError)) throw new Error(`expected an InferdError, got ${String(err)}`)
  return err
}

/** Every good row exactly once, in input order, each with its flower's answer; every bad row in rejects once. */
function expectExactlyOnce (out: Row[], rejects: Row[], kinds: readonly IrisRowKind[], range: { start: number; end: number } = { start: 0, end: kinds.length }): void {
  const good: number[] = []
  const bad: number[] = []
  for (let i = range.start; i < range.end; i++) (kinds[i] === 'good' ? good : bad).push(i)
  expect(out.map((r) => r.row)).toEqual(good)
  expect(rejects.map((r) => r.row)).toEqual(bad)
  for (const r of out) {
    const want = expected[(r.row as number) % 150] as { label: string; score: number }
    if (r.species !== want.label || Math.abs((r.species_score as number) - want.score) > 1e-6 || r.id !== `r${r.row as number}`) {
      throw new Error(`row ${r.row as number}: got ${JSON.stringify(r)}, the engine alone says ${JSON.stringify(want)}`)
    }
  }
}

const everyNth = (n: number) => (i: number): IrisRowKind => (i % n === n - 1 ? (i % 2 === 0 ? 'missing' : 'text') : 'good')

describe('runBatch', () => {
  it('streams a large CSV: every row once, in order, as the engine scores it alone, and reads only a little ahead', async () => {
    const input = join(dir, 'large.csv')
    const n = 120_000
    const kinds = await writeIrisCsv(input, n, { noteLength: 110 })
    const size = (await stat(input)).size
    const output = join(dir, 'large.csv.out.csv')
    const seen: BatchProgress[] = []
    const summary = await runBatch({ model: 'iris', input, output, keep: ['id'] }, runtime, { onProgress: (p) => seen.push(p) })
    expect(summary).toMatchObject({ rows: n, written: n, rejected: 0, modelName: 'iris', modelVersion: '1', resumedFrom: 0, rejects: undefined })
    expect(summary.rowsPerSecond).toBeGreaterThan(0)
    const out = await readRows(output)
    expect(Object.keys(out[0] as Row)).toEqual(['row', 'id', 'species', 'species_score'])
    expectExactlyOnce(out, [], kinds)
    // Backpressure: what was read never ran far ahead of what was committed. Holding the file
    // (~17 MB) would show here; streaming keeps the lead to the micro-batches in flight and
    // the streams' buffers.
    const bytesPerRow = size / n
    const lead = Math.max(...seen.map((p) => p.bytesRead - p.rowsDone * bytesPerRow))
    expect(size).toBeGreaterThan(15_000_000)
    expect(lead).toBeLessThan(2_000_000)
    expect(seen.at(-1)).toMatchObject({ rowsDone: n, fraction: 1 })
    await expect(stat(`${output}.checkpoint.json`)).rejects.toThrow() // done: no checkpoint left
    await expect(stat(`${output}.rejects.jsonl`)).rejects.toThrow() // no rejects: no file
  })

  it('sends bad rows to the rejects file with row and reason, and stops past the error budget with the checkpoint kept', async () => {
    const input = join(dir, 'bad.csv')
    const kinds = await writeIrisCsv(input, 6000, { bad: everyNth(97) })
    const output = join(dir, 'bad.out.jsonl')
    const options: BatchOptions = { model: 'iris', input, output, keep: ['id'], batchSize: 100, maxRejects: 20, checkpointIntervalMs: 0 }
    const err = await caught(runBatch(options, runtime))
    expect(err.code).toBe('INFERD_ERR_BATCH_REJECTS_EXCEEDED')
    expect(err.message).toMatch(/21 rejected rows exceed the error budget of 20/)
    const cp = await readCheckpoint(`${output}.checkpoint.json`)
    expect(cp?.rejects).toBeLessThanOrEqual(20)
    expect(cp?.rowsDone).toBeGreaterThan(0)
    expect(cp?.rowsDone).toBeLessThan(6000)

    const summary = await runBatch({ ...options, maxRejects: 100 }, runtime)
    expect(summary).toMatchObject({ rows: 6000, rejected: 61, written: 6000 - 61, resumedFrom: cp?.rowsDone })
    const rejects = await readRows(`${output}.rejects.jsonl`)
    expectExactlyOnce(await readRows(output), rejects, kinds)
    expect(rejects[0]).toEqual({
      row: 96, code: 'INFERD_ERR_TENSOR_DATA_INVALID', error: "tensor 'records': field 'sepal_width' is missing",
      data: { sepal_length: expect.any(Number), sepal_width: null, petal_length: expect.any(Number), petal_width: expect.any(Number), id: 'r96' },
    })
    expect(rejects[1]).toMatchObject({ row: 193, error: "tensor 'records': field 'sepal_width' must be a number, got string" })
  })

  it('stops on a failure that is not a row\'s (the model unloaded), keeps the checkpoint, and resumes once it is back', async () => {
    const input = join(dir, 'unload.csv')
    const kinds = await writeIrisCsv(input, 20_000, { bad: everyNth(1000) })
    const output = join(dir, 'unload.out.csv')
    const options: BatchOptions = { model: 'iris', input, output, keep: ['id'], batchSize: 64, checkpointIntervalMs: 0 }
    let unloading: Promise<void> | undefined
    const err = await caught(runBatch(options, runtime, {
      onProgress: (p) => { if (p.rowsDone >= 3000) unloading ??= runtime.repository.unload('iris') },
    }))
    await unloading
    expect(err.canonical).toBe('UNAVAILABLE') // MODEL_NOT_READY (unloading): the job's failure, not a row's
    const cp = await readCheckpoint(`${output}.checkpoint.json`)
    expect(cp?.rowsDone).toBeGreaterThanOrEqual(3000)
    expect(cp?.rowsDone).toBeLessThan(20_000)
    await runtime.repository.load('iris')
    const summary = await runBatch(options, runtime)
    expect(summary.resumedFrom).toBe(cp?.rowsDone)
    expectExactlyOnce(await readRows(output), await readRows(`${output}.rejects.jsonl`), kinds)
  })

  it('stops when cancelled (BATCH_CANCELLED) and the same call resumes where it stopped', async () => {
    const input = join(dir, 'cancel.csv')
    const kinds = await writeIrisCsv(input, 20_000, { bad: everyNth(333) })
    const output = join(dir, 'cancel.out.parquet')
    const options: BatchOptions = { model: 'iris', input, output, keep: ['id'], batchSize: 50, checkpointIntervalMs: 0 }
    const cancel = new Cancellation()
    const err = await caught(runBatch(options, runtime, { signal: cancel, onProgress: (p) => { if (p.rowsDone >= 5000) cancel.cancel() } }))
    expect(err.code).toBe('INFERD_ERR_BATCH_CANCELLED')
    await expect(stat(output)).rejects.toThrow() // Parquet appears only when complete
    const summary = await runBatch(options, runtime)
    expect(summary.resumedFrom).toBeGreaterThanOrEqual(5000)
    expectExactlyOnce(await readRows(output), await readRows(`${output}.rejects.jsonl`), kinds)
    await expect(stat(`${output}.part.jsonl`)).rejects.toThrow()
  })

  it('starts over when the input changed since the checkpoint, and refuses a checkpoint made with other options', async () => {
    const input = join(dir, 'changed.csv')
    await writeIrisCsv(input, 3000)
    const output = join(dir, 'changed.out.csv')
    const options: BatchOptions = { model: 'iris', input, output, batchSize: 100, checkpointIntervalMs: 0 }
    const cancel = new Cancellation()
    await caught(runBatch(options, runtime, { signal: cancel, onProgress: (p) => { if (p.rowsDone >= 500) cancel.cancel() } }))

    const mismatch = await caught(runBatch({ ...options, keep: ['id'] }, runtime))
    expect(mismatch.code).toBe('INFERD_ERR_BATCH_CHECKPOINT_MISMATCH')
    expect(mismatch.message).toMatch(/output columns/)

    const kinds = await writeIrisCsv(input, 2000) // a new input (another size and time)
    await utimes(input, new Date(), new Date(Date.now() + 5000))
    const notices: string[] = []
    const summary = await runBatch(options, runtime, { onNotice: (m) => notices.push(m) })
    expect(notices).toEqual([expect.stringMatching(/input changed .* starting over/)])
    expect(summary).toMatchObject({ resumedFrom: 0, rows: 2000 })
    const out = await readRows(output)
    expect(out).toHaveLength(kinds.length)
  })

  it('reads JSON Lines (an unparseable line is a reject) and Parquet, with the answers the CSV run gives', async () => {
    const n = 3000
    const kinds = Array.from({ length: n }, (_, i) => everyNth(250)(i))
    const jsonl = join(dir, 'in.jsonl')
    await writeFile(jsonl, kinds.map((k, i) => (i === 1234 ? '{"sepal_length": 5.1,' : JSON.stringify(irisRecord(i, k)))).join('\n') + '\n')
    kinds[1234] = 'missing'
    const fromJsonl = join(dir, 'from-jsonl.parquet')
    await runBatch({ model: 'iris', input: jsonl, output: fromJsonl, keep: ['id'] }, runtime)
    const rejects = await readRows(`${fromJsonl}.rejects.jsonl`)
    expectExactlyOnce(await readRows(fromJsonl), rejects, kinds)
    expect(rejects.find((r) => r.row === 1234)).toMatchObject({ code: 'INFERD_ERR_BATCH_FILE_INVALID', error: expect.stringMatching(/^not JSON/), data: '{"sepal_length": 5.1,' })

    const pq = join(dir, 'in.parquet')
    const writer = await parquet.ParquetWriter.openFile(new parquet.ParquetSchema({
      sepal_length: { type: 'DOUBLE' }, sepal_width: { type: 'DOUBLE' }, petal_length: { type: 'DOUBLE' }, petal_width: { type: 'DOUBLE' }, id: { type: 'UTF8' },
    }), pq)
    for (let i = 0; i < n; i++) await writer.appendRow(irisRecord(i))
    await writer.close()
    const fromParquet = join(dir, 'from-parquet.jsonl')
    const seen: BatchProgress[] = []
    await runBatch({ model: 'iris', input: pq, output: fromParquet, keep: ['id'] }, runtime, { onProgress: (p) => seen.push(p) })
    expectExactlyOnce(await readRows(fromParquet), [], Array<IrisRowKind>(n).fill('good'))
    expect(seen[0]?.totalRows).toBe(n)
  })

  it('scores only a range of rows when asked (a distributed chunk), numbering them as in the file', async () => {
    const input = join(dir, 'range.csv')
    const kinds = await writeIrisCsv(input, 5000, { bad: everyNth(400) })
    const output = join(dir, 'range.out.jsonl')
    const summary = await runBatch({ model: 'iris', input, output, keep: ['id'], range: { start: 1000, end: 3500 } }, runtime)
    expect(summary.rows).toBe(2500)
    expectExactlyOnce(await readRows(output), await readRows(`${output}.rejects.jsonl`), kinds, { start: 1000, end: 3500 })
  })

  it('fails before touching the model for a missing input, names a model that is not there, and never writes over its input', async () => {
    const missing = await caught(runBatch({ model: 'iris', input: join(dir, 'nope.csv'), output: join(dir, 'nope.out.csv') }, runtime))
    expect(missing.message).toMatch(/batch input .*nope\.csv': no such file/)
    const input = join(dir, 'tiny.csv')
    await writeIrisCsv(input, 3)
    const unknown = await caught(runBatch({ model: 'no_such_model', input, output: join(dir, 'tiny.out.csv'), loadWaitMs: 0 }, runtime))
    expect(unknown.canonical).toBe('NOT_FOUND')
    const same = await caught(runBatch({ model: 'iris', input, output: input }, runtime))
    expect(same.message).toMatch(/is also the input/)
    expect(await readFile(input, 'utf8')).toContain('r2')
  })
})
