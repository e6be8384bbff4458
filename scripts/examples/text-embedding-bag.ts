/**
 * A fastText-style text classifier: each token has a learnt embedding, a text is the mean of its
 * tokens' embeddings (padding left out through the attention mask), and a linear layer with a
 * softmax turns that into class probabilities. Trained here by plain SGD with a linearly decaying
 * step, as fastText does, and exported as an ONNX graph that takes the tokenizer's tensors as is:
 *
 *   input_ids      INT64 [batch, L] ─ Gather(embeddings) ─┐
 *   attention_mask INT64 [batch, L] ─ Cast ───────────────┴─ masked mean ─ MatMul + Add ─ Softmax ─ probabilities FP32 [batch, C]
 */
import { seededRandom, shuffleInPlace } from '../ml/random.js'
import { attr } from '../onnx/attribute.js'
import { ModelBuilder } from '../onnx/builder.js'
import { float32Tensor, int64Tensor } from '../onnx/tensor-proto.js'

export interface EmbeddingBagModel {
  readonly vocabSize: number
  readonly dim: number
  readonly classes: number
  /** [vocabSize, dim], row-major. */
  readonly embeddings: Float64Array
  /** [dim, classes], row-major. */
  readonly weights: Float64Array
  readonly bias: Float64Array
}

export interface EmbeddingBagOptions {
  /** Embedding width. Default 32. */
  readonly dim?: number
  /** Passes over the training texts. Default 5. */
  readonly epochs?: number
  /** Initial SGD step, decayed linearly to 0. Default 0.5. */
  readonly learningRate?: number
  /** Seed of the initial embeddings and of the visiting order. Default 1. */
  readonly seed?: number
}

/** Mean embedding of `ids` into `h` (length dim). */
function meanEmbedding (model: EmbeddingBagModel, ids: readonly number[], h: Float64Array): void {
  const { dim, embeddings } = model
  h.fill(0)
  for (const id of ids) {
    const row = id * dim
    for (let k = 0; k < dim; k++) h[k] = (h[k] as number) + (embeddings[row + k] as number)
  }
  const scale = 1 / Math.max(ids.length, 1)
  for (let k = 0; k < dim; k++) h[k] = (h[k] as number) * scale
}

/** Softmax probabilities of `h · weights + bias` into `p` (length classes). */
function classify (model: EmbeddingBagModel, h: Float64Array, p: Float64Array): void {
  const { dim, classes, weights, bias } = model
  let max = -Infinity
  for (let c = 0; c < classes; c++) {
    let z = bias[c] as number
    for (let k = 0; k < dim; k++) z += (h[k] as number) * (weights[k * classes + c] as number)
    p[c] = z
    if (z > max) max = z
  }
  let sum = 0
  for (let c = 0; c < classes; c++) sum += (p[c] = Math.exp((p[c] as number) - max))
  for (let c = 0; c < classes; c++) p[c] = (p[c] as number) / sum
}

/** Class probabilities for one text given as token ids (special tokens included, no padding). */
export function predictEmbeddingBag (model: EmbeddingBagModel, ids: readonly number[]): number[] {
  const h = new Float64Array(model.dim)
  const p = new Float64Array(model.classes)
  meanEmbedding(model, ids, h)
  classify(model, h, p)
  return Array.from(p)
}

/**
 * Trains by minimising the cross-entropy of each text's label, one text at a time.
 *
 * @param texts token ids of each text (no padding).
 * @param labels class index of each text.
 */
export function trainEmbeddingBag (
  texts: readonly (readonly number[])[],
  labels: readonly number[],
  vocabSize: number,
  classes: number,
  options: EmbeddingBagOptions = {},
): EmbeddingBagModel {
  const dim = options.dim ?? 32
  const epochs = options.epochs ?? 5
  const lr0 = options.learningRate ?? 0.5
  const random = seededRandom(options.seed ?? 1)
  // fastText's start: small random input embeddings, a zero output layer.
  const embeddings = Float64Array.from({ length: vocabSize * dim }, () => (random() * 2 - 1) / dim)
  const model: EmbeddingBagModel = { vocabSize, dim, classes, embeddings, weights: new Float64Array(dim * classes), bias: new Float64Array(classes) }
  const { weights, bias } = model
  const h = new Float64Array(dim)
  const p = new Float64Array(classes)
  const dh = new Float64Array(dim)
  const order = texts.map((_, i) => i)
  const steps = epochs * texts.length
  let step = 0
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffleInPlace(order, random)
    for (const i of order) {
      const ids = texts[i] as readonly number[]
      const lr = lr0 * (1 - step++ / steps)
      meanEmbedding(model, ids, h)
      classify(model, h, p)
      p[labels[i] as number] = (p[labels[i] as number] as number) - 1 // now dLoss/dLogits
      for (let k = 0; k < dim; k++) {
        let g = 0
        for (let c = 0; c < classes; c++) {
          g += (weights[k * classes + c] as number) * (p[c] as number)
          weights[k * classes + c] = (weights[k * classes + c] as number) - lr * (h[k] as number) * (p[c] as number)
        }
        dh[k] = g
      }
      for (let c = 0; c < classes; c++) bias[c] = (bias[c] as number) - lr * (p[c] as number)
      const scale = lr / Math.max(ids.length, 1)
      for (const id of ids) {
        const row = id * dim
        for (let k = 0; k < dim; k++) embeddings[row + k] = (embeddings[row + k] as number) - scale * (dh[k] as number)
      }
    }
  }
  return model
}

export interface EmbeddingBagGraphNames {
  readonly inputIds: string
  readonly attentionMask: string
  readonly probabilities: string
}

/** The ONNX graph of a trained model (opset 17). */
export function embeddingBagOnnx (model: EmbeddingBagModel, names: EmbeddingBagGraphNames, docString: string): ModelBuilder {
  const { vocabSize, dim, classes } = model
  return new ModelBuilder({ name: 'embedding_bag', docString })
    .input(names.inputIds, 'INT64', ['batch', 'sequence'])
    .input(names.attentionMask, 'INT64', ['batch', 'sequence'])
    .output(names.probabilities, 'FP32', ['batch', classes])
    .initializer(float32Tensor('embeddings', [vocabSize, dim], model.embeddings))
    .initializer(float32Tensor('weights', [dim, classes], model.weights))
    .initializer(float32Tensor('bias', [classes], model.bias))
    .initializer(int64Tensor('axis_1', [1], [1]))
    .initializer(int64Tensor('axis_2', [1], [2]))
    .initializer(float32Tensor('one', [], [1]))
    .node('Gather', ['embeddings', names.inputIds], ['token_vectors'], { axis: attr.int(0) })
    .node('Cast', [names.attentionMask], ['mask'], { to: attr.int(1) /* FLOAT */ })
    .node('Unsqueeze', ['mask', 'axis_2'], ['mask_3d'])
    .node('Mul', ['token_vectors', 'mask_3d'], ['masked_vectors'])
    .node('ReduceSum', ['masked_vectors', 'axis_1'], ['vector_sum'], { keepdims: attr.int(0) })
    .node('ReduceSum', ['mask', 'axis_1'], ['token_count'], { keepdims: attr.int(1) })
    // An all-padding row (never sent by the processor) divides by 1, not 0.
    .node('Max', ['token_count', 'one'], ['divisor'])
    .node('Div', ['vector_sum', 'divisor'], ['text_vector'])
    .node('MatMul', ['text_vector', 'weights'], ['scores'])
    .node('Add', ['scores', 'bias'], ['logits'])
    .node('Softmax', ['logits'], [names.probabilities], { axis: attr.int(1) })
}
