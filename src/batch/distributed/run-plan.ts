import { createHash } from 'node:crypto'
import { readFile, rename, stat, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { ChunkSlice, InputFormat } from './chunk-job.js'
import { findSplitPoints } from './split-points.js'

/**
 * A distributed run's plan: which input (by identity: path, size, modification time), which model
 * and options, cut into which chunks. Written once to `<work dir>/plan.json`; a coordinator started
 * again on the same run (same fingerprint) reuses it and every chunk already committed, so a
 * killed coordinator resumes instead of starting over.
 */
export interface RunPlan {
  readonly runId: string
  readonly input: { readonly path: string; readonly size: number; readonly mtimeMs: number }
  readonly format: InputFormat
  readonly slices: readonly ChunkSlice[]
}

/** What makes two runs the same run: anything that changes a row of the output. */
export interface RunIdentity {
  readonly input: string
  readonly format: InputFormat
  readonly model: string
  readonly version?: string
  readonly keep?: readonly string[]
  readonly chunkRows: number
}

const PLAN_FILE = 'plan.json'

/** The run's fingerprint: a short hash over its identity and the input file's size and mtime. */
export async function runFingerprint (id: RunIdentity): Promise<{ runId: string; size: number; mtimeMs: number }> {
  const path = resolve(id.input)
  const { size, mtimeMs } = await stat(path)
  const hash = createHash('sha256')
    .update(JSON.stringify([path, size, mtimeMs, id.format, id.model, id.version ?? null, id.keep ?? null, id.chunkRows]))
    .digest('hex')
    .slice(0, 16)
  return { runId: `r${hash}`, size, mtimeMs }
}

/**
 * Cuts the input into chunks of about `chunkRows` rows.
 *
 * @param countRows - total rows of a Parquet input (its metadata knows); CSV and JSONL are scanned here
 */
export async function planRun (id: RunIdentity, countRows: (path: string) => Promise<number>): Promise<RunPlan> {
  const path = resolve(id.input)
  const { runId, size, mtimeMs } = await runFingerprint(id)
  let slices: ChunkSlice[]
  if (id.format === 'parquet') {
    const total = await countRows(path)
    slices = []
    for (let start = 0; start < total; start += id.chunkRows) slices.push({ kind: 'rows', start, count: Math.min(id.chunkRows, total - start) })
  } else {
    const points = await findSplitPoints(path, id.format, id.chunkRows)
    slices = points.ranges.map((r) => ({ kind: 'bytes', start: r.start, end: r.end, header: points.dataStart }))
  }
  return { runId, input: { path, size, mtimeMs }, format: id.format, slices }
}

/** The plan saved in `dir`, or undefined when there is none (or it is unreadable: the run starts over). */
export async function readPlan (dir: string): Promise<RunPlan | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, PLAN_FILE), 'utf8')) as RunPlan
  } catch {
    return undefined
  }
}

/** Saves the plan atomically (temporary file, then rename). */
export async function writePlan (dir: string, plan: RunPlan): Promise<void> {
  const tmp = join(dir, `.${PLAN_FILE}.${process.pid}.tmp`)
  await writeFile(tmp, JSON.stringify(plan) + '\n')
  await rename(tmp, join(dir, PLAN_FILE))
}
