import { parse as parseLossless } from 'lossless-json'
import { Errors } from '../../../errors/codes.js'
import { InferdError } from '../../../errors/inferd-error.js'

/**
 * Request JSON text → plain JS values, with integers beyond 2^53 kept exact.
 *
 * Values are what `JSON.parse` gives, except that an integer literal whose magnitude exceeds
 * `Number.MAX_SAFE_INTEGER` becomes a `bigint` (9223372036854775807 and 18446744073709551615
 * arrive exactly). Non-integer literals stay numbers, even if long (0.10000000149011612).
 *
 * Cost. `JSON.parse` is the fast path. The lossless parser is 3–9× slower, so it runs only when
 * the fast result may have lost digits. Deciding that by scanning the text for runs of 16+ digits
 * was measured and rejected: float32 data printed at full precision ("0.10000000149011612") is
 * full of such runs, and a regex/loop scan of integer-dense text cost more than JSON.parse itself
 * (250k INT32: parse 10 ms, scan 12–29 ms). Instead:
 *   - {@link parseJsonText} parses fast, then walks the result for a number ≥ 2^53 in magnitude
 *     (every lossy integer literal parses to one; ~2.5 ms per 250k numbers), and only then
 *     re-parses exactly;
 *   - the inference decoder avoids even that walk: it parses with {@link parseJsonFast} and, the
 *     first time it meets such a number where an integer is expected, throws {@link REPARSE_EXACT}
 *     and starts again from {@link parseJsonExact}. Floats never trigger it.
 *
 * Non-finite literals. Triton parses (rapidjson kParseNanAndInfFlag) and writes `NaN`, `Inf`,
 * `Infinity`, `-Inf` and `-Infinity` as bare tokens, and its Python clients send them for NaN
 * data. They are not JSON, so they are accepted only after a strict parse failed: the tokens
 * outside strings are swapped for marker strings, the text re-parsed, and a reviver turns the
 * markers back into numbers. Well-formed requests never take that path.
 *
 * Malformed text → `INFERD_ERR_REQ_BODY_INVALID` with a positioned message ("… at position 12"),
 * produced by the lossless parser (V8's own messages quote the body and often omit the position).
 * One known difference between the paths: the lossless parser rejects a key repeated with a
 * different value, which `JSON.parse` resolves last-wins; it only matters for a body that also
 * holds an unsafe integer.
 */

/** A parsed JSON value: as from `JSON.parse`, with `bigint` for integers beyond 2^53. */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue }

/**
 * Thrown by readers that met, after {@link parseJsonFast}, a number that may be a rounded integer
 * literal where an exact integer matters. The caller re-parses with {@link parseJsonExact}.
 * A preallocated sentinel, not an error: it never leaves the decoder.
 *
 * @internal
 */
export const REPARSE_EXACT: unique symbol = Symbol('inferd.json.reparse-exact')

/** True when a number from the fast parse might be a rounded integer literal. */
export function mayBeRounded (n: number): boolean {
  return n > Number.MAX_SAFE_INTEGER || n < -Number.MAX_SAFE_INTEGER
}

/** Parses with `JSON.parse` (plus the non-finite fallback); integers beyond 2^53 may be rounded. */
export function parseJsonFast (text: string): JsonValue {
  return parseWith(text, strictFast)
}

/** Parses with integers beyond 2^53 returned as exact `bigint`s. */
export function parseJsonExact (text: string): JsonValue {
  return parseWith(text, strictExact)
}

/** Parses exactly, paying for the lossless parser only when the fast result holds a number ≥ 2^53. */
export function parseJsonText (text: string): JsonValue {
  const fast = parseJsonFast(text)
  return holdsUnsafeNumber(fast) ? parseJsonExact(text) : fast
}

type Reviver = (key: string, value: unknown) => unknown
type StrictParser = (text: string, reviver?: Reviver) => JsonValue

const strictFast: StrictParser = (text, reviver) => JSON.parse(text, reviver) as JsonValue
const strictExact: StrictParser = (text, reviver) => parseLossless(text, reviver ?? null, exactNumber) as JsonValue

const INTEGER_LITERAL = /^-?\d+$/

function exactNumber (literal: string): number | bigint {
  const n = Number(literal)
  if (Number.isSafeInteger(n) || !INTEGER_LITERAL.test(literal)) return n
  return BigInt(literal)
}

