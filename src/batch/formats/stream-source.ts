import type { Readable } from 'node:stream'

/**
 * Pulls whatever an object-mode stream has buffered, synchronously (`read()` until null), and
 * waits for more only when it is empty: up to `max` objects per call, fewer only at the end.
 * Errors of the stream reject the call that meets them.
 */
export function streamPuller<T> (stream: Readable): (max: number) => Promise<T[]> {
  let ended = false
  let failure: Error | undefined
  let wake: (() => void) | undefined
  const poke = (): void => { const w = wake; wake = undefined; w?.() }
  stream.on('readable', poke)
  stream.on('end', () => { ended = true; poke() })
  stream.on('error', (err) => { failure = err; poke() })
  stream.on('close', () => { ended = true; poke() })
  return async (max) => {
    const out: T[] = []
    for (;;) {
      if (failure !== undefined) throw failure
      let item: T | null
      while (out.length < max && (item = stream.read() as T | null) !== null) out.push(item)
      if (out.length >= max || ended) return out
      await new Promise<void>((resolve) => { wake = resolve })
    }
  }
}
