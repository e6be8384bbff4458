/**
 * What the data path needs of a cancellation signal. An AbortSignal satisfies it; so does
 * {@link Cancellation}, which the HTTP adapter creates per request because it costs a small
 * fraction of an AbortController (measured: AbortController construction and its listener
 * bookkeeping were ~3 % of a c=1 request's CPU profile).
 */
export interface CancelSignal {
  readonly aborted: boolean
  addEventListener (type: 'abort', listener: () => void, options?: { once?: boolean }): void
}

/** A one-shot cancellation: `cancel()` marks it aborted and calls the listeners once. */
export class Cancellation implements CancelSignal {
  #aborted = false
  #listeners: (() => void)[] | undefined

  get aborted (): boolean { return this.#aborted }

  addEventListener (_type: 'abort', listener: () => void): void {
    if (this.#aborted) return
    ;(this.#listeners ??= []).push(listener)
  }

  cancel (): void {
    if (this.#aborted) return
    this.#aborted = true
    const listeners = this.#listeners
    this.#listeners = undefined
    for (const l of listeners ?? []) l()
  }
}
