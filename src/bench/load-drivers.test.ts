import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ClosedLoop } from './closed-loop.js'
import { serializeRequest, type HttpTarget } from './http-connection.js'
import { OpenLoop } from './open-loop.js'
import { WindowRecorder } from './window-recorder.js'

/**
 * Both drivers against a real node:http server that counts connections and requests in flight.
 * Behaviour only (how many connections, how many requests at once, clean stop), never speed.
 */
let server: Server
let target: HttpTarget
const stats = { connections: 0, open: 0, inFlight: 0, maxInFlight: 0, requests: 0 }

beforeAll(async () => {
  server = createServer((req, res) => {
    stats.inFlight++
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight)
    req.resume()
    req.on('end', () => setTimeout(() => {
      stats.inFlight--
      stats.requests++
      const fail = req.url === '/fail'
      res.writeHead(fail ? 503 : 200, { 'content-type': 'application/json' }).end(fail ? '{"error":"busy"}' : '{"outputs":[]}')
    }, 2))
  })
  server.on('connection', (socket) => {
    stats.connections++
    stats.open++
    socket.on('close', () => { stats.open-- })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  target = { host: '127.0.0.1', port: (server.address() as AddressInfo).port }
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
})

function reset (): void {
  Object.assign(stats, { connections: 0, inFlight: 0, maxInFlight: 0, requests: 0 })
}

async function untilClosed (): Promise<void> {
  for (let i = 0; i < 100 && stats.open > 0; i++) await sleep(10)
}

const body = Buffer.from('{}')

describe('ClosedLoop', () => {
  it('keeps exactly N requests in flight on N connections, and closes them on stop', async () => {
    reset()
    const recorder = new WindowRecorder()
    const driver = new ClosedLoop({ target, requests: [serializeRequest(target, 'POST', '/ok', {}, body)], recorder, requestTimeoutMs: 5000 }, 4)
    await driver.start()
    await sleep(150)
    await driver.stop()
    const w = recorder.cut()
    expect(stats.connections).toBe(4)
    expect(stats.maxInFlight).toBe(4)
    expect(w.ok).toBe(stats.requests)
    expect(w.ok).toBeGreaterThan(4)
    expect(w.errors).toBe(0)
    expect(w.latenciesUs.every((us) => us > 0)).toBe(true)
    await untilClosed()
    expect(stats.open).toBe(0)
  })

  it('records non-2xx answers as errors with their status and body', async () => {
    const recorder = new WindowRecorder()
    const driver = new ClosedLoop({ target, requests: [serializeRequest(target, 'POST', '/fail', {}, body)], recorder, requestTimeoutMs: 5000 }, 1)
    await driver.start()
    await sleep(50)
    await driver.stop()
    const w = recorder.cut()
    expect(w.ok).toBe(0)
    expect(w.errors).toBeGreaterThan(0)
    expect(w.firstError).toBe('HTTP 503: {"error":"busy"}')
  })
})

describe('OpenLoop', () => {
  it('never opens more than maxConnections: requests due meanwhile wait their turn', async () => {
    reset()
    const recorder = new WindowRecorder()
    const driver = new OpenLoop({ target, requests: [serializeRequest(target, 'POST', '/ok', {}, body)], recorder, requestTimeoutMs: 5000 },
      { rate: 2000, distribution: 'constant', maxConnections: 2 })
    await driver.start()
    await sleep(150)
    await driver.stop()
    const w = recorder.cut()
    expect(stats.connections).toBe(2)
    expect(stats.maxInFlight).toBeLessThanOrEqual(2)
    expect(w.ok).toBe(stats.requests)
    expect(w.ok).toBeGreaterThan(0)
    expect(w.errors).toBe(0)
    await untilClosed()
    expect(stats.open).toBe(0)
  })

  it('sends Poisson arrivals too, and refuses a rate or connection limit that cannot work', async () => {
    const recorder = new WindowRecorder()
    const ctx = { target, requests: [serializeRequest(target, 'POST', '/ok', {}, body)], recorder, requestTimeoutMs: 5000 }
    const driver = new OpenLoop(ctx, { rate: 300, distribution: 'poisson', maxConnections: 8 })
    await driver.start()
    await sleep(100)
    await driver.stop()
    expect(recorder.cut().ok).toBeGreaterThan(0)
    expect(() => new OpenLoop(ctx, { rate: 0, distribution: 'constant', maxConnections: 1 })).toThrow(/rate/)
    expect(() => new OpenLoop(ctx, { rate: 1, distribution: 'constant', maxConnections: 0 })).toThrow(/connections/)
    expect(() => new ClosedLoop(ctx, 0)).toThrow(/concurrency/)
  })
})
