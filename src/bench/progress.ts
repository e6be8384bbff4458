import type { WindowProgress } from './profiler.js'
import type { LevelResult } from './results.js'

/**
 * Progress on the terminal (stderr, so stdout keeps the report clean). On a TTY one status line
 * is rewritten after every window; elsewhere (CI logs, pipes) only one line per finished level
 * is printed, so logs stay readable.
 */
export interface ProgressSink {
  window (p: WindowProgress): void
  level (r: LevelResult): void
}

/** Prints nothing. */
export const SILENT_PROGRESS: ProgressSink = Object.freeze({ window () {}, level () {} })

const LABEL = { concurrency: 'concurrency', request_rate: 'request rate' } as const

/** Progress for `stream`, live when it is a TTY. */
export function terminalProgress (stream: NodeJS.WritableStream & { isTTY?: boolean }): ProgressSink {
  const live = stream.isTTY === true
  return {
    window (p) {
      if (!live) return
      const which = p.window === 0 ? 'warm-up' : `window ${p.window}/${p.maxTrials}`
      stream.write(`\r\x1b[K${LABEL[p.mode]} ${p.level}: ${which}  ${Math.round(p.requestsPerSecond).toLocaleString('en-US')} req/s  ${(p.latencyUs / 1000).toFixed(3)} ms`)
    },
    level (r) {
      const l = r.latencyUs
      const status = r.stable ? `stable after ${r.windows} windows` : `UNSTABLE after ${r.windows} windows`
      const errors = r.errors > 0 ? `, ${r.errors} errors` : ''
      stream.write(`${live ? '\r\x1b[K' : ''}${LABEL[r.mode]} ${r.level}: ${Math.round(r.inferencesPerSecond).toLocaleString('en-US')} infer/s, ` +
        `p50 ${(l.p50 / 1000).toFixed(3)} ms, p99 ${(l.p99 / 1000).toFixed(3)} ms (${status}${errors})\n`)
    },
  }
}
