import type { CancelSignal } from '../core/cancellation.js'
import type { Parameters } from '../core/inference.js'
import { InferdError } from '../errors/index.js'
import type { InferenceEngine } from '../pipeline/inference-engine.js'
import { type Row, unreadableReason } from './formats/row.js'
import type { RowMapping } from './row-mapping.js'

/** A row that could not be scored, as the rejects file holds it. */
export interface RejectRecord {
  /** The input row number (0-based, header not counted). */
  readonly row: number
  readonly error: string
  readonly code: string
  /** The row as read (or the raw text of a line that could not be parsed). */
  readonly data: unknown
}

/** One micro-batch's outcome: output rows and rejects, each in input order. */
export interface ScoredBatch {
  readonly rows: number
  readonly output: Row[]
  readonly rejects: RejectRecord[]
}

export interface ScoreContext {
  readonly engine: InferenceEngine
  readonly mapping: RowMapping
  readonly modelName: string
  readonly modelVersion: string
  readonly parameters?: Parameters
  readonly signal?: CancelSignal
}

/**
 * A row's own fault: the engine refused its content (INVALID_ARGUMENT: a missing field, text
 * where a number goes). Anything else (model unavailable, backend failure, shutdown) is the
 * job's, and stops it.
 */
export function isRowError (err: unknown): err is InferdError {
  return err instanceof InferdError && err.canonical === 'INVALID_ARGUMENT'
}

/**
 * Scores one micro-batch through `engine.predict`. The engine checks every item before it runs
 * any, so one bad row fails the whole call; the batch is then halved and each half retried,
 * down to single rows, which isolates k bad rows in about 2·k·log2(n) extra calls (the halves
 * run concurrently, so the dynamic batcher merges them again) and rejects only those rows.
 *
 * @param first the input row number of `rows[0]`
 * @throws whatever is not a row's fault (see isRowError)
 */
export async function scoreBatch (ctx: ScoreContext, first: number, rows: readonly Row[]): Promise<ScoredBatch> {
  const output: Row[] = []
  const rejects: RejectRecord[] = []
  // Rows the reader could not parse are rejected as they are; the rest are scored in runs.
  let runStart = 0
  const flush = async (end: number): Promise<void> => {
    if (end > runStart) {
      const scored = await isolate(ctx, numbers(first + runStart, end - runStart), rows.slice(runStart, end))
      for (const s of scored) {
        if ('reject' in s) rejects.push(s.reject)
        else output.push(s.out)
      }
    }
  }
  for (let i = 0; i < rows.length; i++) {
    const reason = unreadableReason(rows[i] as Row)
    if (reason === undefined) continue
    await flush(i)
    rejects.push({ row: first + i, error: reason, code: 'INFERD_ERR_BATCH_FILE_INVALID', data: (rows[i] as { raw?: unknown }).raw ?? null })
    runStart = i + 1
  }
  await flush(rows.length)
  return { rows: rows.length, output, rejects }
}

type Scored = { readonly out: Row } | { readonly reject: RejectRecord }

async function isolate (ctx: ScoreContext, nums: readonly number[], rows: readonly Row[]): Promise<Scored[]> {
  let fields: Readonly<Record<string, unknown>>
  try {
    const answer = await ctx.engine.predict({
      modelName: ctx.modelName,
      modelVersion: ctx.modelVersion,
      fields: ctx.mapping.toFields(rows),
      ...(ctx.parameters === undefined ? {} : { parameters: ctx.parameters }),
    }, ctx.signal === undefined ? {} : { signal: ctx.signal })
    fields = answer.fields
  } catch (err) {
    if (!isRowError(err)) throw err
    // Alone in its call, the row is "record 0" to the engine; its number is in `row`, so say neither.
    if (rows.length === 1) return [{ reject: { row: nums[0] as number, error: err.message.replace(/\brecord 0: /, ''), code: err.code, data: rows[0] } }]
    const mid = rows.length >> 1
    const halves = await Promise.all([isolate(ctx, nums.slice(0, mid), rows.slice(0, mid)), isolate(ctx, nums.slice(mid), rows.slice(mid))])
    return halves.flat()
  }
  return ctx.mapping.toOutputRows(nums, rows, fields).map((out) => ({ out }))
}

function numbers (first: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => first + i)
}
