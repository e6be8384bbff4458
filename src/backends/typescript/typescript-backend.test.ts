import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InferdServer } from '../../server.js'
import { getJson, postJson } from '../../../test/helpers/oip-client.js'
import { startServer } from '../../../test/helpers/server.js'
import { TempRepo, waitUntil } from '../../../test/helpers/temp-repo.js'

/**
 * The typescript backend through a real server: modules written into a temporary repository,
 * requests over HTTP. Behaviour is asserted through what the client sees (status, error code,
 * outputs) and through files the modules write, never through timings.
 */

/** y = 2x + offset over FP32, upper-casing over BYTES, and which thread computed. */
const CALC_MODULE = `
import { threadId } from 'node:worker_threads'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
let offset, versionDir, seen
export async function initialize (ctx) {
  offset = Number(ctx.parameters.offset)
  versionDir = ctx.versionDir
  seen = [ctx.modelName, ctx.version, ctx.maxBatchSize, ctx.inputs.map((t) => t.name + ':' + t.datatype).join(' '), typeof ctx.config.parameters].join('|')
}
export async function execute (inputs, ctx) {
  const x = inputs.x
  const words = inputs.words.data.map((b) => new TextDecoder().decode(b).toUpperCase())
  return {
    y: { datatype: 'FP32', shape: x.shape, data: x.data.map((v) => 2 * v + offset) },
    upper: { shape: inputs.words.shape, data: words },
    thread: { data: Array.from({ length: ctx.batchSize }, () => threadId) },
    seen: { data: Array.from({ length: ctx.batchSize }, () => seen) },
  }
}
export function finalize () { writeFileSync(join(versionDir, 'finalized'), 'yes') }
`
const CALC_CONFIG = `
backend: typescript
max_batch_size: 8
input:
  - { name: x, data_type: TYPE_FP32, dims: [2] }
  - { name: words, data_type: TYPE_STRING, dims: [1] }
output:
  - { name: y, data_type: TYPE_FP32, dims: [2] }
  - { name: upper, data_type: TYPE_STRING, dims: [1] }
  - { name: thread, data_type: TYPE_INT32, dims: [] }
  - { name: seen, data_type: TYPE_STRING, dims: [] }
parameters: { offset: "1" }
`

/**
 * What it does depends on the word sent: throw in execute, end its thread (process.exit, or an
 * error thrown from a timer while execute waits), return a wrong output, block its thread until
 * the test releases it; otherwise it echoes the word and its thread id.
 */
const FLAKY_MODULE = `
import { threadId } from 'node:worker_threads'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
let dir
export default {
  initialize (ctx) { dir = ctx.versionDir },
  execute (inputs) {
    const word = new TextDecoder().decode(inputs.word.data[0])
    if (word === 'throw') throw new Error('cannot handle "throw"')
    if (word === 'exit') process.exit(3)
    if (word === 'late') return new Promise(() => { setTimeout(() => { throw new Error('late boom') }, 0) })
    if (word === 'badcount') return { echo: { shape: [1, 1], data: ['a', 'b'] }, thread: { data: [threadId] } }
    if (word === 'unknown') return { echo: { data: ['a'] }, thread: { data: [threadId] }, extra: { data: [1] } }
    if (word === 'oom') { const keep = []; for (;;) keep.push(new Array(1e6).fill(keep.length)) }
    if (word === 'block') {
      writeFileSync(join(dir, 'started'), '')
      // Blocks this thread (not the server's) until the test creates 'release', or 20 s pass.
      const until = Date.now() + 20000
      while (!existsSync(join(dir, 'release')) && Date.now() < until) {}
      return { echo: { data: [existsSync(join(dir, 'release')) ? 'released' : 'gave up'] }, thread: { data: [threadId] } }
    }
    return { echo: { data: [word] }, thread: { data: [threadId] } }
  },
}
`
const FLAKY_CONFIG = `
backend: typescript
max_batch_size: 4
input: [ { name: word, data_type: TYPE_STRING, dims: [1] } ]
output:
  - { name: echo, data_type: TYPE_STRING, dims: [1] }
  - { name: thread, data_type: TYPE_INT32, dims: [] }
parameters: { max_old_generation_size_mb: "32" }
`

