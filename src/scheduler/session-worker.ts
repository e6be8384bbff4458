/**
 * The body of a worker thread that owns one model session (worker-instance.ts starts it).
 *
 *   main thread                         this thread
 *   ───────────                         ───────────
 *   new Worker(workerData) ───────────► open session (backend registry, same options)
 *                          ◄─────────── { type: 'ready' }     or  { type: 'failed', error }
 *   { type: 'run', id, inputs } ──────► session.run (blocks this thread, not the event loop)
 *                          ◄─────────── { type: 'result', id, outputs, inferStart, inferEnd }
 *                                        (buffers transferred; the run's start and end on
 *                                        process.hrtime.bigint(), one clock for every thread)
 *                          ◄─────────── { type: 'error', id, error: {code?, message} }
 *                          ◄─────────── { type: 'log', level, obj, msg }  (backend log lines)
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { BackendLogger, SessionOptions } from '../backends/backend.js'
import { defaultBackends } from '../backends/registry.js'
import type { Tensor } from '../core/tensor.js'
import { InferdError } from '../errors/index.js'
import { transferables } from '../core/transfer.js'

export interface SessionWorkerData {
  readonly backend: string
  readonly path: string
  readonly options: SessionOptions
}

export type WorkerRequest = { type: 'run'; id: number; inputs: Tensor[]; outputNames: string[] }
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'failed'; error: { message: string } }
  | { type: 'result'; id: number; outputs: Tensor[]; inferStart: bigint; inferEnd: bigint }
  | { type: 'error'; id: number; error: { code?: string; message: string } }
  | { type: 'log'; level: 'info' | 'warn'; obj: object; msg?: string }

const port = parentPort
if (port === null) throw new Error('session-worker must run in a worker thread')
const data = workerData as SessionWorkerData
const send = (reply: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(reply, transfer)
const logger: BackendLogger = {
  info: (obj, msg) => send({ type: 'log', level: 'info', obj, ...(msg === undefined ? {} : { msg }) }),
  warn: (obj, msg) => send({ type: 'log', level: 'warn', obj, ...(msg === undefined ? {} : { msg }) }),
}

try {
  const backend = defaultBackends().get(data.backend)
  if (backend === undefined) throw new Error(`backend '${data.backend}' is not available in worker threads`)
  const session = await backend.open(data.path, data.options, logger)
  port.on('message', (m: WorkerRequest) => {
    const inferStart = process.hrtime.bigint()
    session.run(m.inputs, m.outputNames).then(
      (outputs) => send({ type: 'result', id: m.id, outputs, inferStart, inferEnd: process.hrtime.bigint() }, transferables(outputs)),
      (err: unknown) => send({
        type: 'error',
        id: m.id,
        error: err instanceof InferdError ? { code: err.code, message: err.message } : { message: (err as Error).message },
      }),
    )
  })
  send({ type: 'ready' })
} catch (err) {
  send({ type: 'failed', error: { message: (err as Error).message } })
}
