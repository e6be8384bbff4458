import { describe, expect, it } from 'vitest'
import { InferdError } from '../../errors/inferd-error.js'
import { featureColumns, featureWidth, recordsToFeatures, type TabularSpec, validateTabularSpec } from './tabular.js'

const spec: TabularSpec = {
  features: [
    { name: 'amount', kind: 'numeric', scale: { mean: 100, std: 50 } },
    { name: 'age', kind: 'numeric', scale: { min: 18, max: 98 }, missing: 58 },
    { name: 'score', kind: 'numeric' },
    { name: 'country', kind: 'categorical', categories: ['DE', 'FR', 'US'] },
    { name: 'device', kind: 'categorical', categories: ['ios', 'android'], unknown: 'ignore' },
    { name: 'returning', kind: 'boolean' },
  ],
}

const good = { amount: 150, age: 38, score: 0.25, country: 'FR', device: 'ios', returning: true }

const failsWith = (records: unknown[], message: string, s: TabularSpec = spec): void => {
  let err: unknown
  try { recordsToFeatures(records, s, 'tx') } catch (e) { err = e }
  expect(err).toBeInstanceOf(InferdError)
  expect((err as InferdError).code).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
  expect((err as InferdError).message).toBe(`tensor 'tx': ${message}`)
}

describe('recordsToFeatures', () => {
  it('scales, one-hot encodes and flattens records row by row', () => {
    const out = recordsToFeatures([good, { ...good, amount: 0, age: 98, country: 'US', device: 'android', returning: false, id: 'ignored' }], spec)
    expect(out.width).toBe(9)
    expect(out.shape).toEqual([2, 9])
    expect(out.datatype).toBe('FP32')
    expect(Array.from(out.data)).toEqual([
      1, 0.25, 0.25, 0, 1, 0, 1, 0, 1,
      -2, 1, 0.25, 0, 0, 1, 0, 1, 0,
    ])
  })

  it('gives an empty [0, width] matrix for no records', () => {
    const out = recordsToFeatures([], spec)
    expect(out.shape).toEqual([0, 9])
    expect(out.data.length).toBe(0)
  })

  it('fills missing numbers per policy: a fixed value (then scaled) or the training mean', () => {
    const s: TabularSpec = { features: [{ name: 'x', kind: 'numeric', scale: { mean: 10, std: 2 }, missing: 'mean' }, spec.features[1]!] }
    const out = recordsToFeatures([{ x: null }, {}], s)
    expect(Array.from(out.data)).toEqual([0, 0.5, 0, 0.5])
  })

  it('leaves an unknown category all-zero under unknown: ignore', () => {
    const out = recordsToFeatures([{ ...good, device: 'windows' }], spec)
    expect(Array.from(out.data.subarray(6, 8))).toEqual([0, 0])
  })

  it('names the record and field for each kind of bad input', () => {
    failsWith([good, good, good, { ...good, amount: undefined }], "record 3: field 'amount' is missing")
    failsWith([{ ...good, country: 'XX' }], "record 0: field 'country' is 'XX', not one of DE, FR, US")
    failsWith([good, good, { ...good, age: '38' }], "record 2: field 'age' must be a number, got string")
    failsWith([{ ...good, score: Number.NaN }], "record 0: field 'score' must be a finite number, got NaN")
    failsWith([{ ...good, country: 3 }], "record 0: field 'country' must be a string, got number")
    failsWith([{ ...good, country: null }], "record 0: field 'country' is missing")
    failsWith([{ ...good, returning: 'yes' }], "record 0: field 'returning' must be a boolean, got string")
    failsWith([{ ...good, returning: undefined }], "record 0: field 'returning' is missing")
    failsWith([good, [1, 2]], 'record 1: must be an object, got array')
    failsWith([null], 'record 0: must be an object, got null')
    failsWith([{ ...good, amount: [1] }], "record 0: field 'amount' must be a number, got array")
  })

  it('turns ISO dates into scaled fractional years, with the numeric missing policies', () => {
    const s: TabularSpec = {
      features: [
        { name: 'made', kind: 'date', scale: { mean: 1980, std: 2 }, missing: 'mean' },
        { name: 'seen', kind: 'date', missing: 2000 },
      ],
    }
    const out = recordsToFeatures([{ made: '1982-01-01', seen: '2001-07-02T12:00:00Z' }, { made: null }], s)
    expect(Array.from(out.data)).toEqual([1, 2001.5, 0, 2000])
  })

  it('refuses dates that are not ISO 8601 strings, naming the field', () => {
    const s: TabularSpec = { features: [{ name: 'made', kind: 'date' }] }
    const layout = 'not an ISO 8601 date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)'
    failsWith([{ made: '1982-01-01' }, { made: '01/02/1982' }], `record 1: field 'made' is '01/02/1982', ${layout}`, s)
    failsWith([{ made: '1982-02-30' }], `record 0: field 'made' is '1982-02-30', ${layout}`, s)
    failsWith([{ made: 1982 }], "record 0: field 'made' must be an ISO 8601 date string, got number", s)
    failsWith([{}], "record 0: field 'made' is missing", s)
  })

  it('does not read inherited properties as fields', () => {
    failsWith([{}], "record 0: field 'toString' is missing", { features: [{ name: 'toString', kind: 'boolean' }] })
  })
})

