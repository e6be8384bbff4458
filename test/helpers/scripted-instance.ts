import type { Tensor } from '../../src/core/tensor.js'
import type { ExecutionInstance } from '../../src/scheduler/execution-instance.js'

/** One batch a {@link ScriptedInstance} received, with the means to end it. */
export interface ReceivedBatch {
  readonly instance: ScriptedInstance
  readonly inputs: readonly Tensor[]
  readonly outputNames: readonly string[]
  /** Request ids found in the batch's `x` input, in batch order (see {@link requestInput}). */
  readonly ids: readonly number[]
  readonly rows: number
  settled: boolean
}

interface Running { batch: ReceivedBatch; resolve: (t: Tensor[]) => void; reject: (e: unknown) => void }

/**
 * A deliberately hostile ExecutionInstance for scheduler tests (onnxruntime's MockBackend habit):
 * it records every batch, computes only when the test says so, can fail a batch, reject
 * synchronously, crash (turn not ready) and restart, and it refuses — loudly, by throwing and by
 * recording a violation — a `run` while it is busy or not ready, the invariant the scheduler
 * must keep.
 *
 * Its "model" takes `x` f32[rows, w] (and any other inputs, ignored) and gives
 * `y` = 2x, f32[rows, w], and `s` = the sum of each row, f32[rows, 1].
 */
export class ScriptedInstance implements ExecutionInstance {
  readonly kind = 'inline'
  readonly name: string
  readonly batches: ReceivedBatch[] = []
  readonly violations: string[] = []
  #current: Running | undefined
  #ready = true
  #listeners: (() => void)[] = []
  /** When set, the next `run` throws this synchronously instead of returning a promise. */
  throwOnNextRun: unknown

  constructor (name: string) { this.name = name }

  ready (): boolean { return this.#ready }
  onReady (listener: () => void): void { this.#listeners.push(listener) }
  get busy (): boolean { return this.#current !== undefined }
  /** The batch computing now. */
  get current (): ReceivedBatch | undefined { return this.#current?.batch }

  run (inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
    if (this.#current !== undefined || !this.#ready) {
      const why = `${this.name}: run() while ${this.#current !== undefined ? 'busy' : 'not ready'}`
      this.violations.push(why)
      throw new Error(why)
    }
    if (this.throwOnNextRun !== undefined) {
      const err = this.throwOnNextRun
      this.throwOnNextRun = undefined
      throw err
    }
    const x = inputs.find((t) => t.name === 'x')
    const batch: ReceivedBatch = { instance: this, inputs, outputNames, ids: x === undefined ? [] : idsOf(x), rows: x?.shape[0] ?? 0, settled: false }
    this.batches.push(batch)
    return new Promise<Tensor[]>((resolve, reject) => { this.#current = { batch, resolve, reject } })
  }

  /** Ends the batch in flight with its computed outputs (or with `outputs` when given). */
  finish (outputs?: Tensor[]): ReceivedBatch {
    const c = this.#take()
    c.resolve(outputs ?? compute(c.batch.inputs, c.batch.outputNames))
    return c.batch
  }

  /** Fails the batch in flight with `err`. */
  fail (err: unknown): ReceivedBatch {
    const c = this.#take()
    c.reject(err)
    return c.batch
  }

  /** Fails the batch in flight and turns not ready, as a worker whose thread died. */
  crash (err: unknown): ReceivedBatch {
    this.#ready = false
    return this.fail(err)
  }

  /** Ready again after a crash; tells the listeners. */
  restart (): void {
    this.#ready = true
    for (const l of this.#listeners) l()
  }

  async close (): Promise<void> {}

  #take (): Running {
    const c = this.#current
    if (c === undefined) throw new Error(`${this.name}: nothing is running`)
    this.#current = undefined
    c.batch.settled = true
    return c
  }
}

/**
 * The input `x` of request `id`: f32[rows, width], element (r, c) = id·1000 + r·10 + c, so every
 * value says which request and row it came from (ids below 16000 stay exact in float32).
 */
export function requestInput (id: number, rows: number, width = 2): Tensor {
  const data = new Float32Array(rows * width)
  for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) data[r * width + c] = id * 1000 + r * 10 + c
  return { name: 'x', datatype: 'FP32', shape: [rows, width], data }
}

/** What the scripted model answers for these inputs. */
export function compute (inputs: readonly Tensor[], outputNames: readonly string[] = ['y', 's']): Tensor[] {
  const x = inputs.find((t) => t.name === 'x')
  if (x === undefined) throw new Error('no input x')
  const [rows = 0, width = 0] = x.shape
  const data = x.data as Float32Array
  const y = data.map((v) => v * 2)
  const s = new Float32Array(rows)
  for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) s[r]! += data[r * width + c]!
  const all: Tensor[] = [
    { name: 'y', datatype: 'FP32', shape: [rows, width], data: y },
    { name: 's', datatype: 'FP32', shape: [rows, 1], data: s },
  ]
  return all.filter((t) => outputNames.includes(t.name))
}

/** A request's first row starts with id·1000 exactly; later rows add r·10. */
function idsOf (x: Tensor): number[] {
  const [rows = 0, width = 0] = x.shape
  const ids: number[] = []
  for (let r = 0; r < rows; r++) {
    const v = (x.data as Float32Array)[r * width]!
    if (v % 1000 === 0) ids.push(v / 1000)
  }
  return ids
}
