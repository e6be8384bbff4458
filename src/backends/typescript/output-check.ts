import { ARRAY_CTOR, type DataType, type DataTypeMap, type FixedDataType } from '../../core/dtype.js'
import { elementCount, type Tensor } from '../../core/tensor.js'
import type { TensorDeclaration } from './types.js'

/** What the returned outputs are checked against. */
export interface OutputExpectation {
  readonly declared: readonly TensorDeclaration[]
  readonly outputNames: readonly string[]
  readonly maxBatchSize: number
  readonly batchSize: number
}

const encoder = new TextEncoder()

/**
 * Turns what a module's `execute` returned into core tensors, in the order asked, or says
 * precisely what is wrong with it (the contract is in types.ts `OutputTensor`). It runs in the
 * module's thread, so a module returning nonsense costs its own thread the check, and the message
 * reaches the client as BACKEND_FAILED: a wrong return is the module's failure, not the request's.
 *
 * @throws Error naming the output and the problem
 */
export function checkOutputs (returned: unknown, expect: OutputExpectation): Tensor[] {
  if (typeof returned !== 'object' || returned === null || Array.isArray(returned)) {
    throw new Error(`execute must return an object of outputs by name, got ${describe(returned)}`)
  }
  const byName = returned as Record<string, unknown>
  const declaredNames = expect.declared.map((d) => d.name)
  for (const name of Object.keys(byName)) {
    if (!declaredNames.includes(name)) throw new Error(`execute returned output '${name}', which config.yaml does not declare (outputs: ${declaredNames.join(', ')})`)
  }
  return expect.outputNames.map((name) => {
    const value = byName[name]
    if (value === undefined) throw new Error(`execute returned no output '${name}' (it returned: ${Object.keys(byName).join(', ') || 'none'})`)
    const declared = expect.declared.find((d) => d.name === name)
    if (declared === undefined) throw new Error(`output '${name}' is not declared in config.yaml`)
    return checkOne(name, value, declared, expect)
  })
}

function checkOne (name: string, value: unknown, declared: TensorDeclaration, expect: OutputExpectation): Tensor {
  const fail = (what: string): never => { throw new Error(`execute returned output '${name}' ${what}`) }
  if (typeof value !== 'object' || value === null || !('data' in value)) return fail(`as ${describe(value)}; expected { datatype?, shape?, data }`)
  const out = value as { datatype?: unknown; shape?: unknown; data: unknown }
  if (out.datatype !== undefined && out.datatype !== declared.datatype) fail(`with datatype ${String(out.datatype)}; config.yaml declares ${declared.datatype}`)
  const batched = expect.maxBatchSize > 0
  const full = batched ? [expect.batchSize, ...declared.dims] : [...declared.dims]
  let shape: number[]
  if (out.shape === undefined) {
    if (full.some((d) => d < 0)) fail(`without a shape, which its dims [${declared.dims.join(', ')}] do not fix`)
    shape = full
  } else {
    if (!Array.isArray(out.shape) || !out.shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`with shape ${describe(out.shape)}; expected an array of whole numbers ≥ 0`)
    shape = [...(out.shape as number[])]
    const agrees = shape.length === full.length && full.every((d, i) => d < 0 || shape[i] === d)
    if (!agrees) {
      const batchNote = batched ? ` (${expect.batchSize} rows in this batch, then dims [${declared.dims.join(', ')}])` : ''
      fail(`with shape [${shape.join(', ')}]; config.yaml allows [${full.join(', ')}]${batchNote}`)
    }
  }
  const data = toData(declared.datatype, out.data, fail)
  const want = elementCount(shape)
  if (data.length !== want) fail(`with ${data.length} elements; shape [${shape.join(', ')}] needs ${want}`)
  return { name, datatype: declared.datatype, shape, data }
}

type Fail = (what: string) => never

function toData (datatype: DataType, data: unknown, fail: Fail): DataTypeMap[DataType] {
  if (datatype === 'BYTES') {
    if (!Array.isArray(data)) fail(`with data ${describe(data)}; BYTES data is an array of strings or Uint8Arrays`)
    return (data as unknown[]).map((v, i) => {
      if (typeof v === 'string') return encoder.encode(v)
      if (v instanceof Uint8Array) return v
      return fail(`with element ${i} ${describe(v)}; BYTES elements are strings or Uint8Arrays`)
    })
  }
  const Ctor = ARRAY_CTOR[datatype]
  if (data instanceof Ctor) return data as DataTypeMap[FixedDataType]
  if (datatype === 'FP16' || datatype === 'BF16') fail(`with data ${describe(data)}; ${datatype} data is a Uint16Array of raw bits`)
  if (!Array.isArray(data) && !ArrayBuffer.isView(data)) fail(`with data ${describe(data)}; expected an array or a typed array`)
  const source = data as ArrayLike<unknown>
  const target = new Ctor(source.length) as unknown as { [i: number]: number | bigint; length: number }
  const big = datatype === 'INT64' || datatype === 'UINT64'
  for (let i = 0; i < source.length; i++) {
    const v = source[i]
    if (big) {
      if (typeof v === 'bigint') target[i] = v
      else if (typeof v === 'number' && Number.isInteger(v)) target[i] = BigInt(v)
      else fail(`with element ${i} ${describe(v)}; ${datatype} elements are bigints or whole numbers`)
    } else if (typeof v === 'number') {
      target[i] = datatype === 'BOOL' ? (v === 0 ? 0 : 1) : v
    } else if (typeof v === 'boolean' && datatype === 'BOOL') {
      target[i] = v ? 1 : 0
    } else {
      fail(`with element ${i} ${describe(v)}; ${datatype} elements are numbers${datatype === 'BOOL' ? ' or booleans' : ''}`)
    }
  }
  return target as unknown as DataTypeMap[FixedDataType]
}

function describe (v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`
  if (typeof v === 'object') return 'an object'
  if (typeof v === 'string') return `a string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`
  return `${typeof v} ${String(v)}`
}
