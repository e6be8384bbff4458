import { createServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { HttpConnection, serializeRequest, type HttpTarget } from './http-connection.js'

/**
 * A raw TCP server that reads whole HTTP requests and answers with scripted bytes, so the
 * connection's parser meets the response shapes real servers send (split anywhere, chunked,
 * interim 1xx, Connection: close, closed mid-body).
 */
type Responder = (socket: Socket, request: Buffer, index: number) => void

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

async function serve (respond: Responder): Promise<{ target: HttpTarget; received: Buffer[] }> {
  const received: Buffer[] = []
  const server = createServer((socket) => {
    let buf = Buffer.alloc(0)
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk])
      for (;;) {
        const end = buf.indexOf('\r\n\r\n')
        if (end < 0) return
        const length = Number(/content-length: (\d+)/i.exec(buf.toString('latin1', 0, end))?.[1] ?? 0)
        if (buf.length < end + 4 + length) return
        const request = buf.subarray(0, end + 4 + length)
        buf = buf.subarray(end + 4 + length)
        received.push(request)
        respond(socket, request, received.length - 1)
      }
    })
    socket.on('error', () => {})
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return { target: { host: '127.0.0.1', port: typeof address === 'object' && address !== null ? address.port : 0 }, received }
}

/** Writes the pieces as separate TCP writes, a few milliseconds apart. */
function writeInPieces (socket: Socket, pieces: readonly string[], then?: () => void): void {
  const [first, ...rest] = pieces
  if (first === undefined) {
    then?.()
    return
  }
  socket.write(first)
  setTimeout(() => writeInPieces(socket, rest, then), 3)
}

const body = Buffer.from('{"inputs":[]}')

describe('HttpConnection', () => {
  it('sends the serialized request and reads Content-Length responses, split anywhere, over one kept-alive connection', async () => {
    const { target, received } = await serve((socket) => writeInPieces(socket, ['HTTP/1.1 200 OK\r\ncontent-le', 'ngth: 11\r\n\r\n{"ok"', ':true}']))
    const conn = await HttpConnection.open(target, 5000)
    const request = serializeRequest(target, 'POST', '/v2/models/m/infer', { 'content-type': 'application/json' }, body)
    expect(await conn.send(request)).toEqual({ status: 200, errorBody: undefined })
    expect(await conn.send(request)).toEqual({ status: 200, errorBody: undefined })
    expect(conn.usable).toBe(true)
    expect(received).toHaveLength(2)
    const text = received[0]!.toString()
    expect(text).toMatch(/^POST \/v2\/models\/m\/infer HTTP\/1\.1\r\n/)
    expect(text).toContain(`host: 127.0.0.1:${target.port}\r\n`)
    expect(text).toContain('content-length: 13\r\n')
    expect(text).toContain('content-type: application/json\r\n')
    expect(text.endsWith('\r\n\r\n{"inputs":[]}')).toBe(true)
    conn.close()
  })

  it('reads chunked bodies and keeps the start of an error body', async () => {
    const { target } = await serve((socket) => writeInPieces(socket, [
      'HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n{"er',
      'ror\r', '\n5;ext=1\r\n":"ba\r\n3', '\r\nd"}\r\n0\r\n', '\r\n',
    ]))
    const conn = await HttpConnection.open(target, 5000)
    expect(await conn.send(serializeRequest(target, 'POST', '/', {}, body))).toEqual({ status: 400, errorBody: '{"error":"bad"}' })
    expect(conn.usable).toBe(true)
    conn.close()
  })

  it('skips an interim 100 Continue, and answers 204 without a body', async () => {
    const { target } = await serve((socket, _req, i) => {
      socket.write(i === 0 ? 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok' : 'HTTP/1.1 204 No Content\r\n\r\n')
    })
    const conn = await HttpConnection.open(target, 5000)
    expect((await conn.send(serializeRequest(target, 'POST', '/', {}, body))).status).toBe(201)
    expect((await conn.send(serializeRequest(target, 'POST', '/', {}, body))).status).toBe(204)
    conn.close()
  })

  it('honours Connection: close, and reads a body that ends with the connection', async () => {
    const { target } = await serve((socket) => writeInPieces(socket, ['HTTP/1.0 503 Service Unavailable\r\n\r\nbusy', ' now'], () => socket.end()))
    const conn = await HttpConnection.open(target, 5000)
    expect(await conn.send(serializeRequest(target, 'POST', '/', {}, body))).toEqual({ status: 503, errorBody: 'busy now' })
    expect(conn.usable).toBe(false)
    await expect(conn.send(serializeRequest(target, 'POST', '/', {}, body))).rejects.toThrow(/closed/)

    const closing = await serve((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'))
    const c2 = await HttpConnection.open(closing.target, 5000)
    expect((await c2.send(serializeRequest(closing.target, 'POST', '/', {}, body))).status).toBe(200)
    expect(c2.usable).toBe(false)
  })

  it('fails the request when the server closes mid-response, or never answers', async () => {
    const { target } = await serve((socket) => writeInPieces(socket, ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial'], () => socket.destroy()))
    const conn = await HttpConnection.open(target, 5000)
    await expect(conn.send(serializeRequest(target, 'POST', '/', {}, body))).rejects.toThrow('connection closed by the server')
    expect(conn.usable).toBe(false)

    const silent = await serve(() => {})
    const c2 = await HttpConnection.open(silent.target, 150)
    await expect(c2.send(serializeRequest(silent.target, 'POST', '/', {}, body))).rejects.toThrow('no response within 150 ms')
  })

  it('carries one request at a time, and reports an unreachable server', async () => {
    const { target } = await serve((socket) => setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'), 20))
    const conn = await HttpConnection.open(target, 5000)
    const first = conn.send(serializeRequest(target, 'POST', '/', {}, body))
    await expect(conn.send(serializeRequest(target, 'POST', '/', {}, body))).rejects.toThrow(/already in flight/)
    expect((await first).status).toBe(200)
    conn.close()
    const closedPort = await serve(() => {})
    await new Promise((resolve) => servers.pop()!.close(resolve))
    await expect(HttpConnection.open(closedPort.target, 1000)).rejects.toThrow(/cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED/)
  })

  it('refuses a response that is not HTTP/1.x', async () => {
    const { target } = await serve((socket) => socket.write('SSH-2.0-OpenSSH\r\n\r\n'))
    const conn = await HttpConnection.open(target, 5000)
    await expect(conn.send(serializeRequest(target, 'POST', '/', {}, body))).rejects.toThrow(/not an HTTP\/1\.1 response/)
  })
})
