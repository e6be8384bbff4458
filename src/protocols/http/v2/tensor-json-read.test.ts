import { describe, expect, it } from 'vitest'
import type { DataType } from '../../../core/dtype.js'
import { InferdError } from '../../../errors/inferd-error.js'
import { type JsonValue, parseJsonExact, REPARSE_EXACT } from './json-text.js'
import { readJsonTensorData } from './tensor-json-read.js'
import { catchInferdError as failure } from '../../../../test/helpers/catch-inferd-error.js'

function read (datatype: DataType, shape: number[], data: JsonValue[], exact = true): unknown {
  return readJsonTensorData('x', datatype, shape, data, exact)
}


describe('readJsonTensorData: values per datatype', () => {
  it('reads integers of every width at their limits', () => {
    expect(read('INT8', [2], [-128, 127])).toEqual(new Int8Array([-128, 127]))
    expect(read('UINT8', [2], [0, 255])).toEqual(new Uint8Array([0, 255]))
    expect(read('INT16', [2], [-32768, 32767])).toEqual(new Int16Array([-32768, 32767]))
    expect(read('UINT16', [2], [0, 65535])).toEqual(new Uint16Array([0, 65535]))
    expect(read('INT32', [2], [-2147483648, 2147483647])).toEqual(new Int32Array([-2147483648, 2147483647]))
    expect(read('UINT32', [2], [0, 4294967295])).toEqual(new Uint32Array([0, 4294967295]))
  })

  it('reads INT64 and UINT64 over their full ranges, exactly', () => {
    const i64 = parseJsonExact('[-9223372036854775808, 9223372036854775807, -1, 9007199254740993]') as JsonValue[]
    expect(read('INT64', [4], i64)).toEqual(new BigInt64Array([-9223372036854775808n, 9223372036854775807n, -1n, 9007199254740993n]))
    const u64 = parseJsonExact('[0, 18446744073709551615, 1e19]') as JsonValue[]
    expect(read('UINT64', [3], u64)).toEqual(new BigUint64Array([0n, 18446744073709551615n, 10000000000000000000n]))
  })

  it('accepts integral floats (1.0 is 1) for integer types', () => {
    expect(read('INT32', [1], [JSON.parse('3.0') as number])).toEqual(new Int32Array([3]))
  })

  it.each([
    ['INT8', 128, 'element 0: 128 is out of range for INT8 (-128 to 127)'],
    ['INT8', -129, 'element 0: -129 is out of range for INT8 (-128 to 127)'],
    ['UINT8', -1, 'element 0: -1 is out of range for UINT8 (0 to 255)'],
    ['UINT16', 65536, 'element 0: 65536 is out of range for UINT16 (0 to 65535)'],
    ['INT32', 2147483648, 'element 0: 2147483648 is out of range for INT32 (-2147483648 to 2147483647)'],
    ['UINT32', 4294967296, 'element 0: 4294967296 is out of range for UINT32 (0 to 4294967295)'],
    ['INT32', 1.5, 'element 0: 1.5 is not an integer'],
    ['INT16', 'abc', 'element 0: "abc" is not an integer'],
    ['UINT8', true, 'element 0: true is not an integer'],
    ['INT8', null, 'element 0: null is not an integer'],
  ] as const)('refuses %s element %j', (datatype, value, detail) => {
    const e = failure(() => read(datatype, [1], [value]))
    expect(e.code).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
    expect(e.message).toBe(`tensor 'x': ${detail}`)
  })

  it('refuses 64-bit integers out of range, naming the exact value', () => {
    const over = parseJsonExact('[9223372036854775808]') as JsonValue[]
    expect(failure(() => read('INT64', [1], over)).message)
      .toBe("tensor 'x': element 0: 9223372036854775808 is out of range for INT64 (-9223372036854775808 to 9223372036854775807)")
    const neg = failure(() => read('UINT64', [2], [1, -1]))
    expect(neg.message).toBe("tensor 'x': element 1: -1 is out of range for UINT64 (0 to 18446744073709551615)")
    expect(failure(() => read('UINT64', [1], parseJsonExact('[18446744073709551616]') as JsonValue[])).message)
      .toMatch(/18446744073709551616 is out of range for UINT64/)
    expect(failure(() => read('INT64', [1], [0.5])).message).toBe("tensor 'x': element 0: 0.5 is not an integer")
  })

  it('asks for an exact re-parse when a fast-parsed number may be a rounded integer', () => {
    let thrown: unknown
    try { read('INT64', [1], [9223372036854775808], false) } catch (e) { thrown = e }
    expect(thrown).toBe(REPARSE_EXACT)
    try { read('INT32', [1], [1e20], false) } catch (e) { thrown = e }
    expect(thrown).toBe(REPARSE_EXACT)
    // floats never need it
    expect(read('FP64', [1], [1e20], false)).toEqual(new Float64Array([1e20]))
  })

  it('reads floats, rounding FP32 and keeping non-finite values', () => {
    const f32 = read('FP32', [4], [0.1, -2, NaN, 1e39]) as Float32Array
    expect(Array.from(f32.slice(0, 2))).toEqual([Math.fround(0.1), -2])
    expect(f32[2]).toBeNaN()
    expect(f32[3]).toBe(Infinity)
    expect(read('FP64', [3], [0.1, 5e-324, -Infinity])).toEqual(new Float64Array([0.1, 5e-324, -Infinity]))
    expect(read('FP64', [1], [12345678901234567890n])).toEqual(new Float64Array([12345678901234567890]))
  })

  it('reads FP16 and BF16 numbers as their 16-bit patterns', () => {
    expect(read('FP16', [5], [1, -2, 65504, 2 ** -24, 0.1])).toEqual(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x2e66]))
    expect(read('BF16', [3], [1, -2, 3.140625])).toEqual(new Uint16Array([0x3f80, 0xc000, 0x4049]))
  })

  it('reads BOOL from true/false and from 0/1, and nothing else', () => {
    expect(read('BOOL', [4], [true, false, 1, 0])).toEqual(new Uint8Array([1, 0, 1, 0]))
    expect(failure(() => read('BOOL', [1], [2])).message).toBe("tensor 'x': element 0: 2 is not a boolean (true, false, 1 or 0)")
    expect(failure(() => read('BOOL', [1], ['true'])).message).toBe('tensor \'x\': element 0: "true" is not a boolean (true, false, 1 or 0)')
  })

  it('reads BYTES strings as UTF-8, including empty and non-ASCII ones', () => {
    const out = read('BYTES', [4], ['', 'héllo', '日本', '🎉']) as Uint8Array[]
    expect(out.map((b) => Buffer.from(b).toString('hex'))).toEqual(['', '68c3a96c6c6f', 'e697a5e69cac', 'f09f8e89'])
    expect(failure(() => read('BYTES', [1], [5])).message).toBe("tensor 'x': element 0: 5 is not a string")
  })

  it('refuses non-numbers for floats, describing long strings briefly', () => {
    const long = 'a'.repeat(100)
    expect(failure(() => read('FP32', [2], [1, long])).message).toBe(`tensor 'x': element 1: "${'a'.repeat(40)}…" is not a number`)
    expect(failure(() => read('FP16', [1], [{}])).message).toBe("tensor 'x': element 0: an object is not a number")
  })
})