const WORD_CONFIG = `
backend: typescript
max_batch_size: 4
input: [ { name: word, data_type: TYPE_STRING, dims: [1] } ]
output: [ { name: echo, data_type: TYPE_STRING, dims: [1] } ]
`

/** A module written in TypeScript, served through tsx. */
const TS_MODULE = `
import type { InputTensors, OutputTensors } from '${new URL('./types.js', import.meta.url).pathname.replace(/\.js$/, '.ts')}'
const scale: number = 3
export function execute (inputs: InputTensors): OutputTensors {
  const x = inputs.x!
  return { y: { shape: x.shape, data: Array.from(x.data as Float32Array, (v: number) => v * scale) } }
}
`

let repo: TempRepo
let server: InferdServer
let url: string

const text = (name: string, words: string[]): Record<string, unknown> => ({ name, datatype: 'BYTES', shape: [words.length, 1], data: words })
const infer = (model: string, inputs: unknown[]): ReturnType<typeof postJson> => postJson(`${url}/v2/models/${model}/infer`, { inputs })
const say = (model: string, word: string): ReturnType<typeof postJson> => infer(model, [text('word', [word])])
const output = (res: { json: any }, name: string): any => res.json.outputs.find((o: { name: string }) => o.name === name)

beforeAll(async () => {
  repo = await TempRepo.create({
    'calc/config.yaml': CALC_CONFIG,
    'calc/1/model.mjs': CALC_MODULE,
    'flaky/config.yaml': FLAKY_CONFIG,
    'flaky/1/model.mjs': FLAKY_MODULE,
    'broken_init/config.yaml': WORD_CONFIG,
    'broken_init/1/model.mjs': 'export function initialize () { throw new Error("weights.bin is missing") }\nexport function execute () { return {} }\n',
    'no_execute/config.yaml': WORD_CONFIG,
    'no_execute/1/model.mjs': 'export function initialize () {}\n',
    'no_outputs/config.yaml': 'backend: typescript\ninput: [ { name: word, data_type: TYPE_STRING, dims: [1] } ]\n',
    'no_outputs/1/model.mjs': 'export function execute () { return {} }\n',
    'typed/config.yaml': 'backend: typescript\ndefault_model_filename: model.ts\ninput: [ { name: x, data_type: TYPE_FP32, dims: [3] } ]\noutput: [ { name: y, data_type: TYPE_FP32, dims: [3] } ]\n',
    'typed/1/model.ts': TS_MODULE,
  })
  server = await startServer(repo.root)
  url = server.httpUrl
})

afterAll(async () => {
  await server?.close()
  await repo?.dispose()
})

describe('a module that computes', () => {
  it('answers over FP32 and BYTES, batched, with the parameters and context from config.yaml', async () => {
    const res = await infer('calc', [
      { name: 'x', datatype: 'FP32', shape: [2, 2], data: [1, 2, -3, 0.5] },
      text('words', ['hello', 'grüße']),
    ])
    expect(res.status, res.text).toBe(200)
    expect(output(res, 'y')).toEqual({ name: 'y', datatype: 'FP32', shape: [2, 2], data: [3, 5, -5, 2] })
    expect(output(res, 'upper')).toEqual({ name: 'upper', datatype: 'BYTES', shape: [2, 1], data: ['HELLO', 'GRÜSSE'] })
    expect(output(res, 'seen').data).toEqual(['calc|1|8|x:FP32 words:BYTES|object', 'calc|1|8|x:FP32 words:BYTES|object'])
  })

  it('serves overlapping requests one execute at a time, each with its own answer', async () => {
    const all = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      infer('calc', [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [i, -i] }, text('words', [`w${i}`])])))
    for (const [i, res] of all.entries()) {
      expect(res.status, res.text).toBe(200)
      expect(output(res, 'y').data).toEqual([2 * i + 1, -2 * i + 1])
      expect(output(res, 'upper').data).toEqual([`W${i}`])
    }
  })

  it('reports the signature from config.yaml as the model metadata', async () => {
    const res = await getJson(`${url}/v2/models/calc`)
    expect(res.status).toBe(200)
    expect(res.json.platform).toBe('typescript')
    expect(res.json.inputs).toEqual([
      { name: 'x', datatype: 'FP32', shape: [-1, 2] },
      { name: 'words', datatype: 'BYTES', shape: [-1, 1] },
    ])
  })

  it('serves a module written in TypeScript (model.ts through tsx)', async () => {
    const res = await infer('typed', [{ name: 'x', datatype: 'FP32', shape: [3], data: [1, 2, 3] }])
    expect(res.status, res.text).toBe(200)
    expect(output(res, 'y')).toMatchObject({ shape: [3], data: [3, 6, 9] })
  })
})

