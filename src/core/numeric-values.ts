import type { DataTypeMap } from './dtype.js'
import { fromBFloat16Bits, fromFloat16Bits } from './half.js'
import type { Tensor } from './tensor.js'

/**
 * A numeric tensor's elements as JS numbers, for code that ranks or transforms values whatever
 * the datatype (half floats decoded, 64-bit integers converted, possibly losing precision past
 * 2^53, which ranking and scoring do not care about).
 *
 * @throws TypeError for BYTES, which has no numeric values; callers turn that into their own error.
 */
export function numericValues (t: Tensor): ArrayLike<number> {
  switch (t.datatype) {
    case 'BYTES': throw new TypeError(`tensor '${t.name}' is BYTES, which has no numeric values`)
    case 'FP16': return Array.from(t.data as DataTypeMap['FP16'], fromFloat16Bits)
    case 'BF16': return Array.from(t.data as DataTypeMap['BF16'], fromBFloat16Bits)
    case 'INT64': case 'UINT64': return Array.from(t.data as BigInt64Array, Number)
    case 'BOOL': return Array.from(t.data as Uint8Array)
    default: return t.data as ArrayLike<number>
  }
}
