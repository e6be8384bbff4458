import onnxProto from 'onnx-proto'
import { ONNX_ELEM_TYPE } from './element-type.js'

const { onnx } = onnxProto

/**
 * Constant tensors for initializers and `value`/`tensor` attributes. Data goes into `raw_data`,
 * written little-endian through a DataView (the ONNX spec fixes the byte order, the host does
 * not), which also keeps int64 values exact without going through protobufjs' Long handling.
 */

function elementCount (dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1)
}

function checkLength (name: string, dims: readonly number[], length: number): void {
  const expected = elementCount(dims)
  if (expected !== length) {
    throw new RangeError(`tensor '${name}': shape [${dims.join(', ')}] holds ${expected} elements, got ${length}`)
  }
}

/**
 * A float32 constant. Values are rounded to float32 here, once.
 *
 * @param name - the tensor's name (the graph value it defines when used as an initializer)
 * @param dims - its shape; `[]` for a scalar
 * @param values - the elements in row-major order
 */
export function float32Tensor (name: string, dims: readonly number[], values: ArrayLike<number>): onnxProto.onnx.ITensorProto {
  checkLength(name, dims, values.length)
  const raw = new Uint8Array(values.length * 4)
  const view = new DataView(raw.buffer)
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] as number, true)
  return onnx.TensorProto.create({ name, dims: [...dims], dataType: ONNX_ELEM_TYPE.FP32, rawData: raw })
}

/**
 * An int64 constant (shapes, axes, indices).
 *
 * @param name - the tensor's name
 * @param dims - its shape; `[]` for a scalar
 * @param values - the elements; numbers must be safe integers
 */
export function int64Tensor (name: string, dims: readonly number[], values: ArrayLike<number | bigint>): onnxProto.onnx.ITensorProto {
  checkLength(name, dims, values.length)
  const raw = new Uint8Array(values.length * 8)
  const view = new DataView(raw.buffer)
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number | bigint
    if (typeof v === 'number' && !Number.isSafeInteger(v)) {
      throw new RangeError(`tensor '${name}': ${v} is not a safe integer`)
    }
    view.setBigInt64(i * 8, BigInt(v), true)
  }
  return onnx.TensorProto.create({ name, dims: [...dims], dataType: ONNX_ELEM_TYPE.INT64, rawData: raw })
}
