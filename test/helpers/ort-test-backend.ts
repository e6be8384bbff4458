import ort from 'onnxruntime-node'
import type { Backend, DeclaredTensor, ModelSession } from '../../src/backends/backend.js'
import type { DataType } from '../../src/core/dtype.js'
import type { Tensor } from '../../src/core/tensor.js'

/**
 * A Backend for repository tests: opens files with onnxruntime-node directly (not the project's
 * ONNX backend, so that those tests depend only on the Backend contract), runs float32 tensors,
 * and counts the sessions it opened and closed. `hold()` makes opens wait until released, so a
 * test can look at a load in progress without timing anything.
 */

const ORT_TYPES: Readonly<Record<string, DataType>> = {
  float32: 'FP32', float64: 'FP64', float16: 'FP16', int8: 'INT8', int16: 'INT16', int32: 'INT32', int64: 'INT64',
  uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64', bool: 'BOOL', string: 'BYTES',
}

function declaredOf (meta: readonly ort.InferenceSession.ValueMetadata[]): DeclaredTensor[] {
  return meta.map((m) => {
    if (!m.isTensor) throw new Error(`${m.name} is not a tensor`)
    const datatype = ORT_TYPES[m.type]
    if (datatype === undefined) throw new Error(`unmapped type ${m.type}`)
    return { name: m.name, datatype, shape: m.shape.map((d) => (typeof d === 'number' ? d : -1)) }
  })
}

export class OrtTestBackend implements Backend {
  readonly name = 'onnxruntime'
  readonly platform = 'onnxruntime_onnx'
  readonly defaultModelFilename = 'model.onnx'
  opened = 0
  closed = 0
  /** Opens begun (counted before any hold). */
  started = 0
  #gate: Promise<void> | undefined

  /** Opens from now on wait until the returned function is called. */
  hold (): () => void {
    let release!: () => void
    this.#gate = new Promise((resolve) => { release = resolve })
    return () => { this.#gate = undefined; release() }
  }

  async open (path: string): Promise<ModelSession> {
    this.started++
    await this.#gate
    const session = await ort.InferenceSession.create(path)
    this.opened++
    const backend = this
    let released = false
    return {
      declared: { inputs: declaredOf(session.inputMetadata), outputs: declaredOf(session.outputMetadata) },
      async run (inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
        const feeds = Object.fromEntries(inputs.map((t) => [t.name, new ort.Tensor('float32', t.data as Float32Array, [...t.shape])]))
        const result = await session.run(feeds, [...outputNames])
        return outputNames.map((name) => {
          const out = result[name] as ort.Tensor
          return { name, datatype: 'FP32', shape: [...out.dims], data: out.data as Float32Array }
        })
      },
      async close (): Promise<void> {
        if (released) return
        released = true
        backend.closed++
        await session.release()
      },
    }
  }
}

