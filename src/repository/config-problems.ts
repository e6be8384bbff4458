import type { TSchema } from '@sinclair/typebox'
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors'
import { expectedOf } from './model-config-schema.js'

/**
 * Turning schema mismatches into messages a person can act on: a field path written the way the
 * YAML reads (`input[0].data_type`), the problem, and for a misspelt field the closest known name.
 * @internal
 */

/** One thing wrong with a config, at a field path. */
export interface ConfigProblem {
  readonly path: string
  readonly problem: string
}

/** At most this many problems are reported at once; the first usually explains the rest. */
export const MAX_PROBLEMS = 3

/** `/input/0/data_type` (a JSON pointer) → `input[0].data_type`, reading the value to tell arrays from maps. */
export function fieldPath (pointer: string, root: unknown): string {
  if (pointer === '') return '(top level)'
  let out = ''
  let node: unknown = root
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    if (Array.isArray(node)) out += `[${key}]`
    else out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? (out === '' ? key : `.${key}`) : `[${JSON.stringify(key)}]`
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined
  }
  return out
}

/** A short rendering of a value for a message (`1.5`, `"FLOAT"`, `an object`). */
export function describeValue (value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'an object'
  const text = JSON.stringify(value)
  return text.length > 40 ? `${text.slice(0, 37)}...` : text
}

/** The problem text for one schema error. */
export function schemaProblem (error: ValueError, root: unknown): ConfigProblem {
  const path = fieldPath(error.path, root)
  const key = error.path.slice(error.path.lastIndexOf('/') + 1)
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      const expected = expectedOf(error.schema)
      if (expected !== undefined) return { path, problem: `unexpected key '${key}' (expected ${expected})` }
      const hint = closestName(key, knownFields(error.schema))
      return { path, problem: `unknown field '${key}'${hint === undefined ? '' : ` (did you mean '${hint}'?)`}` }
    }
    case ValueErrorType.ObjectRequiredProperty:
      return { path, problem: 'is required' }
    case ValueErrorType.Union:
      return { path, problem: `expected ${expectedOf(error.schema) ?? 'another form'}, got ${describeValue(error.value)}` }
    default:
      return { path, problem: `${error.message.charAt(0).toLowerCase()}${error.message.slice(1)}, got ${describeValue(error.value)}` }
  }
}

function knownFields (schema: TSchema): string[] {
  const properties: unknown = (schema as Record<string, unknown>)['properties']
  return typeof properties === 'object' && properties !== null ? Object.keys(properties) : []
}

/**
 * The known name closest to `name`: within edit distance 2 (3 for long names), or else the one
 * `name` abbreviates (`max_batch` → `max_batch_size`).
 */
export function closestName (name: string, known: readonly string[]): string | undefined {
  const limit = name.length > 8 ? 3 : 2
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) { best = candidate; bestDistance = d }
  }
  if (bestDistance <= limit) return best
  const lower = name.toLowerCase()
  const extended = known.filter((k) => lower.length >= 4 && k.toLowerCase().startsWith(lower))
  return extended.length === 1 ? extended[0] : undefined
}

function editDistance (a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost)
    }
    prev = row
  }
  return prev[b.length] ?? 0
}

/** `a: x; b: y (and 2 more problems)`: the first few problems, one message. */
export function joinProblems (problems: readonly ConfigProblem[]): string {
  const shown = problems.slice(0, MAX_PROBLEMS).map((p) => `${p.path}: ${p.problem}`).join('; ')
  const rest = problems.length - MAX_PROBLEMS
  return rest > 0 ? `${shown} (and ${rest} more ${rest === 1 ? 'problem' : 'problems'})` : shown
}
