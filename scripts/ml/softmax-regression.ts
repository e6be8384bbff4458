/**
 * Multinomial logistic (softmax) regression trained by full-batch gradient descent. Weights
 * start at zero and every step uses all rows, so training is deterministic: no seed needed.
 */

export interface SoftmaxModel {
  /** `weights[feature][class]`. */
  readonly weights: number[][]
  /** `bias[class]`. */
  readonly bias: number[]
}

export interface SoftmaxTrainingOptions {
  /** Number of gradient steps. */
  readonly epochs: number
  /** Step size. */
  readonly learningRate: number
  /** L2 penalty on the weights (not the bias); keeps weights finite on separable classes. */
  readonly l2: number
}

/** Class probabilities for one (already standardized) row. */
export function predictProbabilities (model: SoftmaxModel, row: readonly number[]): number[] {
  const logits = model.bias.map((b, k) => row.reduce((sum, x, j) => sum + x * (model.weights[j]?.[k] ?? 0), b))
  const max = Math.max(...logits)
  const exps = logits.map((z) => Math.exp(z - max))
  const total = exps.reduce((a, b) => a + b, 0)
  return exps.map((e) => e / total)
}

/** Index of the largest value (the first one on ties, as ONNX ArgMax does). */
export function argMax (values: readonly number[]): number {
  let best = 0
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i
  return best
}

/**
 * Trains on standardized rows `x` with class indices `y` in `[0, classes)`.
 * Minimizes mean cross-entropy + `l2/2 * |W|²`.
 */
export function trainSoftmax (
  x: readonly (readonly number[])[],
  y: readonly number[],
  classes: number,
  options: SoftmaxTrainingOptions,
): SoftmaxModel {
  const features = x[0]?.length ?? 0
  const weights = Array.from({ length: features }, () => new Array<number>(classes).fill(0))
  const bias = new Array<number>(classes).fill(0)
  const model: SoftmaxModel = { weights, bias }
  const n = x.length
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const gradW = Array.from({ length: features }, () => new Array<number>(classes).fill(0))
    const gradB = new Array<number>(classes).fill(0)
    for (let i = 0; i < n; i++) {
      const row = x[i] as readonly number[]
      const p = predictProbabilities(model, row)
      for (let k = 0; k < classes; k++) {
        const err = (p[k] as number) - (y[i] === k ? 1 : 0)
        gradB[k] = (gradB[k] as number) + err / n
        for (let j = 0; j < features; j++) {
          const g = gradW[j] as number[]
          g[k] = (g[k] as number) + (err * (row[j] as number)) / n
        }
      }
    }
    for (let k = 0; k < classes; k++) {
      bias[k] = (bias[k] as number) - options.learningRate * (gradB[k] as number)
      for (let j = 0; j < features; j++) {
        const w = weights[j] as number[]
        w[k] = (w[k] as number) - options.learningRate * ((gradW[j]?.[k] as number) + options.l2 * (w[k] as number))
      }
    }
  }
  return model
}
