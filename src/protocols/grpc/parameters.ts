import type { ParameterValue, Parameters } from '../../core/inference.js'
import { Errors, InferdError } from '../../errors/index.js'
import type { InferParameterMap, InferParameterMessage, Int64Field } from './messages.js'

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/**
 * `map<string, InferParameter>` → core Parameters, the same values the REST decoder produces:
 * bool, string and double as they are; int64 and uint64 as numbers when they fit 2^53 exactly,
 * else as bigints (Triton's uint64 parameters such as `sequence_id` may be that large). An empty
 * map reads as absent, as an empty JSON object does.
 *
 * @param where - the field's path in the request, for messages (`inputs[0].parameters`)
 * @throws InferdError PARAMETER_INVALID for a parameter with no value set
 */
export function readInferParameters (map: InferParameterMap | undefined, where: string): Parameters | undefined {
  if (map === undefined) return undefined
  const entries: Array<[string, ParameterValue]> = []
  for (const [key, p] of Object.entries(map)) entries.push([key, parameterValue(p, `${where}.${key}`)])
  // fromEntries defines own properties, so a "__proto__" key stays a plain key.
  return entries.length === 0 ? undefined : Object.fromEntries(entries)
}

function parameterValue (p: InferParameterMessage, where: string): ParameterValue {
  switch (p.parameter_choice) {
    case 'bool_param': return p.bool_param ?? false
    case 'string_param': return p.string_param ?? ''
    case 'double_param': return p.double_param ?? 0
    case 'int64_param': return integer(p.int64_param)
    case 'uint64_param': return integer(p.uint64_param)
    default:
      // proto3 cannot tell an unset oneof from a message that never had one: either way there is no value.
      throw new InferdError(Errors.PARAMETER_INVALID, [where, 'has no value (set one of bool_param, int64_param, string_param, double_param, uint64_param)'])
  }
}

function integer (v: Int64Field | undefined): number | bigint {
  if (v === undefined) return 0
  const n = Number(v)
  return Number.isSafeInteger(n) ? n : BigInt(v)
}

/**
 * Core Parameters → `map<string, InferParameter>` for a response. Integers go to int64_param
 * (uint64_param above the int64 range), other numbers to double_param.
 */
export function writeInferParameters (params: Parameters): InferParameterMap {
  return Object.fromEntries(Object.entries(params).map(([key, v]) => [key, parameterMessage(v)]))
}

function parameterMessage (v: ParameterValue): InferParameterMessage {
  if (typeof v === 'boolean') return { bool_param: v }
  if (typeof v === 'string') return { string_param: v }
  if (typeof v === 'bigint') return v >= INT64_MIN && v <= INT64_MAX ? { int64_param: v.toString() } : { uint64_param: v.toString() }
  return Number.isSafeInteger(v) ? { int64_param: v } : { double_param: v }
}