describe('readJsonTensorData: layout', () => {
  it('checks the flat element count against the shape', () => {
    const e = failure(() => read('FP32', [2, 3], [1, 2, 3, 4, 5]))
    expect(e.code).toBe('INFERD_ERR_TENSOR_SIZE_MISMATCH')
    expect(e.message).toBe("tensor 'x': shape [2,3] needs 6 elements, got 5")
  })

  it('reads a scalar shape [] from a one-element array, and empty tensors', () => {
    expect(read('INT32', [], [7])).toEqual(new Int32Array([7]))
    expect(read('INT32', [0, 3], [])).toEqual(new Int32Array(0))
    expect(read('INT32', [2, 0], [[], []])).toEqual(new Int32Array(0))
  })

  it('accepts full nesting and partial nesting (leading dims kept, the rest flat)', () => {
    const want = new Int32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    expect(read('INT32', [2, 2, 3], [[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]])).toEqual(want)
    expect(read('INT32', [2, 2, 3], [[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]])).toEqual(want)
    expect(read('INT32', [2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])).toEqual(want)
    expect(read('BYTES', [2, 1], [['a'], ['b']])).toEqual([new Uint8Array([0x61]), new Uint8Array([0x62])])
  })

  it('refuses nesting that does not follow the shape, naming where', () => {
    let e = failure(() => read('INT32', [2, 3], [[1, 2, 3], [4, 5]]))
    expect(e.code).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
    expect(e.message).toBe("tensor 'x': data[1] holds 2 elements where shape [2,3] needs 3")
    e = failure(() => read('INT32', [2, 3], [[1, 2, 3, 4, 5, 6]]))
    expect(e.message).toBe("tensor 'x': data holds 1 element where shape [2,3] needs 2")
    e = failure(() => read('INT32', [2, 2], [[1, 2], 3]))
    expect(e.message).toBe("tensor 'x': data[1] is not an array, but the data is nested 2 levels deep elsewhere")
    e = failure(() => read('INT32', [2], [[1], [2]]))
    expect(e.message).toBe("tensor 'x': data is nested 2 levels deep but shape [2] has only 1 dimension")
    e = failure(() => read('INT32', [4], [1, 2, [3], 4]))
    expect(e.message).toBe("tensor 'x': element 2: an array is not an integer")
  })

  it('does not allocate for a huge declared shape that the data does not fill', () => {
    const e = failure(() => read('FP64', [1e9, 1e9], [[1], [2]]))
    expect(e.message).toBe("tensor 'x': data holds 2 elements where shape [1000000000,1000000000] needs 1000000000")
  })

  it('reports flat element indices inside nested data', () => {
    expect(failure(() => read('UINT8', [2, 2], [[1, 2], [3, 300]])).message)
      .toBe("tensor 'x': element 3: 300 is out of range for UINT8 (0 to 255)")
  })
})
