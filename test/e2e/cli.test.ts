import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { getJson, postJson } from '../helpers/oip-client.js'
import { CORE_EXAMPLES_REPO, EXAMPLES_REPO, FIXTURE_REPO, ROOT, SINGLE_MODEL } from '../helpers/paths.js'

/**
 * The built CLI as a user runs it: `node dist/cli/bin.js` (npm test builds first), real processes,
 * real ports, real signals. stdout must stay pure JSON log lines; the human banner and usage
 * errors go to stderr. Every wait is bounded, and every process started here is killed in
 * afterEach, so a failing test leaks nothing.
 */

const BIN = join(ROOT, 'dist', 'cli', 'bin.js')
const PACKAGE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
/** Generous bound for start-up (loading the fixture repository) and for exits. */
const WAIT_MS = 20_000

interface Exit { code: number | null; signal: NodeJS.Signals | null }
type LogLine = Record<string, unknown> & { msg?: string }

/** One spawned `inferd` with its output collected and bounded waits on it. */
class Cli {
  readonly child: ChildProcessWithoutNullStreams
  readonly exited: Promise<Exit>
  stdout = ''
  stderr = ''
  exit: Exit | undefined
  readonly #waiters = new Set<() => void>()

  constructor (args: readonly string[]) {
    this.child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } })
    this.child.stdout.setEncoding('utf8').on('data', (s: string) => { this.stdout += s; this.#poke() })
    this.child.stderr.setEncoding('utf8').on('data', (s: string) => { this.stderr += s; this.#poke() })
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => { this.exit = { code, signal }; this.#poke(); resolve(this.exit) })
    })
  }

  /** Parsed stdout lines; a line that is not JSON fails the test (stdout is for logs only). */
  logs (): LogLine[] {
    return this.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => {
      try { return JSON.parse(l) as LogLine } catch { throw new Error(`stdout line is not JSON: ${l}`) }
    })
  }

  /** Resolves once `ready()` holds; rejects if the process exits first or after `ms`. */
  waitFor (what: string, ready: () => boolean, ms = WAIT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer)
        this.#waiters.delete(check)
        if (err === undefined) resolve(); else reject(err)
      }
      const check = (): void => {
        if (ready()) done()
        else if (this.exit !== undefined) done(new Error(`inferd exited (${JSON.stringify(this.exit)}) before ${what}\n${this.#seen()}`))
      }
      const timer = setTimeout(() => done(new Error(`no ${what} within ${ms} ms\n${this.#seen()}`)), ms)
      this.#waiters.add(check)
      check()
    })
  }

  /** The exit, bounded. */
  async waitForExit (ms = WAIT_MS): Promise<Exit> {
    await this.waitFor('exit', () => this.exit !== undefined, ms)
    return this.exit!
  }

  #poke (): void { for (const check of [...this.#waiters]) check() }
  #seen (): string { return `--- stdout\n${this.stdout.slice(-3000)}\n--- stderr\n${this.stderr.slice(-3000)}` }
}

const started = new Set<Cli>()
afterEach(async () => {
  const alive = [...started].filter((p) => p.exit === undefined)
  started.clear()
  for (const p of alive) p.child.kill('SIGKILL')
  await Promise.all(alive.map((p) => p.waitForExit(5_000).catch(() => {})))
})

function cli (...args: string[]): Cli {
  const p = new Cli(args)
  started.add(p)
  return p
}

/** Runs the CLI to completion (bounded). */
async function run (...args: string[]): Promise<Exit & { stdout: string; stderr: string }> {
  const p = cli(...args)
  const exit = await p.waitForExit()
  return { ...exit, stdout: p.stdout, stderr: p.stderr }
}