function holdsUnsafeNumber (v: JsonValue): boolean {
  if (typeof v === 'number') return mayBeRounded(v)
  if (typeof v !== 'object' || v === null) return false
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const e = v[i]
      if (typeof e === 'number') {
        if (mayBeRounded(e)) return true
      } else if (typeof e === 'object' && e !== null && holdsUnsafeNumber(e)) {
        return true
      }
    }
    return false
  }
  for (const key in v) if (holdsUnsafeNumber(v[key] as JsonValue)) return true
  return false
}

function parseWith (text: string, parser: StrictParser): JsonValue {
  try {
    return parser(text)
  } catch (strictError) {
    const relaxed = relaxNonFinite(text)
    if (relaxed !== undefined) {
      try {
        return parser(relaxed.text, reviveNonFinite)
      } catch { /* reported below, positions mapped back to the original text */ }
    }
    throw new InferdError(Errors.REQ_BODY_INVALID, [syntaxMessage(text, relaxed, strictError)], { cause: strictError })
  }
}

// ---- non-finite tokens ------------------------------------------------------------------------

// Marker strings carry a NUL so that ordinary strings do not collide with them by accident; a
// client that deliberately sends one gets a NaN/±Infinity, the same as sending the bare token.
const MARK_NAN = '\u0000inferd:NaN'
const MARK_POS_INF = '\u0000inferd:+Inf'
const MARK_NEG_INF = '\u0000inferd:-Inf'
const MARKER_VALUE: ReadonlyMap<string, number> = new Map([
  [MARK_NAN, NaN], [MARK_POS_INF, Infinity], [MARK_NEG_INF, -Infinity],
])
const TOKENS: ReadonlyArray<readonly [string, string]> = [
  ['-Infinity', MARK_NEG_INF], ['Infinity', MARK_POS_INF], ['-Inf', MARK_NEG_INF],
  ['Inf', MARK_POS_INF], ['NaN', MARK_NAN],
]

const reviveNonFinite: Reviver = (_key, value) =>
  typeof value === 'string' && value.charCodeAt(0) === 0 ? (MARKER_VALUE.get(value) ?? value) : value

interface Relaxed {
  readonly text: string
  /** Per replacement: its offset in the relaxed text, and how much longer it made the text. */
  readonly shifts: ReadonlyArray<readonly [number, number]>
}

/** Swaps the non-finite tokens outside strings for marker strings; undefined when there are none. */
function relaxNonFinite (text: string): Relaxed | undefined {
  let out = ''
  let from = 0
  let inString = false
  const shifts: Array<[number, number]> = []
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped char
      else if (c === 0x22) inString = false
      continue
    }
    if (c === 0x22) { inString = true; continue }
    if (c !== 0x4e && c !== 0x49 && c !== 0x2d) continue // 'N', 'I', '-'
    for (const [token, marker] of TOKENS) {
      if (!text.startsWith(token, i) || isWordChar(text.charCodeAt(i + token.length))) continue
      out += text.slice(from, i)
      const quoted = JSON.stringify(marker)
      shifts.push([out.length, quoted.length - token.length])
      out += quoted
      from = i + token.length
      i = from - 1
      break
    }
  }
  if (shifts.length === 0) return undefined
  return { text: out + text.slice(from), shifts }
}

function isWordChar (c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f
}

// ---- error messages ---------------------------------------------------------------------------

const POSITION = /position (\d+)/

function syntaxMessage (text: string, relaxed: Relaxed | undefined, strictError: unknown): string {
  const source = relaxed?.text ?? text
  try {
    parseLossless(source, relaxed === undefined ? null : reviveNonFinite)
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    if (relaxed === undefined) return message
    return message.replace(POSITION, (_all, pos: string) => `position ${originalPosition(Number(pos), relaxed)}`)
  }
  // The lossless parser accepted what JSON.parse refused (should not happen): keep V8's words.
  return strictError instanceof Error ? strictError.message : String(strictError)
}

function originalPosition (pos: number, relaxed: Relaxed): number {
  let shift = 0
  for (const [at, grew] of relaxed.shifts) {
    if (at >= pos) break
    shift += grew
  }
  return pos - shift
}
