import { Worker } from 'node:worker_threads'
import type { BackendLogger } from '../backends/backend.js'
import type { Tensor } from '../core/tensor.js'
import { Errors, InferdError } from '../errors/index.js'
import type { ExecutionInstance, RunMarks } from './execution-instance.js'
import type { SessionWorkerData, WorkerReply } from './session-worker.js'
import { transferables } from '../core/transfer.js'

/**
 * The thread's entry. Built, it is session-worker.js. Running from TypeScript sources (tests,
 * tsx), it is session-worker.ts, which a worker can only load after registering tsx's loader in
 * that thread: Node 20 workers ignore `--import` in execArgv, so a two-line bootstrap does it.
 */
const FROM_SOURCE = import.meta.url.endsWith('.ts')
const WORKER_URL = new URL(FROM_SOURCE ? './session-worker.ts' : './session-worker.js', import.meta.url)
const newWorker = (workerData: SessionWorkerData): Worker => FROM_SOURCE
  ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}) })`, { eval: true, workerData })
  : new Worker(WORKER_URL, { workerData })

/**
 * Runs batches in a worker thread that owns its own session, so a batch computing never blocks
 * the event loop: HTTP parsing and responses flow on while it runs. Input and output buffers move
 * between threads without copies where the tensor owns its buffer (core/transfer.ts).
 *
 * If the thread dies (a native crash, an out-of-memory), the batch in flight fails with
 * BACKEND_CRASHED and a new thread is started; the pool is told through `onReady` when it can
 * take work again.
 */
export class WorkerInstance implements ExecutionInstance {
  readonly kind = 'worker'
  readonly #model: string
  readonly #version: string
  readonly #data: SessionWorkerData
  readonly #logger: BackendLogger
  #worker: Worker | undefined
  #ready = false
  #nextId = 0
  #inFlight: { id: number; resolve: (t: Tensor[]) => void; reject: (e: InferdError) => void; marks?: RunMarks } | undefined
  #readyListeners: (() => void)[] = []
  #closing: Promise<void> | undefined

  private constructor (model: string, version: string, data: SessionWorkerData, logger: BackendLogger) {
    this.#model = model
    this.#version = version
    this.#data = data
    this.#logger = logger
  }

  /** Starts the thread and resolves once its session is open (rejects with the load error). */
  static async start (model: string, version: string, data: SessionWorkerData, logger: BackendLogger): Promise<WorkerInstance> {
    const instance = new WorkerInstance(model, version, data, logger)
    await instance.#spawn()
    return instance
  }

  ready (): boolean { return this.#ready }
  onReady (listener: () => void): void { this.#readyListeners.push(listener) }

  run (inputs: readonly Tensor[], outputNames: readonly string[], marks?: RunMarks): Promise<Tensor[]> {
    const worker = this.#worker
    if (!this.#ready || worker === undefined || this.#inFlight !== undefined) {
      return Promise.reject(new InferdError(Errors.INTERNAL, [`worker instance of '${this.#model}' is not idle`]))
    }
    const id = ++this.#nextId
    return new Promise<Tensor[]>((resolve, reject) => {
      this.#inFlight = { id, resolve, reject, ...(marks === undefined ? {} : { marks }) }
      try {
        worker.postMessage({ type: 'run', id, inputs, outputNames: [...outputNames] }, transferables(inputs))
      } catch (err) {
        // Nothing reached the thread (a detached buffer, data that cannot be cloned): the instance
        // is idle again and only this batch fails.
        this.#inFlight = undefined
        reject(new InferdError(Errors.BACKEND_FAILED, [this.#model, `could not hand the batch to its thread: ${(err as Error).message}`], { cause: err }))
      }
    })
  }

  close (): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#inFlight !== undefined) {
        const settled = new Promise<void>((resolve) => {
          const f = this.#inFlight!
          this.#inFlight = { ...f, resolve: (t) => { f.resolve(t); resolve() }, reject: (e) => { f.reject(e); resolve() } }
        })
        await settled
      }
      this.#ready = false
      await this.#worker?.terminate()
      this.#worker = undefined
    })()
    return this.#closing
  }

  #spawn (): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let started = false
      const worker = newWorker(this.#data)
      this.#worker = worker
      worker.on('message', (m: WorkerReply) => {
        switch (m.type) {
          case 'ready':
            started = true
            this.#ready = true
            resolve()
            for (const l of this.#readyListeners) l()
            return
          case 'failed':
            reject(new InferdError(Errors.MODEL_LOAD_FAILED, [this.#model, this.#version, `in its execution thread: ${m.error.message}`]))
            void worker.terminate()
            return
          case 'log':
            this.#logger[m.level](m.obj, m.msg)
            return
          case 'result':
          case 'error': {
            const f = this.#inFlight
            if (f === undefined || f.id !== m.id) return
            this.#inFlight = undefined
            if (m.type === 'result' && f.marks !== undefined) {
              f.marks.inferStart = m.inferStart
              f.marks.inferEnd = m.inferEnd
            }
            if (m.type === 'result') f.resolve(m.outputs)
            else f.reject(m.error.code === undefined ? new InferdError(Errors.BACKEND_FAILED, [this.#model, m.error.message]) : InferdError.fromJSON({ code: m.error.code, message: m.error.message }))
          }
        }
      })
      worker.on('error', (err) => this.#logger.warn({ model: this.#model, err: err.message }, 'execution thread failed'))
      worker.on('exit', (code) => {
        this.#ready = false
        if (!started) { reject(new InferdError(Errors.MODEL_LOAD_FAILED, [this.#model, this.#version, `its execution thread exited with code ${code}`])); return }
        if (this.#closing !== undefined || this.#worker !== worker) return
        const f = this.#inFlight
        this.#inFlight = undefined
        f?.reject(new InferdError(Errors.BACKEND_CRASHED, [this.#model, `exit code ${code}`]))
        this.#logger.warn({ model: this.#model, code }, 'execution thread exited; starting a new one')
        this.#spawn().catch((err: unknown) => this.#logger.warn({ model: this.#model, err: (err as Error).message }, 'restarting the execution thread failed'))
      })
    })
  }
}