/** Starts `inferd serve <args> --http-port 0 --grpc-port 0`, waits for the port in the log and for the banner. */
async function serve (...args: string[]): Promise<{ p: Cli; url: string; port: number }> {
  // Both ports ephemeral: servers started side by side must not contend for gRPC's default 8001.
  const p = cli('serve', ...args, '--http-port', '0', '--grpc-port', '0')
  const listening = (): LogLine | undefined => p.logs().find((l) => l.msg?.startsWith('HTTP service listening on '))
  await p.waitFor('"HTTP service listening" log line', () => listening() !== undefined)
  const line = listening()!
  expect(line.port).toEqual(expect.any(Number))
  const port = line.port as number
  const url = `http://127.0.0.1:${port}`
  expect(line).toMatchObject({ level: 30, url, msg: `HTTP service listening on ${url}` })
  await p.waitFor('start-up banner', () => p.stderr.includes(`ready on ${url} (HTTP/REST) and `) && p.stderr.endsWith('\n\n'))
  return { p, url, port }
}

/** Sends a signal and checks the clean, logged shutdown that follows. */
async function stopWith (p: Cli, signal: 'SIGTERM' | 'SIGINT'): Promise<void> {
  p.child.kill(signal)
  expect(await p.waitForExit()).toEqual({ code: 0, signal: null })
  const logs = p.logs()
  expect(logs).toContainEqual(expect.objectContaining({ signal, msg: 'shutting down: finishing requests in flight' }))
  expect(logs.at(-1)).toMatchObject({ msg: 'inferd stopped' })
}

const IRIS_EXAMPLE = readFileSync(join(EXAMPLES_REPO, 'iris', 'example.json'), 'utf8')
const range = (n: number, f = (i: number) => i): number[] => Array.from({ length: n }, (_, i) => f(i))

describe('inferd --version and --help', () => {
  it('prints the package version', async () => {
    for (const flag of ['--version', '-v']) {
      const r = await run(flag)
      expect(r).toMatchObject({ code: 0, stdout: `${PACKAGE_VERSION}\n`, stderr: '' })
    }
  })

  it('--help names the serve command', async () => {
    const r = await run('--help')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Usage: inferd /)
    expect(r.stdout).toMatch(/^\s+serve \[options\] \[repository\]/m)
  })

  it('serve --help lists every serve flag the README documents', async () => {
    const r = await run('serve', '--help')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Usage: inferd serve \[options\] \[repository\]/)
    for (const flag of [
      '--model-repository <path>', '--http-port <port>', '--grpc-port <port>', '--host <address>',
      '--model-control-mode <mode>', '--strict-readiness <bool>', '--default-max-batch-size <rows>',
      '--execution-mode <mode>', '--max-request-bytes <bytes>', '--log-level <level>', '--shutdown-timeout <ms>',
      '--repository-poll-secs <seconds>', '--load-model <name>', '--model-load-wait <ms>',
    ]) expect(r.stdout).toContain(flag)
  })
})

