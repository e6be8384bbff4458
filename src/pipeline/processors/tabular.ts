import type { Tensor } from '../../core/tensor.js'
import { Errors } from '../../errors/codes.js'
import { InferdError } from '../../errors/inferd-error.js'
import { isoDateToYear } from './tabular-date.js'
import type { DateFeature, NumericFeature, TabularFeature, TabularSpec } from './tabular-spec.js'

export type { BooleanFeature, CategoricalFeature, DateFeature, NumericFeature, TabularFeature, TabularSpec } from './tabular-spec.js'
export { validateTabularSpec } from './tabular-spec.js'

/** The feature matrix: an FP32 tensor of shape `[rows, width]`, plus `width` for convenience. */
export interface TabularFeatures extends Tensor<'FP32'> {
  readonly width: number
}

/** Columns one feature takes: one per category for one-hot, one otherwise. */
function columns (f: TabularFeature): number {
  return f.kind === 'categorical' ? f.categories.length : 1
}

/** Width of the feature vector a spec produces (the model input's last dimension). */
export function featureWidth (spec: TabularSpec): number {
  return spec.features.reduce((n, f) => n + columns(f), 0)
}

/**
 * A name for every column of the vector (`amount`, `country=DE` …), in order; useful for
 * checking a spec against the model's input width and for explaining predictions.
 */
export function featureColumns (spec: TabularSpec): string[] {
  return spec.features.flatMap((f) => (f.kind === 'categorical' ? f.categories.map((c) => `${f.name}=${c}`) : [f.name]))
}

/** JSON's view of a value's type, for messages: "array" and "null" rather than "object". */
function typeName (v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v
}

/**
 * Turns JSON records into the feature matrix a tabular model takes, following the spec saved
 * with the model: numeric columns scaled, dates as scaled fractional years, categories one-hot
 * encoded, booleans as 0/1.
 * Fields the spec does not name are ignored, so records may carry ids or labels along.
 *
 * The spec is assumed valid ({@link validateTabularSpec} runs when the model loads).
 *
 * @param name the input's name, used in error messages.
 * @throws InferdError TENSOR_DATA_INVALID naming the record index and field, for the first
 *   record that is not an object or has a missing, mistyped or unknown value.
 */
export function recordsToFeatures (records: readonly unknown[], spec: TabularSpec, name = 'records'): TabularFeatures {
  const width = featureWidth(spec)
  const data = new Float32Array(records.length * width)
  records.forEach((record, row) => {
    const fail = (what: string): never => { throw new InferdError(Errors.TENSOR_DATA_INVALID, [name, `record ${row}: ${what}`]) }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) fail(`must be an object, got ${typeName(record)}`)
    const fields = record as Record<string, unknown>
    let col = row * width
    for (const f of spec.features) {
      // Own properties only: a record is data, and "toString" must not count as present.
      const value = Object.hasOwn(fields, f.name) ? fields[f.name] : undefined
      if (f.kind === 'numeric' && typeof value === 'number' && Number.isFinite(value)) {
        // The common case first, with no message built: batch inference runs this per cell.
        const s = f.scale
        data[col] = s === undefined ? value : 'mean' in s ? (value - s.mean) / s.std : (value - s.min) / (s.max - s.min)
        col += 1
        continue
      }
      const field = `field '${f.name}'`
      if (f.kind === 'numeric' || f.kind === 'date') {
        data[col] = numeric(f, value, field, fail)
      } else if (f.kind === 'boolean') {
        if (value === undefined || value === null) fail(`${field} is missing`)
        if (typeof value !== 'boolean') fail(`${field} must be a boolean, got ${typeName(value)}`)
        data[col] = value === true ? 1 : 0
      } else {
        if (value === undefined || value === null) fail(`${field} is missing`)
        if (typeof value !== 'string') fail(`${field} must be a string, got ${typeName(value)}`)
        const at = f.categories.indexOf(value as string)
        if (at >= 0) data[col + at] = 1
        // An unknown category under 'ignore' leaves the whole block at zero (the array starts zeroed).
        else if (f.unknown !== 'ignore') fail(`${field} is '${value as string}', not one of ${f.categories.join(', ')}`)
      }
      col += columns(f)
    }
  })
  return { name, datatype: 'FP32', shape: [records.length, width], data, width }
}

/** One numeric (or date) value, missing-value policy applied, then scaled. */
function numeric (f: NumericFeature | DateFeature, value: unknown, field: string, fail: (what: string) => never): number {
  let x: number
  if (value === undefined || value === null) {
    const policy = f.missing ?? 'error'
    if (policy === 'error') return fail(`${field} is missing`)
    // 'mean' imputes the training mean, which the validated spec guarantees is stored.
    x = policy === 'mean' ? (f.scale as { mean: number }).mean : policy
  } else if (f.kind === 'date') {
    if (typeof value !== 'string') return fail(`${field} must be an ISO 8601 date string, got ${typeName(value)}`)
    const year = isoDateToYear(value)
    if (year === undefined) return fail(`${field} is '${value}', not an ISO 8601 date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)`)
    x = year
  } else if (typeof value !== 'number') {
    // Numeric strings ("12.5") are refused rather than parsed: a client sending strings has
    // probably mixed up its columns, and silent coercion would hide that.
    return fail(`${field} must be a number, got ${typeName(value)}`)
  } else if (!Number.isFinite(value)) {
    return fail(`${field} must be a finite number, got ${value}`)
  } else {
    x = value
  }
  const s = f.scale
  if (s === undefined) return x
  return 'mean' in s ? (x - s.mean) / s.std : (x - s.min) / (s.max - s.min)
}
