import { describe, expect, it } from 'vitest'
import { catchInferdError } from '../../../test/helpers/catch-inferd-error.js'
import { itemsOf, jsonType, utf8Text } from './input-items.js'

/** One item or a list of them in a friendly field, and BYTES elements as text. */

const isString = (v: unknown): boolean => typeof v === 'string'

describe('itemsOf', () => {
  it('a single value is one item, not listed', () => {
    expect(itemsOf('text', 'hello', isString, 'text')).toEqual({ items: ['hello'], listed: false })
  })

  it('a list is its items, listed (even a list of one)', () => {
    expect(itemsOf('text', ['a', 'b'], isString, 'text')).toEqual({ items: ['a', 'b'], listed: true })
    expect(itemsOf('text', ['a'], isString, 'text')).toEqual({ items: ['a'], listed: true })
  })

  it('refuses an empty list, naming the field and what to send', () => {
    const err = catchInferdError(() => itemsOf('text', [], isString, 'text'))
    expect(err.code).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
    expect(err.message).toBe("tensor 'text': the list is empty; send text, or a list of them")
  })

  it('refuses a value of the wrong type, saying what it got', () => {
    const err = catchInferdError(() => itemsOf('text', 42, isString, 'text'))
    expect(err.message).toBe("tensor 'text': must be text (or a list of them), got number")
    expect(catchInferdError(() => itemsOf('text', null, isString, 'text')).message).toMatch(/got null$/)
    expect(catchInferdError(() => itemsOf('text', { a: 1 }, isString, 'text')).message).toMatch(/got object$/)
  })

  it('refuses a list with a bad item, naming its index', () => {
    const err = catchInferdError(() => itemsOf('text', ['ok', 'fine', ['nested']], isString, 'text'))
    expect(err.code).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
    expect(err.message).toBe("tensor 'text': item 2 must be text, got array")
  })
})

describe('jsonType', () => {
  it('names JSON types as a client would', () => {
    expect([null, [], {}, 'x', 1, true].map(jsonType)).toEqual(['null', 'array', 'object', 'string', 'number', 'boolean'])
  })
})

describe('utf8Text', () => {
  it('decodes valid UTF-8', () => {
    expect(utf8Text('text', new TextEncoder().encode('Grüße, мир'))).toBe('Grüße, мир')
  })

  it('refuses invalid UTF-8 instead of inventing replacement characters', () => {
    const err = catchInferdError(() => utf8Text('text', new Uint8Array([0x68, 0xc3, 0x28])))
    expect(err.code).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
    expect(err.message).toBe("tensor 'text': is not valid UTF-8 text")
  })
})
