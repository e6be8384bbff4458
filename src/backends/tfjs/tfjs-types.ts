import type { DataType } from '../../core/dtype.js'

/** The element types a TF.js tensor can have at run time. */
export type TfjsDtype = 'float32' | 'int32' | 'bool' | 'string' | 'complex64'

/**
 * TensorFlow's graph dtypes (model.json spells them `DT_FLOAT`, …) as TF.js computes them. TF.js
 * has no 64-bit, 8-bit or half types: it runs DT_INT64/INT8/UINT8 as int32 and DT_DOUBLE/HALF
 * as float32, exactly as its graph loader maps them; so a tensor the file calls DT_INT64 is fed
 * and returned as INT32 here, which is what the model actually receives.
 */
const FROM_GRAPH: Readonly<Record<string, TfjsDtype>> = {
  DT_FLOAT: 'float32',
  DT_HALF: 'float32',
  DT_DOUBLE: 'float32',
  DT_INT32: 'int32',
  DT_INT64: 'int32',
  DT_INT8: 'int32',
  DT_UINT8: 'int32',
  DT_BOOL: 'bool',
  DT_STRING: 'string',
  DT_COMPLEX64: 'complex64',
  DT_COMPLEX128: 'complex64',
}

/** A graph dtype (`DT_FLOAT`) as TF.js runs it; undefined for types TF.js cannot run. */
export function tfjsDtypeOfGraphType (graphType: string): TfjsDtype | undefined {
  return FROM_GRAPH[graphType]
}

const TO_CORE: Readonly<Partial<Record<TfjsDtype, DataType>>> = { float32: 'FP32', int32: 'INT32', bool: 'BOOL', string: 'BYTES' }

/** Protocol datatype of a TF.js dtype; undefined for complex64, which the protocol cannot carry. */
export function datatypeFromTfjs (dtype: TfjsDtype): DataType | undefined {
  return TO_CORE[dtype]
}

const FROM_CORE: Readonly<Partial<Record<DataType, TfjsDtype>>> = { FP32: 'float32', INT32: 'int32', BOOL: 'bool', BYTES: 'string' }

/** TF.js dtype for a protocol datatype; undefined for datatypes no TF.js model declares. */
export function tfjsDtypeOf (datatype: DataType): TfjsDtype | undefined {
  return FROM_CORE[datatype]
}
