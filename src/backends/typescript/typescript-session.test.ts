import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Tensor } from '../../core/tensor.js'
import { InferdError } from '../../errors/index.js'
import type { BackendLogger } from '../backend.js'
import { waitUntil } from '../../../test/helpers/temp-repo.js'
import { signatureFromConfig } from './declared-signature.js'
import { type RestartPolicy, TypescriptSession } from './typescript-session.js'

/**
 * The session's own promises, with real module threads: draining on close, restarting after a
 * thread dies while idle, and giving up on a crash loop (with a quick restart policy, so the test
 * does not wait through the production back-off).
 */

const QUICK: RestartPolicy = { baseDelayMs: 1, maxDelayMs: 5, maxStrikes: 2, stableMs: 60_000 }
const CONFIG = {
  max_batch_size: 4,
  input: [{ name: 'word', data_type: 'BYTES' as const, dims: [1] }],
  output: [{ name: 'echo', data_type: 'BYTES' as const, dims: [1] }],
}
const quiet: BackendLogger = { info: () => {}, warn: () => {} }

let dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  dirs = []
})

async function open (source: string): Promise<{ session: TypescriptSession; dir: string }> {
  const modelDir = await mkdtemp(join(tmpdir(), 'inferd-ts-session-'))
  dirs.push(modelDir)
  const versionDir = join(modelDir, '1')
  await mkdir(versionDir)
  const file = join(versionDir, 'model.mjs')
  await writeFile(file, source)
  const sig = signatureFromConfig(CONFIG)
  const session = await TypescriptSession.open({
    modelName: 'm', version: '1', modelDir, versionDir, modelFile: file, config: CONFIG, parameters: {},
    maxBatchSize: sig.maxBatchSize, inputs: sig.inputs, outputs: sig.outputs,
  }, { declared: sig.declared, logger: quiet, restart: QUICK })
  return { session, dir: versionDir }
}

const word = (w: string): Tensor[] => [{ name: 'word', datatype: 'BYTES', shape: [1, 1], data: [new TextEncoder().encode(w)] }]
const echoed = (outputs: Tensor[]): string => new TextDecoder().decode((outputs[0]?.data as Uint8Array[])[0])
const codeOf = async (p: Promise<unknown>): Promise<string> => p.then(() => 'resolved', (e: unknown) => (e instanceof InferdError ? `${e.code}: ${e.message}` : String(e)))

describe('TypescriptSession', () => {
  it('close lets queued calls finish, then runs finalize; later calls are refused', async () => {
    const { session, dir } = await open(`
      import { appendFileSync } from 'node:fs'
      let dir
      export function initialize (ctx) { dir = ctx.versionDir }
      export async function execute (inputs) {
        const w = new TextDecoder().decode(inputs.word.data[0])
        await new Promise((r) => setTimeout(r, 5))
        appendFileSync(dir + '/log', w + ' ')
        return { echo: { data: [w] } }
      }
      export function finalize () { appendFileSync(dir + '/log', 'finalized') }
    `)
    const calls = ['a', 'b', 'c'].map((w) => session.run(word(w), ['echo']))
    const closed = session.close()
    expect((await Promise.all(calls)).map(echoed)).toEqual(['a', 'b', 'c'])
    await closed
    expect(await readFile(join(dir, 'log'), 'utf8')).toBe('a b c finalized')
    await expect(session.run(word('d'), ['echo'])).rejects.toThrow(/closed/)
  })

  it('restarts a thread that died while idle (an error thrown from a timer), and serves on', async () => {
    const { session, dir } = await open(`
      import { existsSync, writeFileSync } from 'node:fs'
      import { threadId } from 'node:worker_threads'
      export function initialize (ctx) {
        const marker = ctx.versionDir + '/first-thread'
        if (!existsSync(marker)) { writeFileSync(marker, String(threadId)); setTimeout(() => { throw new Error('timer boom') }, 0) }
      }
      export function execute () { return { echo: { data: [String(threadId)] } } }
    `)
    try {
      const first = await readFile(join(dir, 'first-thread'), 'utf8')
      // A call may reach the first thread before its timer fires, or be lost with it (crashed);
      // soon a new thread answers, and goes on answering.
      const ask = (): Promise<string> => session.run(word('x'), ['echo']).then(echoed, () => 'crashed')
      const fresh = await waitUntil('a new thread answers', ask, (id) => id !== 'crashed' && id !== first)
      expect(await ask()).toBe(fresh)
      expect(await ask()).toBe(fresh)
    } finally {
      await session.close()
    }
  })

  it('gives up on a module whose restarts keep failing: calls fail with the last reason, none hangs', async () => {
    const { session } = await open(`
      import { existsSync, writeFileSync } from 'node:fs'
      export function initialize (ctx) {
        const marker = ctx.versionDir + '/once'
        if (existsSync(marker)) throw new Error('state lost')
        writeFileSync(marker, '')
      }
      export function execute (inputs) {
        if (new TextDecoder().decode(inputs.word.data[0]) === 'exit') process.exit(2)
        return { echo: { data: ['ok'] } }
      }
    `)
    try {
      expect(echoed(await session.run(word('hi'), ['echo']))).toBe('ok')
      const crashed = session.run(word('exit'), ['echo'])
      const queued = session.run(word('hi'), ['echo'])
      expect(await codeOf(crashed)).toMatch(/^INFERD_ERR_BACKEND_CRASHED: .*exit code 2/)
      expect(await codeOf(queued)).toMatch(/^INFERD_ERR_BACKEND_FAILED: .*stopped 2 times in a row.*state lost.*load the model again/)
      expect(await codeOf(session.run(word('hi'), ['echo']))).toMatch(/no longer restarted/)
    } finally {
      await session.close()
    }
  })
})
