import { type ResourceLimits, Worker } from 'node:worker_threads'
import type { Tensor } from '../../core/tensor.js'
import { Errors, InferdError } from '../../errors/index.js'
import type { BackendLogger } from '../backend.js'
import { postable } from '../../core/transfer.js'
import type { HostData, HostReply } from './messages.js'

/**
 * The host's entry. Built, it is module-host.js. Run from TypeScript sources (tests, tsx), it is
 * module-host.ts, which a thread can load only once tsx's loader is registered in it (Node 20
 * threads ignore `--import` in execArgv), as scheduler/worker-instance.ts does for its threads.
 */
const FROM_SOURCE = import.meta.url.endsWith('.ts')
const HOST_URL = new URL(FROM_SOURCE ? './module-host.ts' : './module-host.js', import.meta.url)

export interface ModuleThreadOptions {
  readonly logger: BackendLogger
  readonly resourceLimits?: ResourceLimits
  /** Called once if the thread ends without being told to: `reason` says how, `duringCall` whether an execute was in flight. */
  readonly onDeath: (thread: ModuleThread, reason: string, duringCall: boolean) => void
}

type Pending = { id: number; resolve: (outputs: Tensor[]) => void; reject: (err: InferdError) => void }

/**
 * One running copy of a model module in its own thread (module-host.ts), seen from the main
 * thread: `start` resolves once `initialize` succeeded, `execute` hands one batch over and back.
 * The owner (typescript-session.ts) calls `execute` only after the previous call settled. When
 * the thread dies, the call in flight fails with BACKEND_CRASHED and `onDeath` tells the owner;
 * a thread is never restarted, the owner starts another.
 */
export class ModuleThread {
  readonly #worker: Worker
  readonly #data: HostData
  readonly #options: ModuleThreadOptions
  #nextId = 0
  #call: Pending | undefined
  #finalized: ((message?: string) => void) | undefined
  #uncaught: string | undefined
  #ended = false
  /** When initialize finished (Date.now()), to tell a thread that ran a while from one that dies at once. */
  readyAt = 0

  private constructor (data: HostData, options: ModuleThreadOptions) {
    this.#data = data
    this.#options = options
    const limits = options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }
    this.#worker = FROM_SOURCE
      ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(HOST_URL.href)}) })`, { eval: true, workerData: data, ...limits })
      : new Worker(HOST_URL, { workerData: data, ...limits })
  }

  /**
   * Starts a thread and waits for the module's initialize.
   *
   * @throws Error saying what failed: the import, initialize (its message), or the thread ending first
   */
  static start (data: HostData, options: ModuleThreadOptions): Promise<ModuleThread> {
    const thread = new ModuleThread(data, options)
    return new Promise<ModuleThread>((resolve, reject) => {
      let ready = false
      thread.#worker.on('message', (m: HostReply) => {
        if (m.type === 'ready') {
          ready = true
          thread.readyAt = Date.now()
          resolve(thread)
        } else if (m.type === 'init-failed') {
          thread.#ended = true
          void thread.#worker.terminate()
          reject(moduleError(m.message, m.stack))
        } else {
          thread.#onReply(m)
        }
      })
      thread.#worker.on('error', (err) => {
        // Out of memory arrives as an 'error' too; its message already says what happened.
        const oom = (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'
        thread.#uncaught = oom ? err.message : `uncaught ${err.name}: ${err.message}`
      })
      thread.#worker.on('exit', (code) => {
        const reason = thread.#uncaught ?? `exit code ${code}`
        if (!ready) {
          if (!thread.#ended) reject(new Error(`the module's thread ended during initialize (${reason})`))
          thread.#ended = true
          return
        }
        thread.#died(reason)
      })
    })
  }

  /** Runs one batch; rejects with BACKEND_FAILED (execute threw or returned something wrong) or BACKEND_CRASHED. */
  execute (inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
    const model = this.#data.modelName
    if (this.#ended) return Promise.reject(new InferdError(Errors.BACKEND_CRASHED, [model, 'the thread had already ended']))
    const id = ++this.#nextId
    return new Promise<Tensor[]>((resolve, reject) => {
      this.#call = { id, resolve, reject }
      try {
        const { tensors, transfer } = postable(inputs)
        this.#worker.postMessage({ type: 'execute', id, inputs: tensors, outputNames: [...outputNames] }, transfer)
      } catch (err) {
        // Nothing reached the thread (data that cannot be cloned): only this batch fails.
        this.#call = undefined
        reject(new InferdError(Errors.BACKEND_FAILED, [model, `could not hand the batch to the module's thread: ${(err as Error).message}`], { cause: err }))
      }
    })
  }

  /**
   * Runs the module's finalize, waiting at most `timeoutMs`; resolves with its error message, if
   * it threw or did not finish. The thread keeps running: `terminate` ends it.
   */
  finalize (timeoutMs: number): Promise<string | undefined> {
    if (this.#ended) return Promise.resolve(undefined)
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(`finalize did not finish within ${timeoutMs} ms`), timeoutMs)
      const done = (message?: string): void => {
        clearTimeout(timer)
        this.#finalized = undefined
        resolve(message)
      }
      this.#finalized = done
      this.#worker.postMessage({ type: 'finalize' })
    })
  }

  /** Ends the thread; not reported as a death. Idempotent. */
  async terminate (): Promise<void> {
    this.#ended = true
    await this.#worker.terminate()
  }

  #onReply (m: HostReply): void {
    switch (m.type) {
      case 'result':
      case 'error': {
        const call = this.#call
        if (call === undefined || call.id !== m.id) return
        this.#call = undefined
        if (m.type === 'result') call.resolve(m.outputs)
        else call.reject(new InferdError(m.badInput === true ? Errors.MODEL_INPUT_REJECTED : Errors.BACKEND_FAILED, [this.#data.modelName, m.message], { cause: moduleError(m.message, m.stack) }))
        return
      }
      case 'finalized':
        this.#finalized?.(m.message)
        return
      case 'log':
        this.#options.logger[m.level]({ model: this.#data.modelName, version: this.#data.version, ...m.fields }, m.msg)
    }
  }

  #died (reason: string): void {
    if (this.#ended) return
    this.#ended = true
    const call = this.#call
    this.#call = undefined
    this.#finalized?.(`the thread ended during finalize (${reason})`)
    this.#options.onDeath(this, reason, call !== undefined)
    call?.reject(new InferdError(Errors.BACKEND_CRASHED, [this.#data.modelName, reason]))
  }
}

/** An Error carrying the module's own stack, so the server's log shows where in the module it failed. */
function moduleError (message: string, stack: string | undefined): Error {
  const err = new Error(message)
  if (stack !== undefined) err.stack = stack
  return err
}
