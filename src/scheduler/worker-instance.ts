import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads'
import type { BackendLogger } from '../backends/backend.js'
import type { Tensor } from '../core/tensor.js'
import { Errors, InferdError } from '../errors/index.js'
import type { ExecutionInstance, RunMarks } from './execution-instance.js'
import type { PortReply, PortRequest, SessionWorkerChannel, SessionWorkerData, WorkerReply } from './session-worker.js'
import { postable } from '../core/transfer.js'
import { CONTROL_STATE, type Control, DATA_BYTES, MARK_END, MARK_START, nameIndex, newControl, readShared, State, writeShared } from './shared-batch.js'

/**
 * The thread's entry. Built, it is session-worker.js. Running from TypeScript sources (tests,
 * tsx), it is session-worker.ts, which a worker can only load after registering tsx's loader in
 * that thread: Node 20 workers ignore `--import` in execArgv, so a two-line bootstrap does it.
 */
const FROM_SOURCE = import.meta.url.endsWith('.ts')
const WORKER_URL = new URL(FROM_SOURCE ? './session-worker.ts' : './session-worker.js', import.meta.url)
const newWorker = (workerData: SessionWorkerData & SessionWorkerChannel): Worker => FROM_SOURCE
  ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}) })`, { eval: true, workerData, transferList: [workerData.port] })
  : new Worker(WORKER_URL, { workerData, transferList: [workerData.port] })

/** One started thread and what the loop shares with it. */
interface Thread {
  readonly worker: Worker
  readonly control: Control
  readonly port: MessagePort
  readonly data: SharedArrayBuffer
  /** The session's input and output names, as the thread reported them; header indices refer to these. */
  names: readonly string[]
  index: ReadonlyMap<string, number>
}

interface InFlight {
  /** Tells this batch's wait from one of an earlier batch (close() replaces the record, keeping it). */
  readonly id: number
  readonly thread: Thread
  /** RUN_SHARED or RUN_POSTED: the state the thread changes when it is done. */
  readonly state: number
  readonly resolve: (t: Tensor[]) => void
  readonly reject: (e: InferdError) => void
  readonly marks: RunMarks | undefined
}

/**
 * Runs batches in a worker thread that owns its own session, so a batch computing never blocks
 * the event loop: HTTP parsing and responses flow on while it runs. The batch goes over in
 * shared memory (shared-batch.ts): the loop copies the inputs in, wakes the thread with
 * Atomics.notify, and learns that the outputs are there from Atomics.waitAsync, so no message is
 * cloned or dispatched per batch; what shared memory cannot hold goes over the thread's private
 * port, its buffers transferred rather than cloned (core/transfer.ts).
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
  #thread: Thread | undefined
  #ready = false
  #inFlight: InFlight | undefined
  #nextId = 0
  #shared = 0
  #posted = 0
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
  /** Batches handed over in shared memory, and by message (what shared memory could not hold). */
  get handedOver (): { readonly shared: number; readonly posted: number } { return { shared: this.#shared, posted: this.#posted } }
  onReady (listener: () => void): void { this.#readyListeners.push(listener) }

  run (inputs: readonly Tensor[], outputNames: readonly string[], marks?: RunMarks): Promise<Tensor[]> {
    const thread = this.#thread
    if (!this.#ready || thread === undefined || this.#inFlight !== undefined) {
      return Promise.reject(new InferdError(Errors.INTERNAL, [`worker instance of '${this.#model}' is not idle`]))
    }
    let state: number
    try {
      state = this.#handOver(thread, inputs, outputNames)
    } catch (err) {
      // Nothing reached the thread (a detached buffer, data that cannot be cloned): the instance
      // is idle again and only this batch fails.
      return Promise.reject(new InferdError(Errors.BACKEND_FAILED, [this.#model, `could not hand the batch to its thread: ${(err as Error).message}`], { cause: err }))
    }
    return new Promise<Tensor[]>((resolve, reject) => {
      this.#inFlight = { id: ++this.#nextId, thread, state, resolve, reject, marks }
      Atomics.store(thread.control.ints, CONTROL_STATE, state)
      Atomics.notify(thread.control.ints, CONTROL_STATE)
      this.#awaitDone()
    })
  }

  /** Puts the batch where the thread will find it; returns the state that tells it where. */
  #handOver (thread: Thread, inputs: readonly Tensor[], outputNames: readonly string[]): number {
    const wanted: number[] = []
    for (const n of outputNames) {
      const i = thread.index.get(n)
      if (i === undefined) break
      wanted.push(i)
    }
    if (wanted.length === outputNames.length && writeShared(thread.control, thread.data, thread.index, inputs, wanted)) {
      this.#shared++
      return State.RUN_SHARED
    }
    const { tensors, transfer } = postable(inputs)
    const request: PortRequest = { inputs: tensors, outputNames: [...outputNames] }
    thread.port.postMessage(request, transfer)
    this.#posted++
    return State.RUN_POSTED
  }

  /** Waits, without blocking the loop, for the thread to leave the in-flight batch's state. */
  #awaitDone (): void {
    const f = this.#inFlight
    if (f === undefined) return
    const waiting = Atomics.waitAsync(f.thread.control.ints, CONTROL_STATE, f.state)
    if (waiting.async) void waiting.value.then(() => this.#done(f.id))
    else queueMicrotask(() => this.#done(f.id))
  }

  #done (id: number): void {
    // The current record, not the one the wait began with: close() may have wrapped its callbacks.
    const f = this.#inFlight
    if (f?.id !== id) return // failed already: the thread exited, and a new one took over
    const { control } = f.thread
    const state = Atomics.load(control.ints, CONTROL_STATE)
    if (state === f.state) { this.#awaitDone(); return }
    this.#inFlight = undefined
    if (f.marks !== undefined) {
      f.marks.inferStart = control.marks[MARK_START]!
      f.marks.inferEnd = control.marks[MARK_END]!
    }
    try {
      if (state === State.DONE_SHARED) {
        Atomics.store(control.ints, CONTROL_STATE, State.IDLE)
        f.resolve(readShared(control, f.thread.data, f.thread.names).tensors)
        return
      }
      const got = receiveMessageOnPort(f.thread.port)
      Atomics.store(control.ints, CONTROL_STATE, State.IDLE)
      const reply = got?.message as PortReply | undefined
      if (reply?.type === 'result') { f.resolve(reply.outputs); return }
      const error = reply?.error ?? { message: `the thread ended batch in state ${state} with no reply` }
      f.reject(error.code === undefined ? new InferdError(Errors.BACKEND_FAILED, [this.#model, error.message]) : InferdError.fromJSON({ code: error.code, message: error.message }))
    } catch (err) {
      f.reject(new InferdError(Errors.BACKEND_FAILED, [this.#model, `could not read the batch's outputs: ${(err as Error).message}`], { cause: err }))
    }
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
      const thread = this.#thread
      this.#thread = undefined
      if (thread === undefined) return
      Atomics.store(thread.control.ints, CONTROL_STATE, State.STOP)
      Atomics.notify(thread.control.ints, CONTROL_STATE)
      await thread.worker.terminate()
      thread.port.close()
    })()
    return this.#closing
  }

  #spawn (): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let started = false
      const control = newControl()
      const data = new SharedArrayBuffer(DATA_BYTES)
      const { port1, port2 } = new MessageChannel()
      const worker = newWorker({ ...this.#data, control: control.buffer, data, port: port2 })
      const thread: Thread = { worker, control, port: port1, data, names: [], index: new Map() }
      this.#thread = thread
      worker.on('message', (m: WorkerReply) => {
        switch (m.type) {
          case 'ready':
            started = true
            thread.names = m.names
            thread.index = nameIndex(m.names)
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
        }
      })
      worker.on('error', (err) => this.#logger.warn({ model: this.#model, err: err.message }, 'execution thread failed'))
      worker.on('exit', (code) => {
        this.#ready = false
        port1.close()
        if (!started) { reject(new InferdError(Errors.MODEL_LOAD_FAILED, [this.#model, this.#version, `its execution thread exited with code ${code}`])); return }
        if (this.#closing !== undefined || this.#thread !== thread) return
        const f = this.#inFlight
        this.#inFlight = undefined
        f?.reject(new InferdError(Errors.BACKEND_CRASHED, [this.#model, `exit code ${code}`]))
        // Wakes the abandoned Atomics.waitAsync, which then finds its batch already failed.
        Atomics.notify(control.ints, CONTROL_STATE)
        this.#logger.warn({ model: this.#model, code }, 'execution thread exited; starting a new one')
        this.#spawn().catch((err: unknown) => this.#logger.warn({ model: this.#model, err: (err as Error).message }, 'restarting the execution thread failed'))
      })
    })
  }
}
