import type { DataType, DataTypeMap } from '../../../core/dtype.js'
import { toBFloat16Bits, toFloat16Bits } from '../../../core/half.js'
import { allocRequestData } from '../../../core/data-slab.js'
import { elementCount } from '../../../core/tensor.js'
import { formatShape } from '../../../core/validate.js'
import { Errors } from '../../../errors/codes.js'
import { InferdError } from '../../../errors/inferd-error.js'
import { type JsonValue, mayBeRounded, REPARSE_EXACT } from './json-text.js'

/**
 * OIP JSON tensor `data` → inferd's flat typed storage, with per-datatype checks.
 *
 * Layout. `data` is row-major, flat or nested. Nested data must be regular: nested `k` levels
 * deep, it must follow the shape's first k-1 dimensions and hold the rest flattened in its
 * innermost arrays. For shape [2,2,3] these are all accepted:
 *   [1,…,12]  [[1,…,6],[7,…,12]]  [[[1,2,3],[4,5,6]],[[7,8,9],[10,11,12]]]
 * Triton only counts leaves; being stricter catches transposed or ragged data early. The
 * structure is checked before anything is allocated, so a huge declared shape cannot make the
 * server allocate more than the body actually holds.
 *
 * Elements (the protocol lets the server coerce or refuse; inferd refuses anything lossy):
 *   - INT8…INT32, UINT8…UINT32: integral JSON numbers within the type's range (`1.0` is 1).
 *   - INT64/UINT64: integral numbers or the exact bigints json-text.ts produces, full range.
 *   - FP32/FP64: any number (FP32 rounds to nearest; beyond its range it becomes ±Infinity, as a
 *     C cast does), including the NaN/±Infinity tokens Triton clients send.
 *   - FP16/BF16: numbers, rounded to the 16-bit pattern (round to nearest even, core/half.ts).
 *   - BOOL: true/false, and also the numbers 0 and 1: numpy-based clients serialise bool arrays
 *     both ways, the binary form is 0/1 bytes, and nothing else is ambiguous. Other values fail.
 *   - BYTES: strings, stored as their UTF-8 bytes. (Arbitrary bytes need the binary extension.)
 */

interface ReadContext {
  readonly name: string
  readonly datatype: DataType
  /** False after a fast parse: a number ≥ 2^53 where an integer is due throws REPARSE_EXACT. */
  readonly exact: boolean
}

/**
 * Converts a flat run of JSON elements into `out` from index `at`. `out` is typed `never` so that
 * one table can hold readers for every storage type: each reader names the array type it writes
 * (an Int32Array stands for every ≤32-bit integer array; index assignment works the same).
 */
type Reader = (src: readonly JsonValue[], out: never, at: number, ctx: ReadContext) => void

/**
 * Reads the `data` of one tensor.
 *
 * @param name - tensor name, for messages
 * @param shape - already checked to hold non-negative integers
 * @param exact - whether `data` came from an exact parse (see json-text.ts)
 * @throws InferdError TENSOR_SIZE_MISMATCH (flat length ≠ product(shape)), TENSOR_DATA_INVALID
 *   (irregular nesting, element of the wrong kind or out of range); or REPARSE_EXACT
 */
export function readJsonTensorData<T extends DataType> (
  name: string,
  datatype: T,
  shape: readonly number[],
  data: readonly JsonValue[],
  exact: boolean,
): DataTypeMap[T] {
  const ctx: ReadContext = { name, datatype, exact }
  const count = elementCount(shape)
  const read = READERS[datatype] as Reader
  const depth = nestingDepth(data)
  if (depth === 1) {
    if (data.length !== count) throw new InferdError(Errors.TENSOR_SIZE_MISMATCH, [name, formatShape(shape), count, data.length])
    const out = allocRequestData(datatype, count)
    read(data, out as never, 0, ctx)
    return out
  }
  if (depth > shape.length) {
    throw invalid(ctx, `data is nested ${depth} levels deep but shape ${formatShape(shape)} has only ${shape.length} dimension${shape.length === 1 ? '' : 's'}`)
  }
  // Expected length at each level: the leading dimensions, then the rest flattened.
  const levels = [...shape.slice(0, depth - 1), elementCount(shape.slice(depth - 1))]
  checkNesting(data, levels, 0, 'data', shape, ctx)
  const out = allocRequestData(datatype, count)
  fillNested(data, levels.length - 1, out as never, 0, read, ctx)
  return out
}

/** Depth of nesting, following the first element at each level (`[]` and `[1]` are depth 1). */
function nestingDepth (data: readonly JsonValue[]): number {
  let depth = 1
  let level: JsonValue | undefined = data[0]
  while (Array.isArray(level)) { depth++; level = level[0] }
  return depth
}

