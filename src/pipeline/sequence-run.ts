import { allocData, elementCount, type Tensor } from '../core/tensor.js'
import { Errors } from '../errors/codes.js'
import { InferdError } from '../errors/inferd-error.js'
import type { ResolvedSequence } from './sequence-spec.js'

export type { ResolvedSequence, SequenceSpec, SequenceStateSpec } from './sequence-spec.js'
export { resolveSequence, validateSequenceSpec } from './sequence-spec.js'

/**
 * Runs the model on one set of inputs (one frame) and returns its outputs. Supplied by the
 * engine, so each call goes through the model's scheduler like any request.
 */
export type RunModel = (inputs: Tensor[]) => Promise<Tensor[]>

/**
 * Runs a stateful model over the frames of one item, in order, and stacks what each frame gave.
 *
 *   frames [F, W] ──row 0──▶ model ──▶ out₀      row 1 ──▶ model ──▶ out₁   ...
 *                  state 0 ─┘   └──▶ state 1 ────────────┘   └──▶ state 2
 *
 * The first state is zeros; `constants` go with every frame. Frames of one item cannot be
 * batched: frame k needs the state frame k−1 produced. (Frames of *different* items could share
 * a model call, stacked along each state's batch axis; that is a scheduler concern, not done here.)
 *
 * @param frames FP32 `[F, W]` (audio.ts `preprocessAudio` with `frame` set)
 * @returns one tensor per collected output: `[F, ...frame shape]`, where a frame's leading
 *   dimension of 1 (its batch of one) becomes the frame axis: `[1, 1]` per frame → `[F, 1]`.
 * @throws InferdError BACKEND_FAILED when the model leaves out an output or returns a state of
 *   another size or type than it takes (a model fault, not the client's).
 */
export async function runFrames (frames: Tensor<'FP32'>, seq: ResolvedSequence, runModel: RunModel): Promise<Tensor[]> {
  const failed = (what: string): InferdError => new InferdError(Errors.BACKEND_FAILED, [seq.model, `sequence: ${what}`])
  const [count, width] = frames.shape as [number, number]
  let states: Tensor[] = seq.states.map((s) => ({ name: s.input, datatype: s.datatype, shape: s.shape, data: allocData(s.datatype, elementCount(s.shape)) }))
  const collected: Array<{ shape: readonly number[]; chunks: Tensor[] }> = seq.outputs.map(() => ({ shape: [], chunks: [] }))
  for (let k = 0; k < count; k++) {
    // A copy, not a view: a backend may transfer the buffer to a worker thread.
    const frame: Tensor = { name: seq.frameInput, datatype: 'FP32', shape: [1, width], data: frames.data.slice(k * width, (k + 1) * width) }
    // Constants are copied each frame too: a transferred buffer is empty on this side afterwards.
    const constants = seq.constants.map((c) => ({ ...c, data: c.data.slice() }) as Tensor)
    const results = new Map((await runModel([frame, ...states, ...constants])).map((t) => [t.name, t]))
    const output = (name: string): Tensor => {
      const t = results.get(name)
      if (t === undefined) throw failed(`frame ${k}: the model returned no output '${name}'`)
      return t
    }
    states = seq.states.map((s) => {
      const next = output(s.output)
      if (next.datatype !== s.datatype || next.data.length !== elementCount(s.shape)) {
        throw failed(`state output '${s.output}' is ${next.datatype}[${next.shape.join(', ')}], the state input '${s.input}' takes ${s.datatype}[${s.shape.join(', ')}]`)
      }
      return { name: s.input, datatype: s.datatype, shape: s.shape, data: next.data }
    })
    seq.outputs.forEach((name, i) => {
      const t = output(name)
      const c = collected[i] as { shape: readonly number[]; chunks: Tensor[] }
      if (k === 0) c.shape = t.shape
      else if (t.data.length !== (c.chunks[0] as Tensor).data.length || t.datatype !== (c.chunks[0] as Tensor).datatype) {
        throw failed(`output '${name}' changed from ${(c.chunks[0] as Tensor).datatype}[${c.shape.join(', ')}] to ${t.datatype}[${t.shape.join(', ')}] at frame ${k}`)
      }
      c.chunks.push(t)
    })
  }
  return seq.outputs.map((name, i) => stack(name, collected[i] as { shape: readonly number[]; chunks: Tensor[] }, count))
}

/** Frame results → one tensor with the frame axis first. */
function stack (name: string, c: { shape: readonly number[]; chunks: Tensor[] }, count: number): Tensor {
  const first = c.chunks[0]
  const perFrame = c.shape[0] === 1 ? c.shape.slice(1) : c.shape
  if (first === undefined) return { name, datatype: 'FP32', shape: [0, ...perFrame], data: new Float32Array(0) }
  const size = first.data.length
  const data = allocData(first.datatype, count * size)
  if (Array.isArray(data)) {
    c.chunks.forEach((t, k) => { (t.data as Uint8Array[]).forEach((v, j) => { data[k * size + j] = v }) })
  } else {
    const typed = data as Exclude<typeof data, Uint8Array[]>
    c.chunks.forEach((t, k) => { (typed as Float32Array).set(t.data as Float32Array, k * size) })
  }
  return { name, datatype: first.datatype, shape: [count, ...perFrame], data }
}
