import { describe, expect, it } from 'vitest'
import { recordsToFeatures } from '../../src/pipeline/processors/tabular.js'
import { fitTabularSpec, roundStat } from './fit-tabular-spec.js'

const records = [
  { power: 100, made: '1970-01-01', origin: 'USA', turbo: false },
  { power: null, made: '1972-01-01', origin: 'Japan', turbo: true },
  { power: 200, made: '1974-01-01', origin: 'USA', turbo: false },
  { made: '1976-01-01', origin: 'Europe', turbo: false },
]

describe('fitTabularSpec', () => {
  it('measures scale statistics on present values and lists categories sorted', () => {
    const spec = fitTabularSpec(records, [
      { name: 'power', kind: 'numeric', missing: 'mean' },
      { name: 'made', kind: 'date' },
      { name: 'raw', kind: 'numeric', scale: 'none', missing: 0 },
      { name: 'origin', kind: 'categorical' },
      { name: 'turbo', kind: 'boolean' },
    ])
    expect(spec.features).toEqual([
      { name: 'power', kind: 'numeric', scale: { mean: 150, std: 50 }, missing: 'mean' },
      { name: 'made', kind: 'date', scale: { mean: 1973, std: roundStat(Math.sqrt(5)) } },
      { name: 'raw', kind: 'numeric', missing: 0 },
      { name: 'origin', kind: 'categorical', categories: ['Europe', 'Japan', 'USA'] },
      { name: 'turbo', kind: 'boolean' },
    ])
  })

  it('drops rare categories under minCount, which then encode as all-zero', () => {
    const spec = fitTabularSpec(records, [{ name: 'origin', kind: 'categorical', unknown: 'ignore', minCount: 2 }])
    expect(spec.features).toEqual([{ name: 'origin', kind: 'categorical', categories: ['USA'], unknown: 'ignore' }])
    expect(Array.from(recordsToFeatures(records, spec).data)).toEqual([1, 0, 1, 0])
    expect(() => fitTabularSpec(records, [{ name: 'origin', kind: 'categorical', minCount: 2 }])).toThrow("minCount needs unknown: 'ignore'")
  })

  it('throws on mistyped training values and on specs the server would refuse', () => {
    expect(() => fitTabularSpec([{ power: '100' }], [{ name: 'power', kind: 'numeric' }])).toThrow("training record 0: 'power' is \"100\", expected a finite number")
    expect(() => fitTabularSpec([{ made: '1/1/1970' }], [{ name: 'made', kind: 'date' }])).toThrow('expected an ISO 8601 date')
    expect(() => fitTabularSpec([{}], [{ name: 'power', kind: 'numeric' }])).toThrow("feature 'power': no values in the training rows")
    expect(() => fitTabularSpec(records, [{ name: 'power', kind: 'numeric', scale: 'none', missing: 'mean' }])).toThrow('missing: mean needs scale: {mean, std}')
  })

  it('rounds statistics to 6 significant digits', () => {
    expect(roundStat(1975.987654321)).toBe(1975.99)
    expect(roundStat(0.000123456789)).toBe(0.000123457)
  })
})
