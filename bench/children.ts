import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * The bench's server processes: each started on 127.0.0.1 at a free port, its port read from its
 * stdout, and every one of them killed when the bench ends, whether it ends normally, on an
 * error, or on Ctrl-C (SIGINT/SIGTERM), so no server outlives a run.
 */

export interface ServerProcess {
  readonly name: string
  readonly port: number
  /** The server's process id (its CPU time is read from /proc, see server-cpu.ts). */
  readonly pid: number
  /** Stops the server (SIGTERM, then SIGKILL after a grace period) and waits for it to exit. */
  stop (): Promise<void>
}

export interface StartOptions {
  /** Finds the port in one stdout line, or returns undefined for other lines. */
  readonly portFrom: (line: string) => number | undefined
  /** A path polled until it answers 200 before the server counts as started. */
  readonly readyPath?: string
  readonly timeoutMs?: number
}

const STOP_GRACE_MS = 5000

/** Tracks children and kills them all on exit. One instance per bench run. */
export class ServerProcesses {
  readonly #children = new Set<ChildProcess>()

  constructor () {
    // 'exit' handlers must be synchronous: SIGKILL whatever is left.
    process.on('exit', () => { for (const c of this.#children) c.kill('SIGKILL') })
    // `on`, not `once`: Ctrl-C reaches this process twice (from the terminal's process group and
    // relayed by tsx), and a second signal without a handler would kill it before the cleanup.
    let stopping = false
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (stopping) return
        stopping = true
        process.stderr.write(`\n${signal}: stopping the servers\n`)
        void this.stopAll().finally(() => process.exit(130))
      })
    }
  }

  /**
   * Starts `node <args>` and resolves once it has printed its port (and, with `readyPath`, once
   * that path answers 200).
   */
  async start (name: string, args: readonly string[], options: StartOptions): Promise<ServerProcess> {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    this.#children.add(child)
    child.once('exit', () => this.#children.delete(child))
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-4000) })
    const timeoutMs = options.timeoutMs ?? 60_000
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: no port within ${timeoutMs} ms`)), timeoutMs)
        const lines = createInterface({ input: child.stdout! })
        lines.on('line', (line) => {
          const port = options.portFrom(line)
          if (port !== undefined) {
            clearTimeout(timer)
            resolve(port)
          }
        })
        child.once('exit', (code, signal) => {
          clearTimeout(timer)
          reject(new Error(`${name} exited (${signal ?? code}) before listening:\n${stderr}`))
        })
      })
      if (options.readyPath !== undefined) await waitReady(`http://127.0.0.1:${port}${options.readyPath}`, timeoutMs)
      return { name, port, pid: child.pid!, stop: () => stopChild(child) }
    } catch (err) {
      await stopChild(child)
      throw err
    }
  }

  /** Stops every child still running. */
  async stopAll (): Promise<void> {
    await Promise.all([...this.#children].map(stopChild))
  }
}

async function stopChild (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
  await exited
  clearTimeout(timer)
}

async function waitReady (url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).status === 200) return
    } catch { /* not up yet */ }
    await sleep(100)
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms`)
}
