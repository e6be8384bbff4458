import { ModelBuilder } from '../onnx/builder.js'
import { attr } from '../onnx/attribute.js'
import { float32Tensor } from '../onnx/tensor-proto.js'
import type { Mlp } from './mlp.js'

export interface MlpGraphOptions {
  /** Graph name, recorded in the model. */
  readonly name: string
  readonly docString: string
  /** Input tensor: FP32 `[batch, model.inputs]`, the matrix recordsToFeatures makes. */
  readonly input: string
  /** Output tensor name. */
  readonly output: string
  /**
   * `probabilities`: a binary classifier's FP32 `[batch, 2]` (P(class 0), P(class 1)), the
   * layout two-class label files and Triton's classification extension expect.
   * `value`: the raw output, FP32 `[batch, 1]`.
   */
  readonly head: 'probabilities' | 'value'
}

/**
 * The ONNX graph of a trained {@link Mlp}: Gemm → Relu → Gemm (or one Gemm for hidden 0).
 *
 * A binary head turns the logit z into two logits [0, z]: their softmax is exactly
 * [1 − σ(z), σ(z)], so the graph stays Gemm + Softmax with no extra Concat or Sub nodes.
 */
export function mlpGraph (model: Mlp, options: MlpGraphOptions): ModelBuilder {
  const two = options.head === 'probabilities'
  const outWidth = two ? 2 : 1
  const b = new ModelBuilder({ name: options.name, docString: options.docString })
    .input(options.input, 'FP32', ['batch', model.inputs])
    .output(options.output, 'FP32', ['batch', outWidth])
  // Output layer as [k, outWidth]: column 0 stays zero for the binary head.
  const last = model.hidden === 0 ? model.inputs : model.hidden
  const w2 = new Float32Array(last * outWidth)
  for (let k = 0; k < last; k++) w2[k * outWidth + outWidth - 1] = model.w2[k] as number
  const b2 = two ? [0, model.b2] : [model.b2]
  let x = options.input
  if (model.hidden > 0) {
    b.initializer(float32Tensor('w1', [model.inputs, model.hidden], model.w1))
      .initializer(float32Tensor('b1', [model.hidden], model.b1))
      .node('Gemm', [x, 'w1', 'b1'], ['hidden_linear'])
      .node('Relu', ['hidden_linear'], ['hidden'])
    x = 'hidden'
  }
  b.initializer(float32Tensor('w2', [last, outWidth], w2)).initializer(float32Tensor('b2', [outWidth], b2))
  if (!two) return b.node('Gemm', [x, 'w2', 'b2'], [options.output])
  return b.node('Gemm', [x, 'w2', 'b2'], ['logits']).node('Softmax', ['logits'], [options.output], { axis: attr.int(1) })
}
