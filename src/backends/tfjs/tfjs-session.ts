import type { GraphModel, NamedTensorMap, Tensor as TfTensor } from '@tensorflow/tfjs'
import type { DataType, DataTypeMap } from '../../core/dtype.js'
import type { Tensor } from '../../core/tensor.js'
import type { DeclaredSignature, ModelSession } from '../backend.js'
import type { Tfjs } from './tfjs-runtime.js'
import { datatypeFromTfjs, type TfjsDtype, tfjsDtypeOf } from './tfjs-types.js'

/** TF.js's message when a graph needs `executeAsync` (control flow, dynamic shapes, async ops). */
const NEEDS_ASYNC = /executeAsync\(\)/

/**
 * One TF.js GraphModel behind the ModelSession contract.
 *
 * Runs are serialised: TF.js keeps per-model executor state, and the wasm backend computes on the
 * calling thread anyway. Each run uses the synchronous `execute` until TF.js reports that the
 * graph needs `executeAsync` (control flow or dynamic-shape ops); from then on that session runs
 * asynchronously. (`executeAsync` on a plain graph works too, but warns on every call.)
 *
 * Every TF.js tensor a run creates (inputs, outputs) is disposed before the run settles, and
 * `close` disposes the weights, so tf.memory() returns to where it was.
 */
export class TfjsSession implements ModelSession {
  readonly declared: DeclaredSignature
  readonly #tf: Tfjs
  readonly #model: GraphModel
  #async = false
  #queue: Promise<unknown> = Promise.resolve()
  #closed: Promise<void> | undefined

  constructor (tf: Tfjs, model: GraphModel, declared: DeclaredSignature) {
    this.#tf = tf
    this.#model = model
    this.declared = declared
  }

  run (inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
    if (this.#closed !== undefined) return Promise.reject(new Error('session is closed'))
    const result = this.#queue.then(() => this.#run(inputs, outputNames))
    this.#queue = result.catch(() => {})
    return result
  }

  close (): Promise<void> {
    this.#closed ??= this.#queue.then(() => { this.#model.dispose() })
    return this.#closed
  }

  async #run (inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
    const feeds: NamedTensorMap = {}
    let produced: TfTensor[] = []
    try {
      for (const t of inputs) feeds[t.name] = this.#toTf(t)
      produced = await this.#execute(feeds, [...outputNames])
      const out: Tensor[] = []
      for (const [i, name] of outputNames.entries()) out.push(await fromTf(name, produced[i] as TfTensor))
      return out
    } finally {
      // An output may be an input passed straight through (Identity): dispose each tensor once.
      const all = new Set<TfTensor>([...Object.values(feeds), ...produced])
      for (const t of all) t.dispose()
    }
  }

  async #execute (feeds: NamedTensorMap, outputs: string[]): Promise<TfTensor[]> {
    const asArray = (r: TfTensor | TfTensor[]): TfTensor[] => (Array.isArray(r) ? r : [r])
    if (!this.#async) {
      try {
        return asArray(this.#model.execute(feeds, outputs))
      } catch (err) {
        // execute() fails before computing anything (or inside its own tidy), so nothing leaks.
        if (!(err instanceof Error && NEEDS_ASYNC.test(err.message))) throw err
        this.#async = true
      }
    }
    return asArray(await this.#model.executeAsync(feeds, outputs))
  }

  #toTf (t: Tensor): TfTensor {
    const dtype = tfjsDtypeOf(t.datatype)
    if (dtype === undefined) throw new Error(`input '${t.name}' is ${t.datatype}, which TF.js cannot take`)
    const shape = [...t.shape]
    if (dtype === 'string') return this.#tf.tensor(t.data as Uint8Array[], shape, 'string')
    // TF.js copies the values into the wasm heap, so the caller's buffer is not kept.
    return this.#tf.tensor(t.data as Float32Array | Int32Array | Uint8Array, shape, dtype)
  }
}

async function fromTf (name: string, t: TfTensor): Promise<Tensor> {
  const datatype: DataType | undefined = datatypeFromTfjs(t.dtype as TfjsDtype)
  if (datatype === undefined) throw new Error(`output '${name}' has TF.js dtype ${t.dtype}, which the protocol cannot carry`)
  const shape = [...t.shape]
  // bytes() gives string elements as the raw bytes TF.js holds; data() would decode them as UTF-8.
  if (datatype === 'BYTES') return { name, datatype, shape, data: await t.bytes() as Uint8Array[] }
  // The wasm backend's data() is a fresh copy out of its heap: the array owns its buffer, which
  // lets a worker thread transfer it rather than copy it again.
  return { name, datatype, shape, data: await t.data() as DataTypeMap[Exclude<DataType, 'BYTES'>] }
}
