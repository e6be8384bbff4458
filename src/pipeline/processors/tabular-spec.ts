import { Errors } from '../../errors/codes.js'
import { InferdError } from '../../errors/inferd-error.js'

/**
 * A number column. `scale` is the statistic saved at training time: `{ mean, std }` standardises,
 * `{ min, max }` maps the training range to 0–1. `missing` says what an absent or null value
 * becomes: an error (default), the training mean, or a fixed number (before scaling).
 */
export interface NumericFeature {
  readonly name: string
  readonly kind: 'numeric'
  readonly scale?: { readonly mean: number; readonly std: number } | { readonly min: number; readonly max: number }
  readonly missing?: 'error' | 'mean' | number
}

/**
 * A string column, one-hot encoded over `categories` in the order given (the model's column
 * order). A value outside them is an error, or with `unknown: 'ignore'` an all-zero block,
 * as scikit-learn's OneHotEncoder(handle_unknown='ignore') does.
 */
export interface CategoricalFeature {
  readonly name: string
  readonly kind: 'categorical'
  readonly categories: readonly string[]
  readonly unknown?: 'error' | 'ignore'
}

/**
 * A date column, sent as an ISO 8601 string ("1982-01-01", "2001-06-30T14:05:00Z"), used as one
 * number, the fractional year (see tabular-date.ts); `scale` and `missing` then work as for a
 * numeric feature, in years.
 */
export interface DateFeature {
  readonly name: string
  readonly kind: 'date'
  readonly scale?: NumericFeature['scale']
  readonly missing?: NumericFeature['missing']
}

/** A true/false column, as 1 or 0. */
export interface BooleanFeature {
  readonly name: string
  readonly kind: 'boolean'
}

export type TabularFeature = NumericFeature | DateFeature | CategoricalFeature | BooleanFeature

/** The preprocessing spec saved with a tabular model: its features, in input-column order. */
export interface TabularSpec {
  readonly features: readonly TabularFeature[]
}

const KEYS: Readonly<Record<TabularFeature['kind'], readonly string[]>> = {
  numeric: ['name', 'kind', 'scale', 'missing'],
  date: ['name', 'kind', 'scale', 'missing'],
  categorical: ['name', 'kind', 'categories', 'unknown'],
  boolean: ['name', 'kind'],
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

/**
 * Checks an untrusted value (from config.yaml or a JSON file next to the model) against
 * {@link TabularSpec}. Hand-written rather than a schema so each message names the feature
 * and says what to write instead, which is what an operator needs at load time.
 *
 * @throws InferdError MODEL_CONFIG_INVALID naming the feature and the problem.
 */
export function validateTabularSpec (value: unknown, model: string): TabularSpec {
  const fail = (what: string): never => { throw new InferdError(Errors.MODEL_CONFIG_INVALID, [model, `tabular preprocessing: ${what}`]) }
  if (!isRecord(value) || !Array.isArray(value.features)) return fail(`must be a mapping with a 'features' list`)
  if (value.features.length === 0) fail(`'features' is empty`)
  const seen = new Set<string>()
  value.features.forEach((f: unknown, i: number) => {
    const at = `features[${i}]`
    if (!isRecord(f)) return fail(`${at} must be a mapping`)
    if (typeof f.name !== 'string' || f.name === '') fail(`${at} needs a non-empty 'name'`)
    const where = `feature '${f.name as string}'`
    if (seen.has(f.name as string)) fail(`${where} appears twice`)
    seen.add(f.name as string)
    if (typeof f.kind !== 'string' || !Object.hasOwn(KEYS, f.kind)) return fail(`${where}: 'kind' must be one of ${Object.keys(KEYS).join(', ')}`)
    const kind = f.kind as TabularFeature['kind']
    for (const key of Object.keys(f)) if (!KEYS[kind].includes(key)) fail(`${where}: field '${key}' does not apply to kind ${kind}`)
    if (kind === 'numeric' || kind === 'date') checkNumeric(f, where, fail)
    if (kind === 'categorical') {
      const cats = f.categories
      if (!Array.isArray(cats) || cats.length === 0 || !cats.every((c) => typeof c === 'string')) fail(`${where}: 'categories' must be a non-empty list of strings`)
      if (new Set(cats as string[]).size !== (cats as string[]).length) fail(`${where}: 'categories' has duplicates`)
      if (f.unknown !== undefined && f.unknown !== 'error' && f.unknown !== 'ignore') fail(`${where}: 'unknown' must be error or ignore`)
    }
  })
  return value as unknown as TabularSpec
}

function checkNumeric (f: Record<string, unknown>, where: string, fail: (what: string) => never): void {
  const s = f.scale
  if (s !== undefined) {
    if (isRecord(s) && 'mean' in s) {
      if (!finite(s.mean) || !finite(s.std) || s.std <= 0 || Object.keys(s).length !== 2) fail(`${where}: 'scale' {mean, std} needs a finite mean and a std > 0`)
    } else if (isRecord(s) && 'min' in s) {
      if (!finite(s.min) || !finite(s.max) || s.max <= s.min || Object.keys(s).length !== 2) fail(`${where}: 'scale' {min, max} needs finite bounds with max > min`)
    } else {
      fail(`${where}: 'scale' must be {mean, std} or {min, max}`)
    }
  }
  const m = f.missing
  if (m !== undefined && m !== 'error' && m !== 'mean' && !finite(m)) fail(`${where}: 'missing' must be error, mean or a number`)
  // The training mean is only known when the spec stores it; min/max scaling does not.
  if (m === 'mean' && !(isRecord(s) && 'mean' in s)) fail(`${where}: missing: mean needs scale: {mean, std}`)
}