describe('featureWidth / featureColumns', () => {
  it('lists one column per number or boolean and one per category', () => {
    expect(featureWidth(spec)).toBe(9)
    expect(featureColumns(spec)).toEqual(['amount', 'age', 'score', 'country=DE', 'country=FR', 'country=US', 'device=ios', 'device=android', 'returning'])
  })
})

describe('validateTabularSpec', () => {
  const bad = (value: unknown, message: string): void => {
    expect(() => validateTabularSpec(value, 'fraud')).toThrow(`model 'fraud': tabular preprocessing: ${message}`)
  }
  const one = (f: Record<string, unknown>): unknown => ({ features: [f] })

  it('accepts a valid spec as is', () => {
    expect(validateTabularSpec(spec, 'fraud')).toBe(spec)
  })

  it('rejects each kind of mistake with a message naming the feature', () => {
    bad([], "must be a mapping with a 'features' list")
    bad({ features: [] }, "'features' is empty")
    bad({ features: ['amount'] }, 'features[0] must be a mapping')
    bad(one({ kind: 'boolean' }), "features[0] needs a non-empty 'name'")
    bad({ features: [{ name: 'a', kind: 'boolean' }, { name: 'a', kind: 'boolean' }] }, "feature 'a' appears twice")
    bad(one({ name: 'a', kind: 'text' }), "feature 'a': 'kind' must be one of numeric, date, categorical, boolean")
    bad(one({ name: 'a', kind: 'toString' }), "feature 'a': 'kind' must be one of numeric, date, categorical, boolean")
    bad(one({ name: 'd', kind: 'date', categories: ['x'] }), "feature 'd': field 'categories' does not apply to kind date")
    bad(one({ name: 'd', kind: 'date', scale: { mean: 1990, std: -1 } }), "feature 'd': 'scale' {mean, std} needs a finite mean and a std > 0")
    bad(one({ name: 'd', kind: 'date', missing: 'mean' }), "feature 'd': missing: mean needs scale: {mean, std}")
    bad(one({ name: 'a', kind: 'boolean', missing: 0 }), "feature 'a': field 'missing' does not apply to kind boolean")
    bad(one({ name: 'a', kind: 'numeric', scale: { mean: 1, std: 0 } }), "feature 'a': 'scale' {mean, std} needs a finite mean and a std > 0")
    bad(one({ name: 'a', kind: 'numeric', scale: { min: 5, max: 5 } }), "feature 'a': 'scale' {min, max} needs finite bounds with max > min")
    bad(one({ name: 'a', kind: 'numeric', scale: { lo: 1 } }), "feature 'a': 'scale' must be {mean, std} or {min, max}")
    bad(one({ name: 'a', kind: 'numeric', missing: 'zero' }), "feature 'a': 'missing' must be error, mean or a number")
    bad(one({ name: 'a', kind: 'numeric', scale: { min: 0, max: 1 }, missing: 'mean' }), "feature 'a': missing: mean needs scale: {mean, std}")
    bad(one({ name: 'c', kind: 'categorical', categories: [] }), "feature 'c': 'categories' must be a non-empty list of strings")
    bad(one({ name: 'c', kind: 'categorical', categories: ['a', 1] }), "feature 'c': 'categories' must be a non-empty list of strings")
    bad(one({ name: 'c', kind: 'categorical', categories: ['a', 'a'] }), "feature 'c': 'categories' has duplicates")
    bad(one({ name: 'c', kind: 'categorical', categories: ['a'], unknown: 'zero' }), "feature 'c': 'unknown' must be error or ignore")
  })
})
