import type { DataType } from '../../src/core/dtype.js'

/**
 * ONNX `TensorProto.DataType` numbers for each Open Inference Protocol datatype. BYTES maps to
 * ONNX STRING: both hold variable-length byte strings per element.
 */
export const ONNX_ELEM_TYPE: Readonly<Record<DataType, number>> = Object.freeze({
  FP32: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  BYTES: 8,
  BOOL: 9,
  FP16: 10,
  FP64: 11,
  UINT32: 12,
  UINT64: 13,
  BF16: 16,
})

/** The ONNX element type number of a protocol datatype. */
export function onnxElemType (dt: DataType): number {
  return ONNX_ELEM_TYPE[dt]
}
