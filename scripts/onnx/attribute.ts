import onnxProto from 'onnx-proto'

const { onnx } = onnxProto
const { AttributeType } = onnx.AttributeProto

/**
 * A node attribute value, tagged with its ONNX kind. JS numbers cannot tell `1` (INT) from `1.0`
 * (FLOAT), and ONNX rejects an attribute of the wrong kind, so the kind is always explicit.
 */
export type AttributeValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'tensor'; readonly value: onnxProto.onnx.ITensorProto }

/**
 * Constructors for attribute values.
 *
 * @example
 * builder.node('ArgMax', ['probabilities'], ['label'], { axis: attr.int(1), keepdims: attr.int(0) })
 */
export const attr = Object.freeze({
  int: (value: number): AttributeValue => ({ kind: 'int', value }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  ints: (value: readonly number[]): AttributeValue => ({ kind: 'ints', value }),
  floats: (value: readonly number[]): AttributeValue => ({ kind: 'floats', value }),
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
  tensor: (value: onnxProto.onnx.ITensorProto): AttributeValue => ({ kind: 'tensor', value }),
})

/** The AttributeProto for one named attribute value. */
export function toAttributeProto (name: string, a: AttributeValue): onnxProto.onnx.IAttributeProto {
  switch (a.kind) {
    case 'int': return { name, type: AttributeType.INT, i: a.value }
    case 'float': return { name, type: AttributeType.FLOAT, f: a.value }
    case 'ints': return { name, type: AttributeType.INTS, ints: [...a.value] }
    case 'floats': return { name, type: AttributeType.FLOATS, floats: [...a.value] }
    case 'string': return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.value) }
    case 'tensor': return { name, type: AttributeType.TENSOR, t: a.value }
  }
}
