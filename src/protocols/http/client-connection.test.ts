import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type ClientWatch, watchClient } from './client-connection.js'

/**
 * watchClient over real connections: a node:http server on an ephemeral port whose handler
 * watches each request, and node:http clients that disconnect or keep their connection alive.
 */
interface Seen { watch: ClientWatch; req: IncomingMessage; res: ServerResponse }

let server: Server | undefined
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise<void>((resolve) => server === undefined ? resolve() : server.close(() => resolve()))
  server = undefined
})

/** A server that watches every request and answers only when `answer` is called. */
async function watchingServer (): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = []
  server = createServer((req, res) => { seen.push({ watch: watchClient(req), req, res }) })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as AddressInfo).port, seen }
}

function send (port: number, agent: Agent): { done: Promise<string>; abort: () => void } {
  const req = request({ host: '127.0.0.1', port, path: '/', method: 'POST', agent })
  const done = new Promise<string>((resolve, reject) => {
    req.on('response', (res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => resolve(body))
    })
    req.on('error', reject)
  })
  req.end('x')
  return { done, abort: () => req.destroy() }
}

describe('watchClient', () => {
  it('cancels a request whose client disconnects before the answer', async () => {
    const { port, seen } = await watchingServer()
    const agent = new Agent({ keepAlive: true })
    const call = send(port, agent)
    call.done.catch(() => {})
    await vi.waitFor(() => expect(seen).toHaveLength(1))
    expect(seen[0]!.watch.signal.aborted).toBe(false)
    call.abort()
    await vi.waitFor(() => expect(seen[0]!.watch.signal.aborted).toBe(true))
    agent.destroy()
  })

  it('leaves answered requests alone when the kept-alive connection closes later, with one listener per connection', async () => {
    const { port, seen } = await watchingServer()
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const listeners: number[] = []
    for (let i = 0; i < 3; i++) {
      const call = send(port, agent)
      await vi.waitFor(() => expect(seen).toHaveLength(i + 1))
      const { watch, req, res } = seen[i]!
      listeners.push(req.socket.listenerCount('close'))
      watch.release()
      res.end(`answer ${i}`)
      expect(await call.done).toBe(`answer ${i}`)
    }
    expect(seen[1]!.req.socket).toBe(seen[0]!.req.socket) // one connection
    expect(new Set(listeners).size).toBe(1) // later requests added no listener
    const socket = seen[0]!.req.socket
    agent.destroy()
    await vi.waitFor(() => expect(socket.destroyed).toBe(true))
    expect(seen.map((s) => s.watch.signal.aborted)).toEqual([false, false, false])
  })
})