describe('inferd serve', () => {
  it('serves a repository given as the argument: logs the port, answers, prints the banner, stops on SIGTERM', async () => {
    const { p, url } = await serve(FIXTURE_REPO, '--log-level', 'info')

    expect((await getJson(`${url}/v2/health/live`)).json).toEqual({ live: true })
    const res = await postJson(`${url}/v2/models/simple/infer`, {
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: range(16) },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16, () => 1) },
      ],
    })
    expect(res.status, res.text).toBe(200)
    expect(res.json.outputs.find((o: { name: string }) => o.name === 'OUTPUT0').data).toEqual(range(16, (i) => i + 1))

    // The banner: URL, then every model version with its state (and the reason when not READY).
    const banner = p.stderr.split('\n')
    expect(banner[0]).toMatch(new RegExp(`^inferd ${PACKAGE_VERSION} ready on ${url} \\(HTTP/REST\\) and 127\\.0\\.0\\.1:\\d+ \\(gRPC\\)$`))
    expect(banner).toEqual(expect.arrayContaining([
      '  simple v1  READY',
      '  add_sub_fp32 v2  READY',
      '  add_sub_fp32 v3  READY',
      expect.stringMatching(/^ {2}broken v1 {2}UNAVAILABLE {2}\(.*failed to load.*\)$/),
      expect.stringMatching(/^ {2}bad_config v1 {2}UNAVAILABLE {2}\(.*data_type: config says TYPE_INT32, the model says TYPE_FP32\)$/),
    ]))
    expect(p.stderr).not.toContain('not_a_model')
    // Each model that loaded is logged as a JSON line too.
    expect(p.logs()).toContainEqual(expect.objectContaining({ model: 'simple', version: 1, msg: 'model version ready' }))

    await stopWith(p, 'SIGTERM')
  })

  it('takes the repository from --model-repository, and the banner curl works as printed', async () => {
    const { p, url } = await serve('--model-repository', CORE_EXAMPLES_REPO)
    expect(p.stderr).toContain('\n  iris v1  READY\n')
    expect(p.stderr).toContain('\n  text_orientation v1  READY\n')
    expect(p.stderr).not.toContain('UNAVAILABLE') // every example loads

    // Run the curl the banner offers, exactly as printed.
    const curl = /curl -s (\S+) \\\n\s+-H 'content-type: application\/json' -d '(.*)'\n/.exec(p.stderr)
    expect(curl, p.stderr).not.toBeNull()
    expect(curl![1]).toBe(`${url}/v2/models/iris/infer`)
    expect(JSON.parse(curl![2]!)).toEqual(JSON.parse(IRIS_EXAMPLE))
    const res = await postJson(curl![1]!, curl![2]!)
    expect(res.status, res.text).toBe(200)
    expect(res.json.outputs.find((o: { name: string }) => o.name === 'label')).toEqual({ name: 'label', datatype: 'INT64', shape: [2], data: [0, 2] })

    await stopWith(p, 'SIGINT')
  })

  it('explicit mode loads exactly the models named by repeated --load-model flags', async () => {
    const { p, url } = await serve(FIXTURE_REPO, '--model-control-mode', 'explicit', '--load-model', 'simple', '--load-model', 'fixed_shape')
    expect(p.stderr).toContain('\n  simple v1  READY\n')
    expect(p.stderr).toContain('\n  fixed_shape v1  READY\n')
    expect(p.stderr).toContain('\n  add_sub_fp32  UNAVAILABLE  (not loaded)\n')
    const ready = (await postJson(`${url}/v2/repository/index`, { ready: true })).json.map((r: { name: string }) => r.name)
    expect(ready).toEqual(['fixed_shape', 'simple'])
    await stopWith(p, 'SIGTERM')
  })

  it('serves a single .onnx file as a model named after the file, version 1', async () => {
    const { p, url } = await serve(SINGLE_MODEL)
    expect(p.stderr).toContain('\n  double_it v1  READY\n')
    expect((await getJson(`${url}/v2/models/double_it`)).json).toMatchObject({ name: 'double_it', versions: ['1'] })
    const res = await postJson(`${url}/v2/models/double_it/infer`, { inputs: [{ name: 'x', shape: [2, 2], datatype: 'FP32', data: [1, 2, -3, 0.5] }] })
    expect(res.status, res.text).toBe(200)
    expect(res.json.outputs).toEqual([{ name: 'y', datatype: 'FP32', shape: [2, 2], data: [2, 4, -6, 1] }])
    await stopWith(p, 'SIGTERM')
  })
})

