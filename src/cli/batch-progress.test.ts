import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { BatchProgress } from '../batch/runner.js'
import { batchProgressView, duration, formatSummary } from './batch-progress.js'

/** A stream that says it is a terminal, and keeps what is written to it. */
function terminal (isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  const s = new PassThrough() as unknown as NodeJS.WriteStream & { text: () => string }
  let text = ''
  s.on('data', (c: Buffer) => { text += c.toString() })
  Object.assign(s, { isTTY, columns: 140, text: () => text })
  return s
}

const progress = (rowsDone: number, fraction: number): BatchProgress => ({
  rowsDone, written: rowsDone - 2, rejected: 2, resumedFrom: 0, bytesRead: 1000, totalBytes: 2000,
  fraction, elapsedSeconds: 2, rowsPerSecond: 123_456, etaSeconds: 75, modelVersion: '1',
})

describe('batch progress', () => {
  it('draws a cli-progress bar with rows, rows/s, ETA and rejects on a terminal, redrawn at most 10 times a second', () => {
    const tty = terminal(true)
    const view = batchProgressView('auto', tty)
    view.update(progress(250_000, 0.25))
    view.update(progress(500_000, 0.5)) // within 100 ms of the last: skipped
    view.update(progress(1_000_000, 1)) // the end is always drawn
    view.stop()
    const text = tty.text()
    expect(text).toContain('\x1B[') // cursor control: a live line
    expect(text).toMatch(/25% \| 250,000 rows \| 123,456 rows\/s \| ETA 1m15s \| 2 rejected/)
    expect(text).toMatch(/100% \| 1,000,000 rows \|/)
    expect(text).not.toContain('500,000 rows')
  })

  it('prints plain lines, at most one per interval, when the stream is not a terminal', () => {
    const log = terminal(false)
    const view = batchProgressView('auto', log, 60_000)
    view.update(progress(1000, 0.1))
    view.update(progress(2000, 0.2)) // within the interval: not printed
    view.notice('the input changed: starting over')
    view.stop()
    expect(log.text()).toBe(
      'inferd batch: 1,000 rows (10.0%), 123,456 rows/s, 2 rejected, ETA 1m15s\n' +
      'inferd batch: the input changed: starting over\n',
    )
  })

  it('formats durations and the summary for a person', () => {
    expect([duration(5), duration(75), duration(3725), duration(undefined)]).toEqual(['5s', '1m15s', '1h02m', '?'])
    const text = formatSummary({
      rows: 1_000_000, written: 999_000, rejected: 1000, seconds: 20.04, rowsPerSecond: 49_900, modelName: 'iris', modelVersion: '1',
      resumedFrom: 400_000, output: 'out.csv', rejects: 'out.csv.rejects.jsonl', inputMtime: '2026-01-01T00:00:00.000Z',
    })
    expect(text).toContain('rows:        1,000,000 (400,000 done before this run resumed)')
    expect(text).toContain('rejected:    1,000 → out.csv.rejects.jsonl')
    expect(text).toContain('throughput:  49,900 rows/s')
    expect(text).toContain('model:       iris version 1')
  })
})
