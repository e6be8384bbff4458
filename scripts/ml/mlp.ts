import { seededRandom } from './random.js'

/**
 * A small multilayer perceptron with one output: `inputs → hidden ReLU units → 1`, or a plain
 * linear model with `hidden: 0`. With the logistic loss the output is a logit (binary
 * classifier); with the squared loss it is the prediction itself (regression on a standardized
 * target).
 *
 * Trained full-batch with Adam from a seeded initialisation and no data shuffling, so the same
 * data and options give bit-identical weights on every run. Input rows are the one-hot-heavy
 * matrices tabular.ts makes, so the first layer walks each row's non-zero columns only.
 */
export interface Mlp {
  readonly inputs: number
  readonly hidden: number
  /** `w1[input * hidden + unit]`; empty when hidden is 0. */
  readonly w1: Float64Array
  readonly b1: Float64Array
  /** Output weights: one per hidden unit, or one per input when hidden is 0. */
  readonly w2: Float64Array
  readonly b2: number
}

export interface MlpOptions {
  /** Hidden ReLU units; 0 gives a linear (or logistic) model. */
  readonly hidden: number
  /** `logistic`: binary cross-entropy on a logit, labels 0/1. `squared`: mean squared error. */
  readonly loss: 'logistic' | 'squared'
  /** Full-batch Adam steps. */
  readonly epochs: number
  /** Adam step size. */
  readonly learningRate: number
  /** L2 penalty on the weights (not the biases). */
  readonly l2: number
  /** Seed of the weight initialisation. */
  readonly seed: number
}

/** A feature matrix as tabular.ts makes it: row-major, `rows × width`. */
export interface Matrix {
  readonly data: Float32Array
  readonly width: number
}

interface SparseRows { readonly index: Int32Array[]; readonly value: Float64Array[] }

function sparse (m: Matrix): SparseRows {
  const rows = m.data.length / m.width
  const index: Int32Array[] = []
  const value: Float64Array[] = []
  for (let r = 0; r < rows; r++) {
    const cols: number[] = []
    for (let j = 0; j < m.width; j++) if (m.data[r * m.width + j] !== 0) cols.push(j)
    index.push(Int32Array.from(cols))
    value.push(Float64Array.from(cols, (j) => m.data[r * m.width + j] as number))
  }
  return { index, value }
}

/** Adam state for one parameter array. */
class Adam {
  readonly #m: Float64Array
  readonly #v: Float64Array
  constructor (size: number, readonly rate: number) {
    this.#m = new Float64Array(size)
    this.#v = new Float64Array(size)
  }

