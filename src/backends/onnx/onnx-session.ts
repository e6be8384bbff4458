import type ort from 'onnxruntime-node'
import type { DeclaredSignature, DeclaredTensor, ModelSession } from '../backend.js'
import type { Tensor } from '../../core/tensor.js'
import { datatypeFromOrt, dimsFromOrt } from './ort-types.js'
import { fromOrtTensor, toOrtTensor } from './ort-tensor.js'

/**
 * One onnxruntime InferenceSession behind the ModelSession contract.
 *
 * `session.run()` computes synchronously on the calling thread (ENGINE.md), so concurrent calls
 * already run one after another; the session only counts calls in flight so that `close()` can
 * wait for them before releasing native memory.
 */
export class OnnxSession implements ModelSession {
  readonly declared: DeclaredSignature
  readonly #session: ort.InferenceSession
  readonly #bf16Inputs: ReadonlySet<string>
  readonly #bf16Outputs: ReadonlySet<string>
  #inFlight = 0
  #idle: (() => void) | undefined
  #closed: Promise<void> | undefined

  constructor (session: ort.InferenceSession, bf16: { inputs: ReadonlySet<string>; outputs: ReadonlySet<string> }) {
    this.#session = session
    this.#bf16Inputs = bf16.inputs
    this.#bf16Outputs = bf16.outputs
    this.declared = {
      inputs: session.inputMetadata.map((m) => declare(m, bf16.inputs)),
      outputs: session.outputMetadata.map((m) => declare(m, bf16.outputs)),
    }
  }

  async run (inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
    if (this.#closed !== undefined) throw new Error('session is closed')
    this.#inFlight++
    try {
      const feeds: Record<string, ort.Tensor> = {}
      for (const t of inputs) feeds[t.name] = toOrtTensor(t, this.#bf16Inputs.has(t.name))
      const results = await this.#session.run(feeds, [...outputNames])
      return outputNames.map((name) => {
        const value = results[name]
        if (value === undefined) throw new Error(`onnxruntime returned no output '${name}'`)
        return fromOrtTensor(name, value, this.#bf16Outputs.has(name))
      })
    } finally {
      this.#inFlight--
      if (this.#inFlight === 0) this.#idle?.()
    }
  }

  close (): Promise<void> {
    this.#closed ??= (async () => {
      if (this.#inFlight > 0) await new Promise<void>((resolve) => { this.#idle = resolve })
      await this.#session.release()
    })()
    return this.#closed
  }
}

function declare (m: ort.InferenceSession.ValueMetadata, bf16: ReadonlySet<string>): DeclaredTensor {
  if (!m.isTensor) throw new Error(`'${m.name}' is not a tensor (sequences and maps are not supported)`)
  const datatype = bf16.has(m.name) ? 'BF16' : datatypeFromOrt(m.type)
  if (datatype === undefined) throw new Error(`'${m.name}' has unsupported element type '${m.type}'`)
  return { name: m.name, datatype, shape: dimsFromOrt(m.shape) }
}
