import type { ResourceLimits } from 'node:worker_threads'
import type { Tensor } from '../../core/tensor.js'
import { Errors, InferdError } from '../../errors/index.js'
import type { BackendLogger, DeclaredSignature, ModelSession } from '../backend.js'
import type { HostData } from './messages.js'
import { ModuleThread } from './module-thread.js'

/**
 * When a dead module thread is started again. A thread that dies while executing a batch is
 * restarted at once: the batch probably made it die, and the next one deserves a fresh thread.
 * A thread that cannot start (initialize throws or crashes) or dies while idle soon after it
 * started is a crash loop in the making: each such death is a strike, restarts wait
 * `baseDelayMs · 2^(strikes−1)` (at most `maxDelayMs`), and after `maxStrikes` in a row the
 * session stops restarting and fails every call with the last reason, until the model is loaded
 * again. A batch that completes (answered or thrown) clears the strikes; so does a thread that
 * had been up `stableMs` before it died.
 */
export interface RestartPolicy {
  readonly baseDelayMs: number
  readonly maxDelayMs: number
  readonly maxStrikes: number
  readonly stableMs: number
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = Object.freeze({ baseDelayMs: 50, maxDelayMs: 2000, maxStrikes: 5, stableMs: 30_000 })

/** How long `close` waits for the module's finalize before ending its thread anyway. */
const FINALIZE_TIMEOUT_MS = 10_000

export interface TypescriptSessionOptions {
  readonly declared: DeclaredSignature
  readonly logger: BackendLogger
  readonly resourceLimits?: ResourceLimits
  readonly restart?: RestartPolicy
}

type Call = { inputs: readonly Tensor[]; outputNames: readonly string[]; resolve: (t: Tensor[]) => void; reject: (e: unknown) => void }

/**
 * A custom model module behind the ModelSession contract: one thread runs the module (so the
 * event loop never waits for it), and the session feeds it one batch at a time.
 *
 *   run() ──► queue ──► pump ──► thread.execute ──► resolve / reject (BACKEND_FAILED | BACKEND_CRASHED)
 *                ▲                     │ thread died
 *                └── batches wait ◄── restart (RestartPolicy) ──► gave up: every call fails
 *
 * Batches queued behind one that crashed the thread were never handed over: they wait for the
 * restarted thread rather than fail. `close` stops intake, lets queued batches run, runs the
 * module's finalize and ends the thread.
 */
export class TypescriptSession implements ModelSession {
  readonly declared: DeclaredSignature
  /** The module computes in its own thread: the scheduler need not add another (ModelSession.offEventLoop). */
  readonly offEventLoop = true
  readonly #data: HostData
  readonly #options: TypescriptSessionOptions
  readonly #policy: RestartPolicy
  readonly #queue: Call[] = []
  #thread: ModuleThread | undefined
  #busy = false
  #strikes = 0
  #restartTimer: NodeJS.Timeout | undefined
  #starting: Promise<void> | undefined
  #gaveUp: InferdError | undefined
  #closed: Promise<void> | undefined
  #idleWaiters: (() => void)[] = []

  private constructor (data: HostData, options: TypescriptSessionOptions) {
    this.#data = data
    this.#options = options
    this.declared = options.declared
    this.#policy = options.restart ?? DEFAULT_RESTART_POLICY
  }

  /**
   * Starts the module's thread and waits for its initialize.
   *
   * @throws Error with what failed (the repository makes it the load failure's reason)
   */
  static async open (data: HostData, options: TypescriptSessionOptions): Promise<TypescriptSession> {
    const session = new TypescriptSession(data, options)
    session.#thread = await session.#startThread()
    return session
  }

