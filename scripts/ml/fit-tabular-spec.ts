import { isoDateToYear } from '../../src/pipeline/processors/tabular-date.js'
import { type TabularFeature, type TabularSpec, validateTabularSpec } from '../../src/pipeline/processors/tabular-spec.js'

/**
 * What a training script says about a feature before seeing data; {@link fitTabularSpec} turns
 * it into the TabularSpec saved with the model by measuring the training rows (scale
 * statistics, the list of categories).
 */
export type FeatureDeclaration =
  | {
    readonly name: string
    readonly kind: 'numeric' | 'date'
    /** `standard` (default): `{mean, std}` of the training rows; `none`: the raw value. */
    readonly scale?: 'standard' | 'none'
    readonly missing?: 'error' | 'mean' | number
  }
  | {
    readonly name: string
    readonly kind: 'categorical'
    readonly unknown?: 'error' | 'ignore'
    /**
     * Categories seen fewer times than this in the training rows get no column of their own
     * (they encode as all-zero, like an unknown one), so a model does not learn a weight from
     * three rows. Needs `unknown: 'ignore'`. Default 1: every category seen.
     */
    readonly minCount?: number
  }
  | { readonly name: string; readonly kind: 'boolean' }

/**
 * Rounds a fitted statistic to 6 significant digits: config.yaml stays readable, and since the
 * rounded spec is the one training uses and the one saved, serving still reproduces training
 * exactly.
 */
export function roundStat (x: number): number {
  return Number(x.toPrecision(6))
}

/** A value read for fitting; undefined when missing. Mistyped training data is a bug: throw. */
function value (record: Record<string, unknown>, d: FeatureDeclaration, row: number): unknown {
  const v = Object.hasOwn(record, d.name) ? record[d.name] : undefined
  if (v === undefined || v === null) return undefined
  const bad = (want: string): never => { throw new Error(`training record ${row}: '${d.name}' is ${JSON.stringify(v)}, expected ${want}`) }
  switch (d.kind) {
    case 'numeric': return typeof v === 'number' && Number.isFinite(v) ? v : bad('a finite number')
    case 'date': return (typeof v === 'string' ? isoDateToYear(v) : undefined) ?? bad('an ISO 8601 date')
    case 'categorical': return typeof v === 'string' ? v : bad('a string')
    case 'boolean': return typeof v === 'boolean' ? v : bad('a boolean')
  }
}

/**
 * Fits the tabular preprocessing spec on training records only (never on held-out rows, whose
 * statistics the model must not see).
 *
 * @example
 * const spec = fitTabularSpec(trainRecords, [
 *   { name: 'Horsepower', kind: 'numeric', missing: 'mean' },
 *   { name: 'Origin', kind: 'categorical' },
 * ])
 */
export function fitTabularSpec (records: readonly Record<string, unknown>[], declarations: readonly FeatureDeclaration[]): TabularSpec {
  const features = declarations.map((d): TabularFeature => {
    const values = records.map((r, i) => value(r, d, i)).filter((v) => v !== undefined)
    if (d.kind === 'boolean') return { name: d.name, kind: 'boolean' }
    if (d.kind === 'categorical') {
      const counts = new Map<string, number>()
      for (const v of values as string[]) counts.set(v, (counts.get(v) ?? 0) + 1)
      const minCount = d.minCount ?? 1
      if (minCount > 1 && d.unknown !== 'ignore') throw new Error(`feature '${d.name}': minCount needs unknown: 'ignore'`)
      // Sorted, so the column order does not depend on the order of the rows.
      const categories = [...counts].filter(([, n]) => n >= minCount).map(([c]) => c).sort()
      if (categories.length === 0) throw new Error(`feature '${d.name}': no category seen ${minCount} times`)
      return { name: d.name, kind: 'categorical', categories, ...(d.unknown === undefined ? {} : { unknown: d.unknown }) }
    }
    const numbers = values as number[]
    const missing = d.missing === undefined ? {} : { missing: d.missing }
    if (d.scale === 'none') return { name: d.name, kind: d.kind, ...missing }
    if (numbers.length === 0) throw new Error(`feature '${d.name}': no values in the training rows`)
    const mean = numbers.reduce((a, b) => a + b, 0) / numbers.length
    const variance = numbers.reduce((a, b) => a + (b - mean) ** 2, 0) / numbers.length
    // A constant column keeps std 1 (it maps to 0); the validator requires std > 0.
    const std = variance > 0 ? roundStat(Math.sqrt(variance)) : 1
    return { name: d.name, kind: d.kind, scale: { mean: roundStat(mean), std }, ...missing }
  })
  // The same check the server runs at load time, so a spec it would refuse is never saved.
  return validateTabularSpec({ features }, 'training')
}
