import { connect, type Socket } from 'node:net'

/**
 * One keep-alive HTTP/1.1 connection that carries one request at a time, for the load generator.
 *
 * Why not node:http or fetch: on a 2-core machine the load generator shares the CPU with the
 * server it measures, so every microsecond it spends per request is taken from the server. This
 * connection writes a request that was serialized once (head and body in one Buffer) and reads
 * the response with a minimal parser that keeps nothing of a successful body: it costs a
 * fraction of node:http's per-request work. It understands what servers send back to a POST:
 * `Content-Length` bodies, `Transfer-Encoding: chunked`, bodies ended by close, interim 1xx
 * responses and `Connection: close`.
 *
 *   send(bytes) ──► socket.write ──► 'data' ──► head? ──► length | chunked | until-close ──► resolve(status)
 */

export interface HttpTarget {
  readonly host: string
  readonly port: number
}

/** How one request ended: the status, and for a non-2xx status the start of the body (for error reports). */
export interface HttpResult {
  readonly status: number
  readonly errorBody: string | undefined
}

/** How much of an error body is kept for the report. */
const ERROR_BODY_CHARS = 300
/** A response head larger than this is refused (no inference server sends one). */
const MAX_HEAD_BYTES = 64 * 1024
const CRLF = Buffer.from('\r\n')
const HEAD_END = Buffer.from('\r\n\r\n')

/**
 * Serializes a request once, head and body together, so sending it is one socket write.
 *
 * @param headers - extra headers, lower-case names; Host and Content-Length are added here
 */