describe('bad usage fails fast with a clear message on stderr', () => {
  const cases: Array<{ why: string; args: string[]; message: RegExp; code?: number }> = [
    { why: 'an unknown flag', args: ['serve', FIXTURE_REPO, '--http-port', '0', '--bogus'], message: /error: unknown option '--bogus'/ },
    { why: 'a port that is not a number', args: ['serve', FIXTURE_REPO, '--http-port', 'abc'], message: /option '--http-port <port>': expected an integer, got 'abc'/ },
    { why: 'a port out of range', args: ['serve', FIXTURE_REPO, '--http-port', '70000'], message: /httpPort: .*70000.*\[INFERD_ERR_CONFIG_INVALID\]/, code: 2 },
    {
      why: 'an unknown model control mode',
      args: ['serve', FIXTURE_REPO, '--http-port', '0', '--model-control-mode', 'bogus'],
      message: /option '--model-control-mode <mode>': expected one of none, poll, explicit, got 'bogus'/,
    },
    {
      why: '--load-model outside explicit mode',
      args: ['serve', FIXTURE_REPO, '--http-port', '0', '--model-control-mode', 'poll', '--load-model', 'simple'],
      message: /loadModels \(--load-model\) applies to modelControlMode 'explicit' only.*\[INFERD_ERR_CONFIG_INVALID\]/,
      code: 2,
    },
    {
      why: 'a poll interval that is not a positive number',
      args: ['serve', FIXTURE_REPO, '--http-port', '0', '--model-control-mode', 'poll', '--repository-poll-secs', '0'],
      message: /option '--repository-poll-secs <seconds>': expected a positive number, got '0'/,
    },
    {
      why: 'an unknown execution mode',
      args: ['serve', FIXTURE_REPO, '--http-port', '0', '--execution-mode', 'gpu'],
      message: /option '--execution-mode <mode>': expected one of auto, inline, worker, got 'gpu'/,
    },
    { why: 'no repository at all', args: ['serve', '--http-port', '0'], message: /a model repository is required/ },
    {
      why: 'a repository path that does not exist',
      args: ['serve', join(ROOT, 'does-not-exist'), '--http-port', '0'],
      message: /inferd: failed to start: model repository '.*does-not-exist': does not exist \[INFERD_ERR_REPOSITORY_INVALID\]/,
      code: 2,
    },
    {
      why: 'a repository that is a file but not a model',
      args: ['serve', join(ROOT, 'package.json'), '--http-port', '0'],
      message: /model repository '.*package\.json': is neither a folder nor a model file .*\[INFERD_ERR_REPOSITORY_INVALID\]/,
      code: 2,
    },
  ]

  it.each(cases)('$why', async ({ args, message, code }) => {
    const r = await run(...args)
    expect(r.signal).toBeNull()
    expect([1, 2]).toContain(r.code)
    if (code !== undefined) expect(r.code).toBe(code)
    expect(r.stderr).toMatch(message)
    expect(r.stderr).not.toMatch(/^\s+at /m) // a message, not a stack trace
    expect(r.stderr).not.toMatch(/ready on http/)
  })

  it('a port already in use', async () => {
    const { port } = await serve(SINGLE_MODEL)
    const r = await run('serve', SINGLE_MODEL, '--http-port', String(port))
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(new RegExp(`inferd: failed to start: .*EADDRINUSE.*${port}`))
    expect(r.stderr).not.toMatch(/^\s+at /m)
  })
})

