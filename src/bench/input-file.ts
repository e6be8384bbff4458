import { readFileSync } from 'node:fs'
import { ARRAY_CTOR, ELEMENT_BYTES, type DataType, type DataTypeMap, type FixedDataType } from '../core/dtype.js'
import { toBFloat16Bits, toFloat16Bits } from '../core/half.js'
import { allocData, elementCount, type Tensor } from '../core/tensor.js'

/**
 * Real input data from a JSON file in perf_analyzer's format:
 *
 *   { "data": [ { "INPUT0": [1, 2, 3, 4], "INPUT1": { "content": [...], "shape": [2, 2] } },
 *               { "INPUT0": { "b64": "AAAAAA..." }, ... } ] }
 *
 * Each entry gives every input for one request of batch 1 (the shape excludes the batch
 * dimension when the model batches); arrays may be nested and are read row-major; `b64` holds
 * the raw little-endian bytes (BYTES elements with their 4-byte length prefixes). Entries are
 * sent round-robin. With a batch size above 1, each entry's data is repeated along the batch.
 */

/** One input as the model declares it, before batching: dims exclude the batch dimension when `batched`. */
export interface InputDims {
  readonly name: string
  readonly datatype: DataType
  readonly dims: readonly number[]
}

export interface InputFileOptions {
  /** Rows per request when the model batches; undefined for a model without a batch dimension. */
  readonly batchSize: number | undefined
}

/**
 * Reads and checks the file; one list of tensors per entry of `data`.
 *
 * @throws Error naming the entry and input at fault
 */
export function readInputFile (path: string, inputs: readonly InputDims[], options: InputFileOptions): Tensor[][] {
  let doc: unknown
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new Error(`--input-data ${path}: ${(err as Error).message}`)
  }
  const data = (doc as { data?: unknown } | null)?.data
  if (!Array.isArray(data) || data.length === 0) throw new Error(`--input-data ${path}: expected {"data": [ ...one object per request... ]}`)
  return data.map((entry, i) => {
    const where = `--input-data ${path}: data[${i}]`
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw new Error(`${where}: expected an object mapping input names to data (sequence streams are not supported)`)
    }
    return inputs.map((input) => {
      const value = (entry as Record<string, unknown>)[input.name]
      if (value === undefined) throw new Error(`${where}: input '${input.name}' is missing`)
      return entryTensor(`${where}.${input.name}`, input, value, options.batchSize)
    })
  })
}

function entryTensor (where: string, input: InputDims, value: unknown, batchSize: number | undefined): Tensor {
  const obj = value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : undefined
  const content = obj !== undefined && 'content' in obj ? obj.content : value
  const shape = obj?.shape === undefined ? input.dims : obj.shape
  if (obj?.shape === undefined && input.dims.some((d) => d < 0)) {
    throw new Error(`${where}: the model's shape [${input.dims.join(',')}] has variable dimensions: give "shape" in the file or --shape`)
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`${where}: shape must be a list of sizes`)
  if (input.dims.length !== shape.length || input.dims.some((d, i) => d >= 0 && d !== shape[i])) {
    throw new Error(`${where}: shape [${shape.join(',')}] does not fit the model's [${input.dims.join(',')}]`)
  }
  const n = elementCount(shape as number[])
  const b64 = content !== null && typeof content === 'object' && !Array.isArray(content) ? (content as { b64?: unknown }).b64 : undefined
  const one = typeof b64 === 'string'
    ? fromBytes(where, input.datatype, Buffer.from(b64, 'base64'))
    : fromValues(where, input.datatype, Array.isArray(content) ? (content as unknown[]).flat(Infinity) : [content])
  if (one.length !== n) throw new Error(`${where}: shape [${shape.join(',')}] needs ${n} elements, got ${one.length}`)
  const rows = batchSize ?? 1
  const data = repeat(input.datatype, one, rows)
  return { name: input.name, datatype: input.datatype, shape: batchSize === undefined ? [...shape] : [batchSize, ...shape], data }
}

function fromValues (where: string, datatype: DataType, values: unknown[]): DataTypeMap[DataType] {
  if (datatype === 'BYTES') return values.map((v) => new TextEncoder().encode(String(v)))
  const out = allocData(datatype as FixedDataType, values.length)
  values.forEach((v, i) => {
    const num = typeof v === 'boolean' ? Number(v) : typeof v === 'number' || typeof v === 'string' ? Number(v) : NaN
    if (Number.isNaN(num) && !(typeof v === 'string' && v.toLowerCase() === 'nan')) throw new Error(`${where}: element ${i} (${JSON.stringify(v)}) is not a ${datatype} value`)
    if (datatype === 'INT64' || datatype === 'UINT64') (out as BigInt64Array)[i] = BigInt(typeof v === 'string' ? v : Math.trunc(num))
    else if (datatype === 'FP16') (out as Uint16Array)[i] = toFloat16Bits(num)
    else if (datatype === 'BF16') (out as Uint16Array)[i] = toBFloat16Bits(num)
    else (out as Float64Array)[i] = num
  })
  return out
}

function fromBytes (where: string, datatype: DataType, bytes: Buffer): DataTypeMap[DataType] {
  if (datatype === 'BYTES') {
    const out: Uint8Array[] = []
    for (let off = 0; off < bytes.length;) {
      if (off + 4 > bytes.length) throw new Error(`${where}: truncated BYTES length prefix`)
      const len = bytes.readUInt32LE(off)
      if (off + 4 + len > bytes.length) throw new Error(`${where}: BYTES element runs past the data`)
      out.push(Uint8Array.from(bytes.subarray(off + 4, off + 4 + len)))
      off += 4 + len
    }
    return out
  }
  const size = ELEMENT_BYTES[datatype as FixedDataType]
  if (bytes.length % size !== 0) throw new Error(`${where}: ${bytes.length} bytes is not a whole number of ${datatype} elements`)
  const copy = new Uint8Array(bytes) // aligned copy: the typed-array view needs its offset to be a multiple of the element size
  return new ARRAY_CTOR[datatype as FixedDataType](copy.buffer, 0, bytes.length / size) as unknown as DataTypeMap[DataType]
}

function repeat (datatype: DataType, one: DataTypeMap[DataType], rows: number): DataTypeMap[DataType] {
  if (rows === 1) return one
  if (datatype === 'BYTES') return Array.from({ length: rows }, () => one as Uint8Array[]).flat()
  const src = one as Float32Array
  const out = allocData(datatype as FixedDataType, src.length * rows) as Float32Array
  for (let r = 0; r < rows; r++) out.set(src, r * src.length)
  return out
}
