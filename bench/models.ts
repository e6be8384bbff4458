import { join } from 'node:path'
import { ModelBuilder } from '../scripts/onnx/builder.js'
import { float32Tensor } from '../scripts/onnx/tensor-proto.js'
import { writeFileIfChanged } from '../scripts/onnx/write-file.js'
import { seededRandom } from '../scripts/ml/random.js'

/**
 * The bench's models, written as a model repository:
 *
 *   <dir>/mlp/1/model.onnx, config.yaml     x f32[batch,32] → Gemm 256 → Relu → Gemm 256 → Relu → Gemm 10 → y f32[batch,10]
 *   <dir>/image_head/1/model.onnx, config   image f32[batch,3,224,224] → GlobalAveragePool → Flatten → Gemm 10 → logits f32[batch,10]
 *
 * Weights are random but seeded (the same bytes every run). The MLP is ENGINE.md's model: tiny
 * compute, so per-request overhead and batching decide its throughput. The image head computes
 * almost nothing on a 1×3×224×224 input (an average per channel), so moving the 602 KB tensor
 * over the wire dominates: it compares the binary protocol with JSON.
 */

export const MLP = Object.freeze({ name: 'mlp', input: 'x', output: 'y', inputWidth: 32, hidden: 256, outputWidth: 10 })
export const IMAGE_HEAD = Object.freeze({ name: 'image_head', input: 'image', output: 'logits', shape: [3, 224, 224] as const, classes: 10 })

// dynamic_batching is Triton's switch for the dynamic batcher; inferd reads it once its scheduler
// lands, and until then serves these models one request at a time.
const config = (maxBatchSize: number): string => `backend: onnxruntime
max_batch_size: ${maxBatchSize}
dynamic_batching: {}
`

/** Weights uniform in ±1/√fanIn, so activations keep their scale through the layers. */
function dense (name: string, fanIn: number, fanOut: number, random: () => number): [ReturnType<typeof float32Tensor>, ReturnType<typeof float32Tensor>] {
  const scale = 1 / Math.sqrt(fanIn)
  const w = Float32Array.from({ length: fanIn * fanOut }, () => (random() * 2 - 1) * scale)
  const b = Float32Array.from({ length: fanOut }, () => (random() * 2 - 1) * 0.1)
  return [float32Tensor(`${name}_w`, [fanIn, fanOut], w), float32Tensor(`${name}_b`, [fanOut], b)]
}

/** The MLP 32→256→256→10, FP32, dynamic batch. */
export function mlpModel (seed = 42): Uint8Array {
  const random = seededRandom(seed)
  const { input, output, inputWidth, hidden, outputWidth } = MLP
  const layers = [dense('l1', inputWidth, hidden, random), dense('l2', hidden, hidden, random), dense('l3', hidden, outputWidth, random)]
  const b = new ModelBuilder({ name: 'mlp' }).input(input, 'FP32', ['batch', inputWidth]).output(output, 'FP32', ['batch', outputWidth])
  for (const [w, bias] of layers) b.initializer(w).initializer(bias)
  return b
    .node('Gemm', [input, 'l1_w', 'l1_b'], ['h1'])
    .node('Relu', ['h1'], ['a1'])
    .node('Gemm', ['a1', 'l2_w', 'l2_b'], ['h2'])
    .node('Relu', ['h2'], ['a2'])
    .node('Gemm', ['a2', 'l3_w', 'l3_b'], [output])
    .toBytes()
}

/** A classifier head on a 3×224×224 image: per-channel mean, then a 3→10 linear layer. */
export function imageHeadModel (seed = 7): Uint8Array {
  const random = seededRandom(seed)
  const { input, output, shape, classes } = IMAGE_HEAD
  const [w, bias] = dense('fc', shape[0], classes, random)
  return new ModelBuilder({ name: 'image_head' })
    .input(input, 'FP32', ['batch', ...shape])
    .output(output, 'FP32', ['batch', classes])
    .initializer(w)
    .initializer(bias)
    .node('GlobalAveragePool', [input], ['pooled'])
    .node('Flatten', ['pooled'], ['flat'], { axis: { kind: 'int', value: 1 } })
    .node('Gemm', ['flat', 'fc_w', 'fc_b'], [output])
    .toBytes()
}

/** Writes both models into a model repository at `dir`; returns the MLP's model file path. */
export async function writeBenchRepository (dir: string): Promise<{ mlpPath: string; imagePath: string }> {
  const mlpPath = join(dir, MLP.name, '1', 'model.onnx')
  const imagePath = join(dir, IMAGE_HEAD.name, '1', 'model.onnx')
  await writeFileIfChanged(mlpPath, mlpModel())
  await writeFileIfChanged(join(dir, MLP.name, 'config.yaml'), config(256))
  await writeFileIfChanged(imagePath, imageHeadModel())
  await writeFileIfChanged(join(dir, IMAGE_HEAD.name, 'config.yaml'), config(64))
  return { mlpPath, imagePath }
}
