import type { RepositoryLogger } from './model-version.js'

/**
 * Runs a repository poll every `intervalMs`, one at a time: the next poll is scheduled when the
 * previous one finished, so a slow reload never stacks polls on top of each other.
 *
 * Why polling and not `fs.watch`: watching is unreliable across platforms and file systems
 * (network mounts, containers' bind mounts, editors that replace files by rename), and Triton's
 * `--repository-poll-secs` is what operators know. A poll is a `readdir` and a `stat` per file.
 *
 * The timer is unref'd: polling alone never keeps a process alive.
 */
export class RepositoryPoller {
  readonly #intervalMs: number
  readonly #poll: () => Promise<void>
  readonly #log: RepositoryLogger
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #stopped = false

  constructor (intervalMs: number, poll: () => Promise<void>, log: RepositoryLogger) {
    this.#intervalMs = intervalMs
    this.#poll = poll
    this.#log = log
  }

  start (): void {
    if (this.#stopped || this.#timer !== undefined || this.#running !== undefined) return
    this.#schedule()
  }

  /** Stops polling; resolves once a poll in progress has finished. Idempotent. */
  async stop (): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#running
  }

  #schedule (): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#running = this.#poll()
        .catch((err: unknown) => this.#log.warn({ err }, 'repository poll failed'))
        .finally(() => { this.#running = undefined; this.#schedule() })
    }, this.#intervalMs)
    this.#timer.unref()
  }
}
