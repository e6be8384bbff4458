import { Errors, InferdError } from '../../errors/index.js'

/** JSON's view of a value's type, for messages. */
export function jsonType (v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v
}

/**
 * A friendly field holding one item or a list of them, each checked by `isItem`. An empty list
 * is refused: a request with nothing to predict is almost certainly a client bug.
 *
 * @throws InferdError TENSOR_DATA_INVALID naming the field and what was expected.
 */
export function itemsOf (field: string, value: unknown, isItem: (v: unknown) => boolean, expected: string): { items: unknown[]; listed: boolean } {
  if (Array.isArray(value)) {
    if (value.length === 0) throw new InferdError(Errors.TENSOR_DATA_INVALID, [field, `the list is empty; send ${expected}, or a list of them`])
    value.forEach((v, i) => {
      if (!isItem(v)) throw new InferdError(Errors.TENSOR_DATA_INVALID, [field, `item ${i} must be ${expected}, got ${jsonType(v)}`])
    })
    return { items: value, listed: true }
  }
  if (!isItem(value)) throw new InferdError(Errors.TENSOR_DATA_INVALID, [field, `must be ${expected} (or a list of them), got ${jsonType(value)}`])
  return { items: [value], listed: false }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** A BYTES element as text; invalid UTF-8 is a 400 rather than replacement characters. */
export function utf8Text (field: string, bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes)
  } catch {
    throw new InferdError(Errors.TENSOR_DATA_INVALID, [field, 'is not valid UTF-8 text'])
  }
}
