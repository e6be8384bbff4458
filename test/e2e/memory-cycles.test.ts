import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { ROOT } from '../helpers/paths.js'

/**
 * Memory stays flat across 100 load/unload cycles (explicit mode, over REST, a model with 4 MiB of
 * weights, an inference each cycle). Runs memory-cycles.child.ts in its own process with
 * --expose-gc, so that collection is forced before each measurement and no other test shares
 * the process; the figures are printed for the release notes.
 *
 * Measuring RSS: glibc's malloc raises its mmap threshold after large frees, so the 4 MiB weight
 * buffers of later sessions land in heap arenas it keeps after they are freed; RSS then swung by
 * ±50 MB between identical runs, which says nothing about leaks. The child runs with the mmap
 * threshold fixed at its default (MALLOC_MMAP_THRESHOLD_=131072): large buffers are mapped and
 * unmapped, and RSS follows live memory (runs then agree within 1 MB). The calibration proves the
 * instrument sees sessions: 5 copies of the model loaded at once add 20 MB, 4 MiB each.
 *
 * Bounds, and why:
 * - RSS growth < 12 MB over the 100 measured cycles (after 10 warm-up cycles): three sessions'
 *   weights. The classic leak, one session per reload, would grow it by 400 MB; even three
 *   leaked sessions in 100 cycles fail. Measured: +2.7 to +3.4 MB over 100 cycles, +5.4 MB over
 *   300 (V8's heapTotal accounts for 1–2 MB of it).
 * - JS heap growth < 5 MB: the repository's records, events and closures per cycle are a few KB
 *   at most; 50 KB kept per cycle would cross it. Measured: -0.1 to +1 MB.
 * - The calibration (5 loads held at once) must show at least 12 MB, or the measurement is blind.
 */

const CYCLES = 100
const WARMUP = 10

it(`${CYCLES} load/unload cycles leave memory flat`, { timeout: 60_000 }, async () => {
  const result = await runChild()
  console.log(`memory over ${CYCLES} load/unload cycles (after ${WARMUP} warm-up cycles, ${result.seconds} s): ` +
    `RSS ${result.rssBeforeMB} → ${result.rssAfterMB} MB (${sign(result.rssGrowthMB)} MB), ` +
    `JS heap used ${result.heapBeforeMB} → ${result.heapAfterMB} MB (${sign(result.heapGrowthMB)} MB), ` +
    `heap total ${result.heapTotalBeforeMB} → ${result.heapTotalAfterMB} MB, external ${sign(result.externalGrowthMB)} MB; ` +
    `calibration: ${result.heldLoads} loads held at once ${sign(result.heldLoadsMB)} MB`)
  expect(result.cycles).toBe(CYCLES)
  expect(result.heldLoadsMB).toBeGreaterThanOrEqual(12)
  expect(result.rssGrowthMB).toBeLessThan(12)
  expect(result.heapGrowthMB).toBeLessThan(5)
})

interface Figures {
  cycles: number
  seconds: number
  rssBeforeMB: number
  rssAfterMB: number
  rssGrowthMB: number
  heapBeforeMB: number
  heapAfterMB: number
  heapGrowthMB: number
  externalGrowthMB: number
  heldLoads: number
  heldLoadsMB: number
  heapTotalBeforeMB: number
  heapTotalAfterMB: number
}

function runChild (): Promise<Figures> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join('test', 'e2e', 'memory-cycles.child.ts'), String(CYCLES), String(WARMUP)], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', MALLOC_MMAP_THRESHOLD_: '131072' },
  })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { out += s })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`memory child still running after 55 s\n${out.slice(-3000)}`)) }, 55_000)
    child.once('close', (code) => {
      clearTimeout(timer)
      const line = out.split('\n').find((l) => l.startsWith('RESULT '))
      if (code !== 0 || line === undefined) reject(new Error(`memory child exited ${String(code)}\n${out.slice(-3000)}`))
      else resolve(JSON.parse(line.slice('RESULT '.length)) as Figures)
    })
  })
}

function sign (n: number): string {
  return n >= 0 ? `+${n}` : String(n)
}
