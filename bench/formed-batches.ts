/**
 * The batches inferd formed while it was measured, from its statistics extension
 * (`GET /v2/models/{m}/stats`: `inference_count` counts rows, `execution_count` batches). Read
 * before and after a measurement, the difference gives the mean rows per batch at that load,
 * which is the batch size raw onnxruntime is then measured at: the limit for that load.
 */

export interface BatchCounters {
  readonly rows: number
  readonly batches: number
}

/** inferd's row and batch counters for `model` (every version it serves, summed). */
export async function batchCounters (port: number, model: string): Promise<BatchCounters> {
  const res = await fetch(`http://127.0.0.1:${port}/v2/models/${encodeURIComponent(model)}/stats`)
  if (res.status !== 200) throw new Error(`GET /v2/models/${model}/stats: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`)
  const body = await res.json() as { model_stats?: Array<{ inference_count?: number; execution_count?: number }> }
  let rows = 0
  let batches = 0
  for (const s of body.model_stats ?? []) {
    rows += Number(s.inference_count ?? 0)
    batches += Number(s.execution_count ?? 0)
  }
  return { rows, batches }
}

/** Mean rows per batch between two readings; undefined when no batch ran. */
export function meanBatch (before: BatchCounters, after: BatchCounters): number | undefined {
  const batches = after.batches - before.batches
  return batches > 0 ? (after.rows - before.rows) / batches : undefined
}
