import { rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { type BatchFormat, openRowReader, openRowWriter, type Row, type RowWriter } from '../formats/index.js'
import { ROW_COLUMN } from '../row-mapping.js'
import type { ChunkSlice } from './chunk-job.js'
import { type ChunkMeta, type ChunkStore, REJECTS_FILE, ROWS_FILE } from './chunk-store.js'

/** Where the assembled run goes. */
export interface AssembleTarget {
  readonly output: string
  readonly outputFormat: BatchFormat
  readonly rejects: string
}

export interface AssembledCounts {
  readonly rows: number
  readonly written: number
  readonly rejected: number
}

const READ_BATCH = 4096

/**
 * Joins the committed chunks, in input order, into the run's output and rejects files, through
 * the same writers a single-process run uses (same header, same cells), so both runs give the
 * same file. Each is written to a temporary name beside its target and renamed into place: the
 * output appears whole or not at all, and a coordinator killed here simply assembles again.
 *
 * Byte-range chunks number their rows from 0; here each `row` (output and rejects) gets the count
 * of input rows in the chunks before it added, which makes the numbers the file's (blank lines
 * and all, exactly as the single-process reader counts them).
 */
export async function assembleChunks (store: ChunkStore, slices: readonly ChunkSlice[], metas: readonly ChunkMeta[], target: AssembleTarget): Promise<AssembledCounts> {
  const columns = metas.find((m) => m.written > 0)?.columns ?? metas[0]?.columns ?? []
  const rejected = metas.reduce((n, m) => n + m.rejected, 0)
  const tmpOutput = `${target.output}.assembling`
  const tmpRejects = `${target.rejects}.assembling`
  let output: RowWriter | undefined
  let rejects: RowWriter | undefined
  try {
    output = await openRowWriter(tmpOutput, { format: target.outputFormat, columns })
    rejects = rejected > 0 ? await openRowWriter(tmpRejects, { format: 'jsonl' }) : undefined
    let base = 0
    let written = 0
    for (let i = 0; i < slices.length; i++) {
      const meta = metas[i] as ChunkMeta
      const slice = slices[i] as ChunkSlice
      const offset = base - (slice.kind === 'rows' ? slice.start : 0)
      written += await copyRenumbered(join(store.chunkDir(i), ROWS_FILE), output, offset)
      if (meta.rejected > 0 && rejects !== undefined) await copyRenumbered(join(store.chunkDir(i), REJECTS_FILE), rejects, offset)
      base += meta.rows
    }
    if (rejects !== undefined) {
      await rejects.close()
      await rename(tmpRejects, target.rejects)
    } else {
      await rm(target.rejects, { force: true }) // left by an earlier run of the same output
    }
    await output.close()
    await rename(tmpOutput, target.output)
    if (output.dataPath !== tmpOutput) await rm(output.dataPath, { force: true }) // Parquet's part file
    return { rows: base, written, rejected }
  } catch (err) {
    await output?.abort().catch(() => {})
    await rejects?.abort().catch(() => {})
    await rm(tmpOutput, { force: true })
    await rm(tmpRejects, { force: true })
    if (output !== undefined && output.dataPath !== tmpOutput) await rm(output.dataPath, { force: true })
    throw err
  }
}

/** Appends a chunk's JSON Lines file to `writer`, adding `offset` to each row number; returns the rows copied. */
async function copyRenumbered (path: string, writer: RowWriter, offset: number): Promise<number> {
  const reader = await openRowReader(path, { format: 'jsonl' })
  let copied = 0
  try {
    for (;;) {
      const rows = await reader.read(READ_BATCH)
      if (rows.length === 0) break
      if (offset !== 0) for (const row of rows) (row as Row)[ROW_COLUMN] = (row[ROW_COLUMN] as number) + offset
      await writer.write(rows)
      copied += rows.length
    }
  } finally {
    await reader.close()
  }
  return copied
}
