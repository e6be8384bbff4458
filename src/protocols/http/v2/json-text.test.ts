import { describe, expect, it } from 'vitest'
import { InferdError } from '../../../errors/inferd-error.js'
import { parseJsonExact, parseJsonFast, parseJsonText } from './json-text.js'
import { catchInferdError as syntaxError } from '../../../../test/helpers/catch-inferd-error.js'


describe('parseJsonText', () => {
  it('keeps integers beyond 2^53 exact as bigint, and safe ones as numbers', () => {
    const v = parseJsonText('{"a":[9223372036854775807,-9223372036854775808,18446744073709551615,9007199254740991,9007199254740992,1.5]}')
    expect(v).toEqual({ a: [9223372036854775807n, -9223372036854775808n, 18446744073709551615n, 9007199254740991, 9007199254740992n, 1.5] })
  })

  it('leaves long fractional literals as numbers (no bigint for floats)', () => {
    expect(parseJsonText('[0.10000000149011612, 1e300, 12345678901234567890.5]')).toEqual([0.10000000149011612, 1e300, 12345678901234567890.5])
  })

  it('uses the fast result when nothing is unsafe (values identical to JSON.parse)', () => {
    const text = '{"id":"12345678901234567890","x":[1,2.5,-3],"b":true,"n":null}'
    expect(parseJsonText(text)).toEqual(JSON.parse(text))
  })

  it('rejects malformed JSON with REQ_BODY_INVALID and a positioned message', () => {
    const e = syntaxError(() => parseJsonText('{"inputs": [1, 2,, 3]}'))
    expect(e.code).toBe('INFERD_ERR_REQ_BODY_INVALID')
    expect(e.message).toMatch(/^invalid request body: .*position 17/)
    expect(syntaxError(() => parseJsonText('')).message).toMatch(/position 0/)
    expect(syntaxError(() => parseJsonText('{"a":1')).message).toMatch(/position 6/)
  })

  it('accepts Triton\'s non-finite tokens outside strings, and only there', () => {
    const v = parseJsonText('{"d":[NaN, Infinity, -Infinity, Inf, -Inf, 1], "s":"NaN Infinity"}') as { d: number[]; s: string }
    expect(v.d[0]).toBeNaN()
    expect(v.d.slice(1)).toEqual([Infinity, -Infinity, Infinity, -Infinity, 1])
    expect(v.s).toBe('NaN Infinity')
  })

  it('handles non-finite tokens and big integers together', () => {
    const v = parseJsonText('[NaN, 18446744073709551615]') as unknown[]
    expect(v[0]).toBeNaN()
    expect(v[1]).toBe(18446744073709551615n)
  })

  it('does not mistake words that start like the tokens', () => {
    const e = syntaxError(() => parseJsonText('[NaNa]'))
    expect(e.message).toMatch(/position 1/)
    expect(syntaxError(() => parseJsonText('[Infinit]')).code).toBe('INFERD_ERR_REQ_BODY_INVALID')
  })

  it('reports positions in the original text when the relaxed text fails too', () => {
    // the stray "," is at 9 in the original; the relaxed text is longer before it
    const e = syntaxError(() => parseJsonText('[NaN, 1, ,2]'))
    expect(e.message).toMatch(/position 9/)
  })

  it('copes with escaped quotes inside strings when looking for tokens', () => {
    const v = parseJsonText('["a\\"NaN", NaN]') as unknown[]
    expect(v[0]).toBe('a"NaN')
    expect(v[1]).toBeNaN()
  })
})

describe('parseJsonFast / parseJsonExact', () => {
  it('fast rounds big integers, exact keeps them', () => {
    expect(parseJsonFast('[9223372036854775807]')).toEqual([9223372036854775808])
    expect(parseJsonExact('[9223372036854775807]')).toEqual([9223372036854775807n])
  })
})