function checkNesting (arr: readonly JsonValue[], levels: readonly number[], level: number, path: string, shape: readonly number[], ctx: ReadContext): void {
  const want = levels[level] as number
  if (arr.length !== want) {
    throw invalid(ctx, `${path} holds ${arr.length} element${arr.length === 1 ? '' : 's'} where shape ${formatShape(shape)} needs ${want}`)
  }
  if (level === levels.length - 1) return // leaves: their kinds are checked while converting
  for (let i = 0; i < arr.length; i++) {
    const child = arr[i]
    if (!Array.isArray(child)) throw invalid(ctx, `${path}[${i}] is not an array, but the data is nested ${levels.length} levels deep elsewhere`)
    checkNesting(child, levels, level + 1, `${path}[${i}]`, shape, ctx)
  }
}

/** Converts the innermost arrays in order into `out`; returns the next flat index. */
function fillNested (arr: readonly JsonValue[], leafLevel: number, out: never, at: number, read: Reader, ctx: ReadContext): number {
  if (leafLevel === 0) {
    read(arr, out, at, ctx)
    return at + arr.length
  }
  for (const child of arr) at = fillNested(child as JsonValue[], leafLevel - 1, out, at, read, ctx)
  return at
}

// ---- element readers --------------------------------------------------------------------------

function intReader (min: number, max: number): Reader {
  return (src, out: Int32Array, at, ctx) => {
    for (let i = 0; i < src.length; i++) {
      const v = src[i]
      if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) out[at + i] = v
      else throw badInteger(v, at + i, ctx, `${min} to ${max}`)
    }
  }
}

function bigIntReader (min: bigint, max: bigint): Reader {
  return (src, out: BigInt64Array, at, ctx) => {
    for (let i = 0; i < src.length; i++) {
      const v = src[i]
      let b: bigint
      if (typeof v === 'number' && Number.isInteger(v)) {
        if (!ctx.exact && mayBeRounded(v)) throw REPARSE_EXACT
        b = BigInt(v)
      } else if (typeof v === 'bigint') {
        b = v
      } else {
        throw badInteger(v, at + i, ctx, `${min} to ${max}`)
      }
      if (b < min || b > max) throw badInteger(v, at + i, ctx, `${min} to ${max}`)
      out[at + i] = b
    }
  }
}

function floatReader (encode: ((x: number) => number) | undefined): Reader {
  return (src, out: Float64Array, at, ctx) => {
    for (let i = 0; i < src.length; i++) {
      const v = src[i]
      let x: number
      if (typeof v === 'number') x = v
      else if (typeof v === 'bigint') x = Number(v)
      else throw invalid(ctx, `element ${at + i}: ${describe(v)} is not a number`)
      out[at + i] = encode === undefined ? x : encode(x)
    }
  }
}

const readBool: Reader = (src, out: Uint8Array, at, ctx) => {
  for (let i = 0; i < src.length; i++) {
    const v = src[i]
    if (v === true || v === 1) out[at + i] = 1
    else if (v === false || v === 0) out[at + i] = 0
    else throw invalid(ctx, `element ${at + i}: ${describe(v)} is not a boolean (true, false, 1 or 0)`)
  }
}

const utf8 = new TextEncoder()

const readBytes: Reader = (src, out: Uint8Array[], at, ctx) => {
  for (let i = 0; i < src.length; i++) {
    const v = src[i]
    if (typeof v !== 'string') throw invalid(ctx, `element ${at + i}: ${describe(v)} is not a string`)
    out[at + i] = utf8.encode(v)
  }
}

const READERS: Readonly<Record<DataType, Reader>> = {
  BOOL: readBool,
  UINT8: intReader(0, 0xff),
  UINT16: intReader(0, 0xffff),
  UINT32: intReader(0, 0xffffffff),
  UINT64: bigIntReader(0n, 0xffffffffffffffffn),
  INT8: intReader(-0x80, 0x7f),
  INT16: intReader(-0x8000, 0x7fff),
  INT32: intReader(-0x80000000, 0x7fffffff),
  INT64: bigIntReader(-0x8000000000000000n, 0x7fffffffffffffffn),
  FP16: floatReader(toFloat16Bits),
  BF16: floatReader(toBFloat16Bits),
  FP32: floatReader(undefined),
  FP64: floatReader(undefined),
  BYTES: readBytes,
}

function badInteger (v: JsonValue | undefined, index: number, ctx: ReadContext, range: string): unknown {
  if (typeof v === 'number' && !ctx.exact && mayBeRounded(v)) return REPARSE_EXACT // say the exact value
  if (typeof v === 'number' && !Number.isInteger(v)) return invalid(ctx, `element ${index}: ${describe(v)} is not an integer`)
  if (typeof v === 'number' || typeof v === 'bigint') return invalid(ctx, `element ${index}: ${describe(v)} is out of range for ${ctx.datatype} (${range})`)
  return invalid(ctx, `element ${index}: ${describe(v)} is not an integer`)
}

function invalid (ctx: ReadContext, detail: string): InferdError {
  return new InferdError(Errors.TENSOR_DATA_INVALID, [ctx.name, detail])
}

/** A short description of a JSON value for messages (never the whole body). */
export function describe (v: JsonValue | undefined): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)
  if (Array.isArray(v)) return 'an array'
  if (v === null) return 'null'
  if (typeof v === 'object') return 'an object'
  return String(v)
}
