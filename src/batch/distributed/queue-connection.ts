import type { ConnectionOptions } from 'bullmq'

/**
 * BullMQ connection options from a `redis://[user:password@]host:port[/db]` (or `rediss://` for
 * TLS) URL, the form `--queue` and `--distributed` take. Commands are retried without limit while
 * Redis is unreachable (BullMQ's blocking connections require it): a worker waits out a Redis
 * restart instead of crashing.
 */
export function queueConnection (url: string): ConnectionOptions {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new TypeError(`'${url}' is not a Redis URL (redis://host:port)`)
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new TypeError(`'${url}' is not a Redis URL: the scheme must be redis:// or rediss://`)
  return { url, maxRetriesPerRequest: null }
}

/** The URL without its password, for logs and messages. */
export function redactedUrl (url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return url
  }
}
