import cliProgress from 'cli-progress'
import type { BatchProgress, BatchSummary } from '../batch/runner.js'

/** Where `inferd batch` reports while it runs. */
export interface BatchProgressView {
  update (p: BatchProgress): void
  notice (message: string): void
  /** Ends the live display (before the summary or an error is printed). */
  stop (): void
}

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none'

const count = (n: number): string => Math.round(n).toLocaleString('en-US')

/** Seconds as 1h02m, 3m05s or 42s. */
export function duration (seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?'
  const s = Math.round(seconds)
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${s}s`
}

/**
 * Progress on stderr, so stdout keeps the summary clean: a live bar (cli-progress) with rows/s
 * and ETA when stderr is a terminal, else one plain line every `intervalMs` (logs, pipes, CI).
 */
export function batchProgressView (mode: ProgressMode, stream: NodeJS.WriteStream, intervalMs = 5000): BatchProgressView {
  const live = mode === 'bar' || (mode === 'auto' && stream.isTTY === true)
  if (mode === 'none') return { update () {}, notice: (m) => { stream.write(`inferd batch: ${m}\n`) }, stop () {} }
  if (live) {
    const bar = new cliProgress.SingleBar({
      stream,
      format: '{bar} {percentage}% | {rows} rows | {rate} rows/s | ETA {etaText} | {rejected} rejected',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      // ETA and rate are the runner's (bytes read, rows committed), not cli-progress's own.
      etaBuffer: 1,
      fps: 5,
      // --progress bar on a stream that is not a terminal: draw anyway (a line every 2 s).
      noTTYOutput: stream.isTTY !== true,
    }, cliProgress.Presets.shades_classic)
    let started = false
    let last = -Infinity
    return {
      update (p) {
        // The runner reports every micro-batch; the bar redraws at 5 fps, so format at most 10 times a second.
        const now = performance.now()
        if (now - last < 100 && p.fraction < 1) return
        last = now
        const payload = { rows: count(p.rowsDone), rate: count(p.rowsPerSecond), etaText: duration(p.etaSeconds), rejected: count(p.rejected) }
        const value = Math.round(p.fraction * 1000)
        if (started) bar.update(value, payload)
        else { bar.start(1000, value, payload); started = true }
      },
      // Below the bar, which redraws on the line after.
      notice (m) { stream.write(`${started ? '\n' : ''}inferd batch: ${m}\n`) },
      stop () { if (started) bar.stop() },
    }
  }
  let last = -Infinity
  const line = (p: BatchProgress): void => {
    stream.write(`inferd batch: ${count(p.rowsDone)} rows (${(p.fraction * 100).toFixed(1)}%), ${count(p.rowsPerSecond)} rows/s, ${count(p.rejected)} rejected, ETA ${duration(p.etaSeconds)}\n`)
  }
  return {
    update (p) {
      const now = performance.now()
      if (now - last < intervalMs) return
      last = now
      line(p)
    },
    notice (m) { stream.write(`inferd batch: ${m}\n`) },
    stop () {},
  }
}

/** The end-of-run summary, for a person. */
export function formatSummary (s: BatchSummary): string {
  const lines = [
    `rows:        ${count(s.rows)}${s.resumedFrom > 0 ? ` (${count(s.resumedFrom)} done before this run resumed)` : ''}`,
    `written:     ${count(s.written)} → ${s.output}`,
    `rejected:    ${count(s.rejected)}${s.rejects === undefined ? '' : ` → ${s.rejects}`}`,
    `time:        ${s.seconds.toFixed(1)} s`,
    `throughput:  ${count(s.rowsPerSecond)} rows/s`,
    `model:       ${s.modelName} version ${s.modelVersion}`,
  ]
  return lines.join('\n') + '\n'
}