  run (inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
    if (this.#closed !== undefined) return Promise.reject(new Error('session is closed'))
    if (this.#gaveUp !== undefined) return Promise.reject(this.#gaveUp)
    return new Promise<Tensor[]>((resolve, reject) => {
      this.#queue.push({ inputs, outputNames, resolve, reject })
      this.#pump()
    })
  }

  close (): Promise<void> {
    this.#closed ??= (async () => {
      if (this.#busy || this.#queue.length > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve))
      clearTimeout(this.#restartTimer)
      await this.#starting
      const thread = this.#thread
      this.#thread = undefined
      if (thread === undefined) return
      const problem = await thread.finalize(FINALIZE_TIMEOUT_MS)
      if (problem !== undefined) this.#options.logger.warn({ model: this.#data.modelName, version: this.#data.version, problem }, 'finalize failed')
      await thread.terminate()
    })()
    return this.#closed
  }

  #pump (): void {
    if (this.#busy) return
    const thread = this.#thread
    if (thread === undefined || this.#queue.length === 0) {
      // No thread: a restart is under way and will pump again, or the session gave up (queue flushed).
      if (this.#queue.length === 0) this.#notifyIdle()
      return
    }
    const call = this.#queue.shift() as Call
    this.#busy = true
    thread.execute(call.inputs, call.outputNames).then(
      (outputs) => { this.#strikes = 0; call.resolve(outputs) },
      (err: unknown) => {
        if (err instanceof InferdError && err.code === Errors.BACKEND_FAILED.code) this.#strikes = 0
        call.reject(err)
      },
    ).finally(() => {
      this.#busy = false
      this.#pump()
    })
  }

  #notifyIdle (): void {
    for (const resolve of this.#idleWaiters.splice(0)) resolve()
  }

  #startThread (): Promise<ModuleThread> {
    return ModuleThread.start(this.#data, {
      logger: this.#options.logger,
      ...(this.#options.resourceLimits === undefined ? {} : { resourceLimits: this.#options.resourceLimits }),
      onDeath: (thread, reason, duringCall) => this.#onDeath(thread, reason, duringCall),
    })
  }

  #onDeath (thread: ModuleThread, reason: string, duringCall: boolean): void {
    if (this.#thread !== thread) return
    this.#thread = undefined
    if (!duringCall) this.#strikes = Date.now() - thread.readyAt >= this.#policy.stableMs ? 1 : this.#strikes + 1
    this.#log('warn', { reason, strikes: this.#strikes }, 'the module\'s thread stopped; starting a new one')
    this.#scheduleRestart(reason)
  }

  #scheduleRestart (reason: string): void {
    // Closing with nothing left to run: no thread is needed any more.
    if (this.#closed !== undefined && this.#queue.length === 0) return
    if (this.#strikes >= this.#policy.maxStrikes) {
      this.#giveUp(reason)
      return
    }
    const delay = this.#strikes === 0 ? 0 : Math.min(this.#policy.baseDelayMs * 2 ** (this.#strikes - 1), this.#policy.maxDelayMs)
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined
      this.#starting = this.#startThread().then(
        (thread) => {
          this.#starting = undefined
          this.#thread = thread
          this.#log('info', { strikes: this.#strikes }, 'the module\'s thread is running again')
          this.#pump()
        },
        (err: unknown) => {
          this.#starting = undefined
          this.#strikes++
          const why = (err as Error).message
          this.#log('warn', { reason: why, strikes: this.#strikes }, 'restarting the module\'s thread failed')
          this.#scheduleRestart(why)
        },
      )
    }, delay)
  }

  #giveUp (reason: string): void {
    this.#gaveUp = new InferdError(Errors.BACKEND_FAILED, [this.#data.modelName,
      `its module stopped ${this.#strikes} times in a row without serving, so it is no longer restarted (last: ${reason}); load the model again`])
    this.#log('warn', { reason, strikes: this.#strikes }, 'the module keeps stopping; no more restarts')
    for (const call of this.#queue.splice(0)) call.reject(this.#gaveUp)
    this.#notifyIdle()
  }

  #log (level: 'info' | 'warn', fields: object, msg: string): void {
    this.#options.logger[level]({ model: this.#data.modelName, version: this.#data.version, ...fields }, msg)
  }
}