export function serializeRequest (target: HttpTarget, method: string, path: string, headers: Readonly<Record<string, string>>, body: Buffer): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, `host: ${target.host}:${target.port}`, `content-length: ${body.length}`]
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`)
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body])
}

type State = 'idle' | 'head' | 'length' | 'chunked' | 'until-close'

export class HttpConnection {
  readonly #socket: Socket
  #state: State = 'idle'
  #buffer: Buffer | undefined
  #remaining = 0
  #status = 0
  #closeAfter = false
  #errorParts: Buffer[] | undefined
  #resolve: ((result: HttpResult) => void) | undefined
  #reject: ((err: Error) => void) | undefined
  #closed = false

  private constructor (socket: Socket) {
    this.#socket = socket
    socket.on('data', (chunk: Buffer) => this.#feed(chunk))
    socket.on('error', (err) => this.#fail(err))
    socket.on('close', () => {
      this.#closed = true
      if (this.#state === 'until-close') this.#finish()
      else this.#fail(new Error('connection closed by the server'))
    })
    socket.on('timeout', () => {
      if (this.#reject !== undefined) socket.destroy(new Error(`no response within ${socket.timeout} ms`))
    })
  }

  /**
   * Opens a connection.
   *
   * @param timeoutMs - how long a request may wait for its response before it fails
   */
  static open (target: HttpTarget, timeoutMs: number): Promise<HttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: target.host, port: target.port, noDelay: true })
      socket.setTimeout(timeoutMs)
      const onError = (err: Error): void => reject(new Error(`cannot connect to ${target.host}:${target.port}: ${(err as NodeJS.ErrnoException).code ?? err.message}`))
      socket.once('error', onError)
      socket.once('connect', () => {
        socket.off('error', onError)
        resolve(new HttpConnection(socket))
      })
    })
  }

  /** False once the connection is closed or broken: open a new one. */
  get usable (): boolean {
    return !this.#closed && !this.#socket.destroyed
  }

  /**
   * Sends a serialized request and resolves with the response status once the whole response has
   * arrived; rejects on a network failure or timeout (the connection is then unusable).
   */
  send (request: Buffer): Promise<HttpResult> {
    if (this.#state !== 'idle') return Promise.reject(new Error('a request is already in flight on this connection'))
    if (!this.usable) return Promise.reject(new Error('connection closed'))
    return new Promise((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
      this.#state = 'head'
      this.#socket.write(request)
    })
  }

  /** Closes the connection; a request in flight fails. */
  close (): void {
    this.#socket.destroy()
  }

  #feed (chunk: Buffer): void {
    switch (this.#state) {
      case 'head': return this.#readHead(chunk)
      case 'length': return this.#readLength(chunk)
      case 'chunked': return this.#readChunked(chunk)
      case 'until-close': this.#keep(chunk); return
      default: this.#socket.destroy(new Error('unexpected data from the server with no request in flight'))
    }
  }

  #readHead (chunk: Buffer): void {
    const buf = this.#buffer === undefined ? chunk : Buffer.concat([this.#buffer, chunk])
    const end = buf.indexOf(HEAD_END)
    if (end < 0) {
      if (buf.length > MAX_HEAD_BYTES) this.#socket.destroy(new Error('response head too large'))
      else this.#buffer = buf
      return
    }
    this.#buffer = undefined
    const lines = buf.toString('latin1', 0, end).split('\r\n')
    const status = Number(lines[0]?.slice(9, 12))
    if (!/^HTTP\/1\.[01] \d{3}/.test(lines[0] ?? '')) {
      this.#socket.destroy(new Error(`not an HTTP/1.1 response: ${JSON.stringify((lines[0] ?? '').slice(0, 40))}`))
      return
    }
    let length: number | undefined
    let chunked = false
    this.#closeAfter = lines[0]!.startsWith('HTTP/1.0')
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string
      const colon = line.indexOf(':')
      const name = line.slice(0, colon).trim().toLowerCase()
      const value = line.slice(colon + 1).trim().toLowerCase()
      if (name === 'content-length') length = Number(value)
      else if (name === 'transfer-encoding') chunked = value.includes('chunked')
      else if (name === 'connection') this.#closeAfter = value.includes('close') || (this.#closeAfter && !value.includes('keep-alive'))
    }
    const rest = buf.subarray(end + HEAD_END.length)
    if (status >= 100 && status < 200) { // interim response: the real one follows
      if (rest.length > 0) this.#readHead(rest)
      return
    }
    this.#status = status
    this.#errorParts = status >= 200 && status < 300 ? undefined : []
    if (status === 204 || status === 304 || (!chunked && length === 0)) return this.#finish()
    if (chunked) {
      this.#state = 'chunked'
      this.#buffer = undefined
      if (rest.length > 0) this.#readChunked(rest)
    } else if (length !== undefined && Number.isFinite(length)) {
      this.#state = 'length'
      this.#remaining = length
      if (rest.length > 0) this.#readLength(rest)
    } else {
      this.#state = 'until-close'
      this.#keep(rest)
    }
  }

  #readLength (chunk: Buffer): void {
    const take = Math.min(this.#remaining, chunk.length)
    this.#keep(take === chunk.length ? chunk : chunk.subarray(0, take))
    this.#remaining -= take
    if (this.#remaining === 0) this.#finish()
  }

  /** Chunked bodies: `size-in-hex[;ext]\r\n data \r\n` … `0\r\n [trailers] \r\n`. */
  #readChunked (chunk: Buffer): void {
    let buf = this.#buffer === undefined ? chunk : Buffer.concat([this.#buffer, chunk])
    for (;;) {
      const lineEnd = buf.indexOf(CRLF)
      if (lineEnd < 0) break
      const size = parseInt(buf.toString('latin1', 0, lineEnd).split(';')[0] as string, 16)
      if (Number.isNaN(size)) {
        this.#socket.destroy(new Error('malformed chunked response'))
        return
      }
      const dataStart = lineEnd + 2
      if (size === 0) {
        // Trailers (rare) end with an empty line; without trailers the empty line follows at once.
        const done = buf.subarray(dataStart, dataStart + 2).equals(CRLF) || buf.indexOf(HEAD_END, lineEnd) >= 0
        if (!done) break
        this.#buffer = undefined
        this.#finish()
        return
      }
      if (buf.length < dataStart + size + 2) break
      this.#keep(buf.subarray(dataStart, dataStart + size))
      buf = buf.subarray(dataStart + size + 2)
    }
    this.#buffer = buf.length > 0 ? buf : undefined
  }

  #keep (part: Buffer): void {
    const parts = this.#errorParts
    if (parts === undefined || part.length === 0) return
    const kept = parts.reduce((n, p) => n + p.length, 0)
    if (kept < ERROR_BODY_CHARS * 4) parts.push(Buffer.from(part.subarray(0, ERROR_BODY_CHARS * 4 - kept)))
  }

  #finish (): void {
    const resolve = this.#resolve
    const errorBody = this.#errorParts === undefined ? undefined : Buffer.concat(this.#errorParts).toString('utf8').slice(0, ERROR_BODY_CHARS)
    this.#state = 'idle'
    this.#buffer = undefined
    this.#errorParts = undefined
    this.#resolve = undefined
    this.#reject = undefined
    if (this.#closeAfter) {
      this.#closed = true
      this.#socket.end()
    }
    resolve?.({ status: this.#status, errorBody })
  }

  #fail (err: Error): void {
    const reject = this.#reject
    this.#state = 'idle'
    this.#resolve = undefined
    this.#reject = undefined
    this.#closed = true
    reject?.(err)
  }
}