describe('failures', () => {
  const expectError = (res: { status: number; json: any; text: string }, status: number, code: string, message: RegExp): void => {
    expect(res.status, res.text).toBe(status)
    expect(res.json.code).toBe(code)
    expect(res.json.error).toMatch(message)
  }

  it('an exception in execute fails that request only; the same thread serves the next', async () => {
    const before = output(await say('flaky', 'hi'), 'thread').data[0]
    expectError(await say('flaky', 'throw'), 500, 'INFERD_ERR_BACKEND_FAILED', /model 'flaky' failed during inference: cannot handle "throw"/)
    const after = await say('flaky', 'again')
    expect(after.status, after.text).toBe(200)
    expect(output(after, 'echo').data).toEqual(['again'])
    expect(output(after, 'thread').data[0]).toBe(before)
  })

  it('an output that does not fit config.yaml fails the request with what is wrong', async () => {
    expectError(await say('flaky', 'badcount'), 500, 'INFERD_ERR_BACKEND_FAILED', /output 'echo' with 2 elements; shape \[1, 1\] needs 1/)
    expectError(await say('flaky', 'unknown'), 500, 'INFERD_ERR_BACKEND_FAILED', /output 'extra', which config.yaml does not declare/)
    expect((await say('flaky', 'fine')).status).toBe(200)
  })

  it.each([
    ['process.exit in execute', 'exit', /exit code 3/],
    ['an error thrown from a timer while execute waits', 'late', /uncaught Error: late boom/],
    ['running out of its heap limit', 'oom', /memory/],
  ])('%s: that request fails with BACKEND_CRASHED, a new thread serves the next', async (_, word, reason) => {
    const before = output(await say('flaky', 'hi'), 'thread').data[0]
    expectError(await say('flaky', word), 500, 'INFERD_ERR_BACKEND_CRASHED', reason)
    const after = await say('flaky', 'back')
    expect(after.status, after.text).toBe(200)
    expect(output(after, 'echo').data).toEqual(['back'])
    expect(output(after, 'thread').data[0]).not.toBe(before)
  })

  it('keeps the event loop free while a module blocks its own thread', async () => {
    const flakyDir = join(repo.root, 'flaky', '1')
    const blocked = say('flaky', 'block')
    await waitUntil('the module started blocking', () => existsSync(join(flakyDir, 'started')), (v) => v)
    // The module now spins until 'release' exists, which is written only once the server answered.
    const live = await getJson(`${url}/v2/health/live`)
    expect(live.status).toBe(200)
    const other = await infer('calc', [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [0, 0] }, text('words', ['meanwhile'])])
    expect(output(other, 'upper').data).toEqual(['MEANWHILE'])
    await writeFile(join(flakyDir, 'release'), '')
    const res = await blocked
    expect(res.status, res.text).toBe(200)
    expect(output(res, 'echo').data).toEqual(['released'])
  })

  it('a module whose initialize throws is UNAVAILABLE, with the reason in the index', async () => {
    const index: Array<Record<string, string>> = (await postJson(`${url}/v2/repository/index`, {})).json
    const row = (name: string): Record<string, string> | undefined => index.find((r) => r.name === name)
    expect(row('broken_init')).toMatchObject({ state: 'UNAVAILABLE' })
    expect(row('broken_init')?.reason).toMatch(/initialize failed: weights\.bin is missing/)
    expect(row('no_execute')?.reason).toMatch(/model\.mjs exports no execute function/)
    expect(row('no_outputs')?.reason).toMatch(/list the model's outputs under 'output:'/)
    expect(row('calc')).toMatchObject({ state: 'READY' })
    expectError(await say('broken_init', 'hi'), 503, 'INFERD_ERR_MODEL_NOT_READY', /weights\.bin is missing/)
  })
})

describe('unload', () => {
  it('runs finalize when the server closes', async () => {
    const marker = join(repo.root, 'calc', '1', 'finalized')
    expect(existsSync(marker)).toBe(false)
    await server.close()
    expect(await readFile(marker, 'utf8')).toBe('yes')
  })
})
