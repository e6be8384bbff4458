/**
 * The body of a worker thread that owns one model session (worker-instance.ts starts it).
 *
 *   event loop                            this thread
 *   ──────────                            ───────────
 *   new Worker(workerData) ─────────────► open session (backend registry, same options)
 *                        ◄─────────────── { type: 'ready', names }  or  { type: 'failed', error }
 *   inputs + header into shared memory,
 *   state RUN_SHARED, Atomics.notify ───► (blocked in Atomics.wait) copy inputs out, session.run
 *                                         outputs + header into shared memory, the run's start
 *   (Atomics.waitAsync resolves) ◄──────  and end in the control block, state DONE_SHARED, notify
 *                        ◄─────────────── { type: 'log', level, obj, msg }  (backend log lines)
 *
 * shared-batch.ts has the layout and the fallback through the private port (RUN_POSTED /
 * DONE_POSTED) for what shared memory cannot hold. `names` are the session's input and output
 * names; the header refers to tensors by their index in it. The thread computes one batch at a
 * time and does nothing else: between batches it sleeps in Atomics.wait.
 */
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads'
import type { BackendLogger, SessionOptions } from '../backends/backend.js'
import { defaultBackends } from '../backends/registry.js'
import type { Tensor } from '../core/tensor.js'
import { InferdError } from '../errors/index.js'
import { postable } from '../core/transfer.js'
import { CONTROL_STATE, MARK_END, MARK_START, nameIndex, readShared, State, viewControl, writeShared } from './shared-batch.js'

export interface SessionWorkerData {
  readonly backend: string
  readonly path: string
  readonly options: SessionOptions
}

/** What the event loop adds to SessionWorkerData when it starts the thread. */
export interface SessionWorkerChannel {
  readonly control: SharedArrayBuffer
  readonly data: SharedArrayBuffer
  readonly port: MessagePort
}

/** Messages on the private port, loop → thread. */
export interface PortRequest { readonly inputs: Tensor[]; readonly outputNames: string[] }
/** Messages on the private port, thread → loop. */
export type PortReply = { type: 'result'; outputs: Tensor[] } | { type: 'error'; error: { code?: string; message: string } }

/** Messages on parentPort, thread → loop. */
export type WorkerReply =
  | { type: 'ready'; names: string[] }
  | { type: 'failed'; error: { message: string } }
  | { type: 'log'; level: 'info' | 'warn'; obj: object; msg?: string }

const parent = parentPort
if (parent === null) throw new Error('session-worker must run in a worker thread')
const init = workerData as SessionWorkerData & SessionWorkerChannel
const send = (reply: WorkerReply): void => parent.postMessage(reply)
const logger: BackendLogger = {
  info: (obj, msg) => send({ type: 'log', level: 'info', obj, ...(msg === undefined ? {} : { msg }) }),
  warn: (obj, msg) => send({ type: 'log', level: 'warn', obj, ...(msg === undefined ? {} : { msg }) }),
}

const control = viewControl(init.control)
const { ints, marks } = control
const port = init.port
const data = init.data

/** The next message the loop posted on the private port (it posted it before changing the state). */
function receive (): PortRequest {
  const got = receiveMessageOnPort(port)
  if (got === undefined) throw new Error('the state says a message was posted, but the port is empty')
  return got.message as PortRequest
}

function finish (state: number): void {
  Atomics.store(ints, CONTROL_STATE, state)
  Atomics.notify(ints, CONTROL_STATE)
}

async function serve (run: (inputs: Tensor[], outputNames: string[]) => Promise<Tensor[]>, names: readonly string[]): Promise<void> {
  const index = nameIndex(names)
  for (;;) {
    let state = Atomics.load(ints, CONTROL_STATE)
    while (state !== State.RUN_SHARED && state !== State.RUN_POSTED && state !== State.STOP) {
      Atomics.wait(ints, CONTROL_STATE, state)
      state = Atomics.load(ints, CONTROL_STATE)
    }
    if (state === State.STOP) return
    try {
      let inputs: Tensor[]
      let outputNames: string[]
      if (state === State.RUN_SHARED) {
        const read = readShared(control, data, names)
        inputs = read.tensors
        outputNames = read.extra.map((i) => names[i]!)
      } else {
        const m = receive()
        inputs = m.inputs
        outputNames = m.outputNames
      }
      marks[MARK_START] = process.hrtime.bigint()
      const outputs = await run(inputs, outputNames)
      marks[MARK_END] = process.hrtime.bigint()
      if (writeShared(control, data, index, outputs)) {
        finish(State.DONE_SHARED)
      } else {
        const { tensors, transfer } = postable(outputs)
        const reply: PortReply = { type: 'result', outputs: tensors }
        port.postMessage(reply, transfer)
        finish(State.DONE_POSTED)
      }
    } catch (err) {
      const reply: PortReply = {
        type: 'error',
        error: err instanceof InferdError ? { code: err.code, message: err.message } : { message: (err as Error).message },
      }
      port.postMessage(reply)
      finish(State.DONE_POSTED)
    }
  }
}

try {
  const backend = defaultBackends().get(init.backend)
  if (backend === undefined) throw new Error(`backend '${init.backend}' is not available in worker threads`)
  const session = await backend.open(init.path, init.options, logger)
  const names = [...session.declared.inputs.map((t) => t.name), ...session.declared.outputs.map((t) => t.name)]
  send({ type: 'ready', names })
  await serve((inputs, outputNames) => session.run(inputs, outputNames), names)
  await session.close()
} catch (err) {
  send({ type: 'failed', error: { message: (err as Error).message } })
}
