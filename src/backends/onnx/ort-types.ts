import type { DataType } from '../../core/dtype.js'

/** onnxruntime-js tensor type names ↔ protocol datatypes. BF16 has no onnxruntime-js type (see bf16-rewrite.ts). */
const ORT_TO_DATATYPE: Readonly<Record<string, DataType>> = Object.freeze({
  bool: 'BOOL',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  string: 'BYTES',
})

const DATATYPE_TO_ORT: Readonly<Record<Exclude<DataType, 'BF16'>, string>> = Object.freeze({
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
})

export function datatypeFromOrt (type: string): DataType | undefined {
  return ORT_TO_DATATYPE[type]
}

export function ortTypeOf (dt: Exclude<DataType, 'BF16'>): string {
  return DATATYPE_TO_ORT[dt]
}

/** onnxruntime reports symbolic dimensions as strings and unknown ones as negative numbers: both become -1. */
export function dimsFromOrt (shape: ReadonlyArray<number | string>): number[] {
  return shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1))
}
