import { ARRAY_CTOR, DATATYPES, type DataType, ELEMENT_BYTES, type FixedDataType } from '../core/dtype.js'
import { elementCount, type Tensor } from '../core/tensor.js'

/**
 * The memory a session thread and the event loop share to hand a batch over without messages
 * (worker-instance.ts is one side, session-worker.ts the other).
 *
 *   control  (SharedArrayBuffer, fixed for the thread's life)
 *     Int32 [0]  state: IDLE → RUN_SHARED | RUN_POSTED → DONE_SHARED | DONE_POSTED → IDLE …, STOP
 *     BigInt64 [1], [2]  the run's start and end on process.hrtime.bigint()
 *     Int32 [HEAD_AT …]  the header: which tensors, their datatype, shape and place in `data`
 *   data     (SharedArrayBuffer of DATA_BYTES, fixed for the thread's life)
 *     tensor bytes, each at an 8-byte-aligned offset
 *
 * The loop writes the inputs and a header, stores RUN_SHARED and wakes the thread
 * (Atomics.notify); the thread, blocked in Atomics.wait, copies the inputs out (onnxruntime-node
 * refuses views of shared memory), runs, writes the outputs and a header over them, stores
 * DONE_SHARED and wakes the loop, which was waiting in Atomics.waitAsync. What the memory cannot
 * hold (BYTES tensors, a header too long, more than DATA_BYTES of data) goes as a message on a
 * private port instead, read synchronously with receiveMessageOnPort, and the state says so
 * (RUN_POSTED, DONE_POSTED): the signalling stays the same either way.
 *
 * Why not only messages: a postMessage round trip cost ~45 µs of CPU per batch against ~10 µs for
 * this one (Node 20, 2048 floats each way, 20,000 trips), most of it structured clone and the
 * 'message' event machinery on the event loop, which is the thread the HTTP side needs. Why not
 * always shared memory: copying costs by the byte, a transferred buffer does not; at DATA_BYTES
 * the copy in and out (~25 µs at ~10 GB/s) is about what a message costs, so larger batches (an
 * image batch) go by message, their buffers transferred rather than copied.
 */
export const State = { IDLE: 0, RUN_SHARED: 1, RUN_POSTED: 2, DONE_SHARED: 3, DONE_POSTED: 4, STOP: 5 } as const

export const CONTROL_STATE = 0
/** BigInt64 slots of the run's start and end. */
export const MARK_START = 1
export const MARK_END = 2
const HEAD_AT = 8
const HEAD_INTS = 1024
const CONTROL_BYTES = (HEAD_AT + HEAD_INTS) * 4

/** The data buffer's size: batches whose tensors take more go by message. */
export const DATA_BYTES = 256 * 1024

const CODE: ReadonlyMap<DataType, number> = new Map(DATATYPES.map((d, i) => [d, i]))

/** The shared control block's views. */
export interface Control {
  readonly buffer: SharedArrayBuffer
  readonly ints: Int32Array
  readonly marks: BigInt64Array
}

export function newControl (): Control {
  return viewControl(new SharedArrayBuffer(CONTROL_BYTES))
}

export function viewControl (buffer: SharedArrayBuffer): Control {
  return { buffer, ints: new Int32Array(buffer), marks: new BigInt64Array(buffer, 0, HEAD_AT / 2) }
}

/** Each name's position in `names`: the index by which a header refers to a tensor. */
export function nameIndex (names: readonly string[]): ReadonlyMap<string, number> {
  return new Map(names.map((n, i) => [n, i]))
}

/**
 * Writes tensors into `data` and their header into the control block (after `extra`, a list of
 * name indices the reader gets back: the outputs a run asks for). Returns false, having written
 * nothing the reader will look at, when they cannot go there: a BYTES tensor, a name not in
 * `names`, a header too long, more data than the buffer holds, or data whose length disagrees
 * with its shape (a detached buffer reads as empty).
 */
export function writeShared (control: Control, data: SharedArrayBuffer, names: ReadonlyMap<string, number>, tensors: readonly Tensor[], extra: readonly number[] = []): boolean {
  const head = control.ints
  let h = HEAD_AT
  const end = HEAD_AT + HEAD_INTS
  head[h++] = tensors.length
  let at = 0
  for (const t of tensors) {
    const name = names.get(t.name)
    if (t.datatype === 'BYTES' || name === undefined || h + 5 + t.shape.length > end) return false
    const view = t.data as ArrayBufferView
    const bytes = elementCount(t.shape) * ELEMENT_BYTES[t.datatype]
    at = align(at)
    if (view.byteLength !== bytes || at + bytes > data.byteLength) return false
    new Uint8Array(data, at, bytes).set(new Uint8Array(view.buffer, view.byteOffset, bytes))
    head[h++] = name
    head[h++] = CODE.get(t.datatype)!
    head[h++] = t.shape.length
    for (const d of t.shape) head[h++] = d
    head[h++] = at
    at += bytes
  }
  if (h + 1 + extra.length > end) return false
  head[h++] = extra.length
  for (const e of extra) head[h++] = e
  return true
}

/**
 * Reads what {@link writeShared} wrote: the tensors, as copies in memory of their own (the data
 * buffer is overwritten by the next batch), and the extra indices.
 */
export function readShared (control: Control, data: SharedArrayBuffer, names: readonly string[]): { tensors: Tensor[]; extra: number[] } {
  const head = control.ints
  let h = HEAD_AT
  const count = head[h++]!
  const tensors: Tensor[] = []
  for (let i = 0; i < count; i++) {
    const name = names[head[h++]!]!
    const datatype = DATATYPES[head[h++]!] as FixedDataType
    const rank = head[h++]!
    const shape: number[] = []
    for (let k = 0; k < rank; k++) shape.push(head[h++]!)
    const at = head[h++]!
    const n = elementCount(shape)
    const Ctor = ARRAY_CTOR[datatype]
    const copy = new Ctor(n)
    new Uint8Array(copy.buffer).set(new Uint8Array(data, at, n * ELEMENT_BYTES[datatype]))
    tensors.push({ name, datatype, shape, data: copy } as unknown as Tensor)
  }
  const extra: number[] = []
  const n = head[h++]!
  for (let i = 0; i < n; i++) extra.push(head[h++]!)
  return { tensors, extra }
}

function align (at: number): number {
  return (at + 7) & ~7
}
