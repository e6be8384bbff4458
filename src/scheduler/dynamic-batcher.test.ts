import { describe, expect, it } from 'vitest'
import { type BatcherOptions, formBatch } from './dynamic-batcher.js'
import type { QueuedRequest } from './queued-request.js'

const req = (id: string, rows: number, key = 'k', enqueuedAt = 0, aborted = false): QueuedRequest & { id: string } => ({
  id, rows, key, enqueuedAt, inputs: [], outputNames: [], priority: 1, deadline: Infinity, timeoutAction: 'REJECT',
  ...(aborted ? { signal: AbortSignal.abort() } : {}),
  resolve: () => {}, reject: () => {},
})
const opts = (o: Partial<BatcherOptions> = {}): BatcherOptions => ({ maxBatchSize: 8, preferredBatchSizes: [], maxQueueDelayMs: 0, ...o })
const ids = (d: ReturnType<typeof formBatch>) => d.kind === 'run' ? d.items.map((r) => (r as ReturnType<typeof req>).id) : d.kind

describe('formBatch', () => {
  it('is idle on an empty queue and runs a lone request at once', () => {
    expect(formBatch([], opts(), 0).kind).toBe('idle')
    expect(ids(formBatch([req('a', 1)], opts(), 0))).toEqual(['a'])
  })

  it('gathers compatible requests up to max_batch_size, skipping other shapes and ones too big', () => {
    const q = [req('a', 2), req('b', 1, 'other'), req('c', 3), req('d', 4), req('e', 3), req('f', 1)]
    const d = formBatch(q, opts(), 0)
    expect(ids(d)).toEqual(['a', 'c', 'e'])
    expect(d.kind === 'run' && d.rows).toBe(8)
  })

  it('skips cancelled requests', () => {
    expect(ids(formBatch([req('a', 1, 'k', 0, true), req('b', 1)], opts(), 0))).toEqual(['b'])
  })

  it('runs each request alone when the model does not batch', () => {
    expect(ids(formBatch([req('a', 1), req('b', 1)], opts({ maxBatchSize: 0 }), 0))).toEqual(['a'])
  })

  it('takes the largest prefix that makes a preferred size, leaving the rest', () => {
    const q = [req('a', 2), req('b', 2), req('c', 1), req('d', 1)]
    expect(ids(formBatch(q, opts({ preferredBatchSizes: [4], maxQueueDelayMs: 5 }), 0))).toEqual(['a', 'b'])
  })

  it('waits for the head delay when no preferred size or full batch is reached, then runs', () => {
    const q = [req('a', 1, 'k', 10), req('b', 1, 'k', 11)]
    expect(formBatch(q, opts({ maxQueueDelayMs: 5 }), 12)).toEqual({ kind: 'wait', until: 15 })
    expect(ids(formBatch(q, opts({ maxQueueDelayMs: 5 }), 15))).toEqual(['a', 'b'])
    const full = [req('a', 4, 'k', 10), req('b', 4, 'k', 11)]
    expect(ids(formBatch(full, opts({ maxQueueDelayMs: 5 }), 12))).toEqual(['a', 'b'])
  })
})