  step (params: Float64Array, grad: Float64Array, t: number): void {
    const b1 = 0.9
    const b2 = 0.999
    const c1 = 1 - b1 ** t
    const c2 = 1 - b2 ** t
    for (let i = 0; i < params.length; i++) {
      const g = grad[i] as number
      const m = (this.#m[i] = b1 * (this.#m[i] as number) + (1 - b1) * g)
      const v = (this.#v[i] = b2 * (this.#v[i] as number) + (1 - b2) * g * g)
      params[i] = (params[i] as number) - (this.rate * (m / c1)) / (Math.sqrt(v / c2) + 1e-8)
    }
  }
}

/** Forward pass of one sparse row; fills `h` with the hidden activations, returns the output. */
function forward (model: Mlp, index: Int32Array, value: Float64Array, h: Float64Array): number {
  const { hidden, w1, b1, w2 } = model
  if (hidden === 0) {
    let z = model.b2
    for (let k = 0; k < index.length; k++) z += (value[k] as number) * (w2[index[k] as number] as number)
    return z
  }
  h.set(b1)
  for (let k = 0; k < index.length; k++) {
    const x = value[k] as number
    const base = (index[k] as number) * hidden
    for (let u = 0; u < hidden; u++) h[u] = (h[u] as number) + x * (w1[base + u] as number)
  }
  let z = model.b2
  for (let u = 0; u < hidden; u++) {
    const a = Math.max(0, h[u] as number)
    h[u] = a
    z += a * (w2[u] as number)
  }
  return z
}

/**
 * Trains on the rows of `x` with targets `y` (0/1 for logistic, any number for squared).
 *
 * @example
 * const model = trainMlp(features, labels, { hidden: 16, loss: 'logistic', epochs: 400, learningRate: 0.01, l2: 1e-4, seed: 1 })
 */
export function trainMlp (x: Matrix, y: readonly number[], options: MlpOptions): Mlp {
  const rows = sparse(x)
  const n = y.length
  if (rows.index.length !== n) throw new RangeError(`trainMlp: ${rows.index.length} rows but ${n} targets`)
  const { hidden } = options
  const inputs = x.width
  const random = seededRandom(options.seed)
  // He initialisation for the ReLU layer, small output weights: outputs start near zero.
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  const w1 = Float64Array.from({ length: inputs * hidden }, () => normal() * Math.sqrt(2 / inputs))
  const b1 = new Float64Array(hidden)
  const w2 = hidden === 0 ? new Float64Array(inputs) : Float64Array.from({ length: hidden }, () => normal() * Math.sqrt(1 / hidden))
  const b2 = new Float64Array(1)
  const model = (): Mlp => ({ inputs, hidden, w1, b1, w2, b2: b2[0] as number })
  const opt = [w1, b1, w2, b2].map((p) => new Adam(p.length, options.learningRate))
  const g1 = new Float64Array(w1.length)
  const gb1 = new Float64Array(b1.length)
  const g2 = new Float64Array(w2.length)
  const gb2 = new Float64Array(1)
  const h = new Float64Array(hidden)

  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    g1.fill(0); gb1.fill(0); g2.fill(0); gb2.fill(0)
    const m = model()
    for (let r = 0; r < n; r++) {
      const index = rows.index[r] as Int32Array
      const value = rows.value[r] as Float64Array
      const z = forward(m, index, value, h)
      const target = y[r] as number
      // d(loss)/dz: p − y for cross-entropy on a logit, z − y for half the squared error.
      const dz = (options.loss === 'logistic' ? 1 / (1 + Math.exp(-z)) - target : z - target) / n
      gb2[0] = (gb2[0] as number) + dz
      if (hidden === 0) {
        for (let k = 0; k < index.length; k++) g2[index[k] as number] = (g2[index[k] as number] as number) + dz * (value[k] as number)
        continue
      }
      for (let u = 0; u < hidden; u++) {
        const a = h[u] as number
        g2[u] = (g2[u] as number) + dz * a
        // ReLU passes the gradient only where the unit was active.
        if (a > 0) h[u] = dz * (w2[u] as number)
        else h[u] = 0
        gb1[u] = (gb1[u] as number) + (h[u] as number)
      }
      for (let k = 0; k < index.length; k++) {
        const xv = value[k] as number
        const base = (index[k] as number) * hidden
        for (let u = 0; u < hidden; u++) g1[base + u] = (g1[base + u] as number) + xv * (h[u] as number)
      }
    }
    for (let i = 0; i < w1.length; i++) g1[i] = (g1[i] as number) + options.l2 * (w1[i] as number)
    for (let i = 0; i < w2.length; i++) g2[i] = (g2[i] as number) + options.l2 * (w2[i] as number)
    const [o1, ob1, o2, ob2] = opt as [Adam, Adam, Adam, Adam]
    o1.step(w1, g1, epoch)
    ob1.step(b1, gb1, epoch)
    o2.step(w2, g2, epoch)
    ob2.step(b2, gb2, epoch)
  }
  return model()
}

/** The model's raw outputs (logits, or standardized predictions) for every row of `x`. */
export function mlpOutputs (model: Mlp, x: Matrix): Float64Array {
  const rows = sparse(x)
  const h = new Float64Array(model.hidden)
  return Float64Array.from(rows.index, (index, r) => forward(model, index, rows.value[r] as Float64Array, h))
}

/** The logistic function: a logit's probability. */
export function sigmoid (z: number): number {
  return 1 / (1 + Math.exp(-z))
}
