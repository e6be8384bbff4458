import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'

/**
 * A throwaway `redis-server` for one test file: 127.0.0.1, a free port, no persistence
 * (`--save '' --appendonly no`), so nothing is left on disk and nothing is shared with another
 * test or a Redis the machine already runs. The Debian package `redis-server` must be installed
 * (CI: `apt-get install -y redis-server`).
 */
export interface TestRedis {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  stop (): Promise<void>
}

/** A port the kernel hands out now; redis binds it right after (a race only with another process picking the same port in between). */
async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Starts redis-server and resolves once it accepts connections (its "Ready to accept connections" line). */
export async function startRedis (timeoutMs = 10_000): Promise<TestRedis> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    try {
      return await launch(port, timeoutMs)
    } catch (err) {
      // Another process took the port between freePort() and the bind: try another one.
      if (attempt >= 3 || !String((err as Error).message).includes('Address already in use')) throw err
    }
  }
}

async function launch (port: number, timeoutMs: number): Promise<TestRedis> {
  const child: ChildProcess = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const onData = (chunk: Buffer): void => { output += chunk.toString('utf8') }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`redis-server did not start within ${timeoutMs} ms\n${output}`)), timeoutMs)
      const done = (): void => { clearTimeout(timer); child.off('error', onError).off('exit', onExit); child.stdout?.off('data', onReady) }
      const fail = (err: Error): void => { done(); child.kill('SIGKILL'); reject(err) }
      const onReady = (): void => { if (output.includes('Ready to accept connections')) { done(); resolve() } }
      const onError = (err: Error): void => fail(new Error(`redis-server could not be started (is the redis-server package installed?): ${err.message}`))
      const onExit = (code: number | null): void => fail(new Error(`redis-server exited (${String(code)}) before it was ready\n${output}`))
      child.stdout?.on('data', onReady)
      child.once('error', onError)
      child.once('exit', onExit)
    })
  } finally {
    child.stdout?.off('data', onData)
    child.stderr?.off('data', onData)
  }
  child.stdout?.resume()
  child.stderr?.resume()
  const exited = once(child, 'exit')
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop () {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}
