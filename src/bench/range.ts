/**
 * Load ranges as perf_analyzer writes them: `start[:end[:step]]`, a linear sweep from start to
 * end (inclusive) in strides of step; step defaults to 1 and a missing end means the single level
 * `start`. As a convenience a comma list (`1,16,64,256`) names the levels directly.
 */

export interface RangeOptions {
  /** Whole numbers only (concurrency) or any positive number (request rate). */
  readonly integer: boolean
  /** Refuses ranges that would expand to more levels than this. */
  readonly maxLevels?: number
}

const DEFAULT_MAX_LEVELS = 1000

/**
 * Expands a range string into the load levels to measure, in order.
 *
 * @example
 * parseRange('1:8:2', { integer: true })        // [1, 3, 5, 7]
 * parseRange('4', { integer: true })            // [4]
 * parseRange('1,16,64,256', { integer: true })  // [1, 16, 64, 256]
 * @throws RangeError with a message naming the problem
 */
export function parseRange (text: string, options: RangeOptions): number[] {
  const what = options.integer ? 'a whole number ≥ 1' : 'a number > 0'
  const num = (raw: string, name: string): number => {
    const value = Number(raw.trim())
    const ok = raw.trim() !== '' && Number.isFinite(value) && (options.integer ? Number.isInteger(value) && value >= 1 : value > 0)
    if (!ok) throw new RangeError(`range '${text}': ${name} must be ${what}, got '${raw}'`)
    return value
  }
  const max = options.maxLevels ?? DEFAULT_MAX_LEVELS
  if (text.includes(',')) {
    const levels = text.split(',').map((part, i) => num(part, `level ${i + 1}`))
    if (levels.length > max) throw new RangeError(`range '${text}' has ${levels.length} levels, at most ${max} allowed`)
    return levels
  }
  const parts = text.split(':')
  if (parts.length > 3) throw new RangeError(`range '${text}': expected start[:end[:step]]`)
  const start = num(parts[0] ?? '', 'start')
  if (parts.length === 1) return [start]
  const end = num(parts[1] ?? '', 'end')
  const step = parts.length === 3 ? num(parts[2] ?? '', 'step') : 1
  if (end < start) throw new RangeError(`range '${text}': end ${end} is below start ${start}`)
  const count = Math.floor((end - start) / step + 1e-9) + 1
  if (count > max) throw new RangeError(`range '${text}' has ${count} levels, at most ${max} allowed`)
  // Multiply rather than accumulate, so fractional steps do not drift (0.1 + 0.1 + 0.1 ≠ 0.3).
  return Array.from({ length: count }, (_, i) => options.integer ? start + i * step : roundLevel(start + i * step))
}

function roundLevel (value: number): number {
  return Math.round(value * 1e9) / 1e9
}
