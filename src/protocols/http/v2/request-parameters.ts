import type { ParameterValue, Parameters } from '../../../core/inference.js'
import { Errors } from '../../../errors/codes.js'
import { InferdError } from '../../../errors/inferd-error.js'
import { type JsonValue, mayBeRounded, REPARSE_EXACT } from './json-text.js'
import { describe } from './tensor-json-read.js'

/**
 * `$parameters` objects of an OIP request (request, input and output level) → core Parameters.
 *
 * Values must be strings, numbers or booleans (the protocol's `$parameter`); integers beyond
 * 2^53 arrive as exact bigints (Triton's uint64 parameters such as `sequence_id` may be that
 * large). An empty object reads as absent.
 *
 * @param where - the field's path in the request, for messages (`inputs[0].parameters`)
 * @throws InferdError REQ_BODY_INVALID (not an object), PARAMETER_INVALID (a value of another
 *   kind); or REPARSE_EXACT after a fast parse
 */
export function readParameters (value: JsonValue | undefined, where: string, exact: boolean): Parameters | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InferdError(Errors.REQ_BODY_INVALID, [`'${where}' must be an object, got ${describe(value)}`])
  }
  const entries: Array<[string, ParameterValue]> = []
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'number') {
      if (!exact && mayBeRounded(v) && Number.isInteger(v)) throw REPARSE_EXACT
    } else if (typeof v !== 'string' && typeof v !== 'boolean' && typeof v !== 'bigint') {
      throw new InferdError(Errors.PARAMETER_INVALID, [`${where}.${key}`, `must be a string, number or boolean, got ${describe(v)}`])
    }
    entries.push([key, v])
  }
  // fromEntries defines own properties, so a "__proto__" key stays a plain key.
  return entries.length === 0 ? undefined : Object.fromEntries(entries)
}

/** A boolean parameter such as `binary_data` / `binary_data_output`; absent reads as undefined. */
export function booleanParameter (params: Parameters | undefined, key: string, where: string): boolean | undefined {
  const v = params?.[key]
  if (v === undefined || typeof v === 'boolean') return v
  throw new InferdError(Errors.PARAMETER_INVALID, [`${where}.${key}`, `must be true or false, got ${describe(v)}`])
}

/** Refuses Triton's shared-memory parameters, which inferd does not implement. */
export function refuseSharedMemory (params: Parameters | undefined, where: string): void {
  if (params === undefined) return
  for (const key of ['shared_memory_region', 'shared_memory_byte_size', 'shared_memory_offset']) {
    if (key in params) {
      throw new InferdError(Errors.BACKEND_FEATURE_UNSUPPORTED, [`${where}.${key}: the shared-memory extension is not supported; send the tensor as JSON or binary data`])
    }
  }
}