describe('graceful shutdown', () => {
  const json = { 'content-type': 'application/json' }
  const irisBody = (rows: number): Buffer => Buffer.from(JSON.stringify({
    inputs: [{ name: 'features', shape: [rows, 4], datatype: 'FP32', data: range(rows * 4, (i) => [5.1, 3.5, 1.4, 0.2, 6.7, 3.1, 5.6, 2.4][i % 8]!) }],
  }))
  /** A full batch for text_orientation as binary tensor data: 32 lines of noise, 3.5 MB. */
  const orientationBody = (): { body: Buffer; headers: Record<string, string> } => {
    const x = Float32Array.from({ length: 32 * 3 * 48 * 192 }, (_, i) => Math.sin(i) * 0.9)
    const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [32, 3, 48, 192], datatype: 'FP32', parameters: { binary_data_size: x.byteLength } }] }))
    return {
      body: Buffer.concat([header, Buffer.from(x.buffer)]),
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
    }
  }
  const outputsOf = (text: string): Record<string, { shape: number[]; data: unknown[] }> =>
    Object.fromEntries((JSON.parse(text) as { outputs: Array<{ name: string; shape: number[]; data: unknown[] }> }).outputs.map((o) => [o.name, o]))

  // Requests use `Expect: 100-continue`, which makes "the server holds this request" observable
  // without timing: the server answers "100 Continue" once it has the request's headers. A
  // request that has not reached the server when it stops listening may be refused by TCP,
  // which no server can prevent; one that it holds must be answered.
  let agent: http.Agent | undefined
  afterEach(() => { agent?.destroy(); agent = undefined })

  it('answers a burst of large requests it holds when SIGTERM comes, then exits 0', async () => {
    const { p, port } = await serve(CORE_EXAMPLES_REPO, '--shutdown-timeout', '10000')
    agent = new http.Agent({ keepAlive: true })
    const orientation = orientationBody()
    // Iris computes on the event loop, text_orientation in a worker thread (see the log line
    // "execution"): both kinds are in the burst, so some are inside the engine when the signal lands.
    const held = await Promise.all(range(8).map((i) => i % 2 === 0
      ? holdRequest(agent!, port, '/v2/models/iris/infer', irisBody(256), json)
      : holdRequest(agent!, port, '/v2/models/text_orientation/infer', orientation.body, orientation.headers)))
    for (const h of held) h.send()
    p.child.kill('SIGTERM')
    for (const [i, res] of (await Promise.all(held.map((h) => h.response))).entries()) {
      expect(res.status, res.text).toBe(200)
      const out = outputsOf(res.text)
      if (i % 2 === 0) {
        expect(out.label?.shape).toEqual([256])
        expect(out.label?.data.slice(0, 2)).toEqual([0, 2])
      } else {
        expect(out['softmax_0.tmp_0']?.shape).toEqual([32, 2])
      }
    }
    expect(await p.waitForExit()).toEqual({ code: 0, signal: null })
    expect(p.logs().at(-1)).toMatchObject({ msg: 'inferd stopped' })
  })

  it('finishes a request whose body arrives after SIGTERM, lets go of its keep-alive connection, exits 0', async () => {
    const { p, port } = await serve(CORE_EXAMPLES_REPO, '--shutdown-timeout', '3000')
    agent = new http.Agent({ keepAlive: true }) // as most clients: the connection is kept for reuse
    const held = await holdRequest(agent, port, '/v2/models/iris/infer', Buffer.from(IRIS_EXAMPLE), json)
    p.child.kill('SIGTERM')
    await p.waitFor('"shutting down" log line', () => p.stdout.includes('shutting down'))
    held.send()
    const res = await held.response
    expect(res.status, res.text).toBe(200)
    expect(outputsOf(res.text).label?.data).toEqual([0, 2])
    // A server on its way out must close the connection (or tell the client to), not wait for the
    // client's keep-alive to lapse.
    await Promise.race([res.closed, rejectAfter(WAIT_MS, 'the connection was not closed')])
    expect(await p.waitForExit()).toEqual({ code: 0, signal: null })
  })
})

interface HeldResponse { status: number | undefined; text: string; closed: Promise<void> }

/**
 * Sends a POST's headers with `Expect: 100-continue` and resolves once the server has answered
 * "100 Continue"; the body goes when `send()` is called.
 */
async function holdRequest (
  agent: http.Agent, port: number, path: string, body: Buffer, headers: Record<string, string>,
): Promise<{ send: () => void; response: Promise<HeldResponse> }> {
  const req = http.request({
    host: '127.0.0.1', port, path, method: 'POST', agent,
    headers: { ...headers, 'content-length': body.length, expect: '100-continue' },
  })
  const response = new Promise<HeldResponse>((resolve, reject) => {
    req.once('error', reject)
    req.once('response', (res) => {
      const closed = once(res.socket, 'close').then(() => {}, () => {})
      let text = ''
      res.setEncoding('utf8').on('data', (s: string) => { text += s })
      res.once('error', reject).once('end', () => resolve({ status: res.statusCode, text, closed }))
    })
  })
  response.catch(() => {}) // awaited by the caller; do not let an early failure go unhandled
  req.flushHeaders()
  await Promise.race([once(req, 'continue'), rejectAfter(WAIT_MS, 'no "100 Continue"')])
  return { send: () => { req.end(body) }, response: Promise.race([response, rejectAfter(WAIT_MS, 'no response')]) }
}

function rejectAfter (ms: number, why: string): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`${why} within ${ms} ms`)), ms).unref())
}
