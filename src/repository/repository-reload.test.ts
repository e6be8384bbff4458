import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { addSubModel, garbageBytes } from '../../test/fixtures/fixture-models.js'
import { OrtTestBackend } from '../../test/helpers/ort-test-backend.js'
import { Cancellation } from '../core/cancellation.js'
import { InferdError } from '../errors/inferd-error.js'
import { parseConfigOverride } from './config-override.js'
import type { ModelStateChange } from './model-state.js'
import type { ModelVersion, VersionHooks } from './model-version.js'
import { ModelRepository, type RepositoryLogger } from './repository.js'

/**
 * Load, reload, unload and poll against real onnxruntime sessions and real files. The models are
 * add/sub with an offset (OUTPUT0 = INPUT0 + INPUT1 + offset), so which load answers is visible
 * in the numbers. Loads in progress are held open with the test backend's `hold()`, never timed.
 */

const quiet: RepositoryLogger = { debug () {}, info () {}, warn () {}, error () {} }

async function put (root: string, path: string, content: string | Uint8Array): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true })
  // Written aside and renamed, as a careful operator (or a deploy tool) replaces a model file.
  const tmp = join(root, `${path}.tmp`)
  await writeFile(tmp, content)
  await rename(tmp, join(root, path))
}

async function offsetOf (model: ModelVersion): Promise<number> {
  const zeros = new Float32Array(16)
  const [out] = await model.session.run([
    { name: 'INPUT0', datatype: 'FP32', shape: [1, 16], data: zeros },
    { name: 'INPUT1', datatype: 'FP32', shape: [1, 16], data: zeros },
  ], ['OUTPUT0'])
  return (out?.data as Float32Array)[0]!
}

function caught (fn: () => unknown): InferdError {
  try { fn() } catch (err) { return err as InferdError }
  throw new Error('expected a throw')
}

/** Hooks that only record what happened, in order. */
function recordingHooks (log: string[]): VersionHooks {
  return {
    async prepare (v) { log.push(`prepare ${v.name}/${v.version}`) },
    async retire (v) { log.push(`retire ${v.name}/${v.version}`) },
  }
}

describe('ModelRepository: explicit load, reload and unload', () => {
  let root: string
  let backend: OrtTestBackend
  let repo: ModelRepository
  const hookLog: string[] = []
  const events: ModelStateChange[] = []

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'inferd-reload-'))
    await put(root, 'a/1/model.onnx', addSubModel('FP32', 0))
    await put(root, 'a/config.yaml', 'max_batch_size: 8\n')
    backend = new OrtTestBackend()
    hookLog.length = 0
    events.length = 0
    repo = new ModelRepository({ root, backends: () => backend, defaultMaxBatchSize: 8, logger: quiet, hooks: recordingHooks(hookLog) })
    repo.on('state', (c) => events.push(c))
  })
  afterEach(async () => {
    await repo.close()
    await rm(root, { recursive: true, force: true })
  })

  it('loads on request, and a load of an unchanged model reopens nothing', async () => {
    await repo.scan()
    expect(repo.list()).toEqual([{ name: 'a', state: 'UNAVAILABLE', reason: 'not loaded' }])
    await repo.load('a')
    const first = repo.get('a')
    expect(await offsetOf(first)).toBe(0)
    await repo.load('a')
    expect(repo.get('a')).toBe(first)
    expect(backend.opened).toBe(1)
  })

  it('reloads a replaced model file beside the old one, swaps once ready, then retires the old', async () => {
    await repo.load('a')
    const old = repo.get('a')
    await put(root, 'a/1/model.onnx', addSubModel('FP32', 5))
    const release = backend.hold()
    const reloading = repo.load('a')
    await until(() => backend.started === 2)
    // The new load is being opened: the old one still serves, READY all along.
    expect(repo.get('a')).toBe(old)
    expect(repo.list()).toEqual([{ name: 'a', version: '1', state: 'READY', reason: '' }])
    release()
    await reloading
    const next = repo.get('a')
    expect(next).not.toBe(old)
    expect(await offsetOf(next)).toBe(5)
    expect(hookLog).toEqual(['prepare a/1', 'prepare a/1', 'retire a/1'])
    expect(backend.closed).toBe(1) // the old session
    expect(events.map((e) => e.state)).toEqual(['LOADING', 'READY', 'READY'])
  })

  it('always reloads with a config override, and keeps serving when the override is refused', async () => {
    await repo.load('a')
    const old = repo.get('a')
    await repo.load('a', parseConfigOverride('a', '{"max_batch_size": 4}'))
    const overridden = repo.get('a')
    expect(overridden).not.toBe(old)
    expect(overridden.signature.maxBatchSize).toBe(4)

    const bad = parseConfigOverride('a', JSON.stringify({ input: [{ name: 'INPUT0', data_type: 'TYPE_INT32', dims: [16] }] }))
    const err = await repo.load('a', bad).then(() => undefined, (e: unknown) => e as InferdError)
    expect(err?.code).toBe('INFERD_ERR_MODEL_CONFIG_INVALID')
    expect(err?.message).toContain("input 'INPUT0' data_type: config says TYPE_INT32")
    expect(repo.get('a')).toBe(overridden)
    const [row] = repo.list()
    expect(row).toMatchObject({ name: 'a', version: '1', state: 'READY' })
    expect(row?.reason).toMatch(/^reload failed, the previous load still serves: .*TYPE_INT32/)

    // Back to the file's config: a load without override reopens.
    await repo.load('a')
    expect(repo.get('a').signature.maxBatchSize).toBe(8)
    expect(repo.list()[0]?.reason).toBe('')
  })

  it('keeps the old load when the replacement file is broken, and says why', async () => {
    await repo.load('a')
    const old = repo.get('a')
    await put(root, 'a/1/model.onnx', garbageBytes())
    await expect(repo.load('a')).rejects.toMatchObject({ code: 'INFERD_ERR_MODEL_LOAD_FAILED' })
    expect(repo.get('a')).toBe(old)
    expect(repo.list()[0]?.reason).toMatch(/^reload failed, the previous load still serves: model 'a' version 1 failed to load/)
  })

  it('unloads: new requests are refused, the session closes, and it can load again', async () => {
    await repo.load('a')
    await repo.unload('a')
    expect(repo.list()).toEqual([{ name: 'a', version: '1', state: 'UNAVAILABLE', reason: 'unloaded' }])
    expect(caught(() => repo.get('a')).code).toBe('INFERD_ERR_MODEL_NOT_READY')
    expect(backend.closed).toBe(1)
    expect(hookLog).toEqual(['prepare a/1', 'retire a/1'])
    await repo.unload('a') // not loaded: nothing to do, no error
    await repo.load('a')
    expect(await offsetOf(repo.get('a'))).toBe(0)
  })

  it('refuses models the repository does not have, and finds folders added after start-up', async () => {
    await expect(repo.load('nope')).rejects.toMatchObject({ code: 'INFERD_ERR_MODEL_NOT_FOUND' })
    await expect(repo.unload('nope')).rejects.toMatchObject({ code: 'INFERD_ERR_MODEL_NOT_FOUND' })
    await put(root, 'b/1/model.onnx', addSubModel('FP32', 2))
    await repo.load('b')
    expect(await offsetOf(repo.get('b'))).toBe(2)
    expect((await repo.index({ ready: true })).map((r) => r.name)).toEqual(['b'])
  })

  it('runs the operations on one model one at a time, in call order', async () => {
    const release = backend.hold()
    const both = Promise.all([repo.load('a'), repo.unload('a'), repo.load('a')])
    await until(() => backend.started === 1)
    release()
    await both
    expect(events.map((e) => e.state)).toEqual(['LOADING', 'READY', 'UNLOADING', 'UNAVAILABLE', 'LOADING', 'READY'])
    expect(repo.get('a').version).toBe('1')
  })

  it('lets requests wait for a model that is loading, and only then', async () => {
    await repo.scan()
    // Not loading: no wait, the reason at once.
    await expect(repo.whenReady('a', undefined, { waitMs: 60_000 })).rejects.toMatchObject({ code: 'INFERD_ERR_MODEL_NOT_READY' })
    await expect(repo.whenReady('nope', undefined, { waitMs: 60_000 })).rejects.toMatchObject({ code: 'INFERD_ERR_MODEL_NOT_FOUND' })

    const release = backend.hold()
    const loading = repo.load('a')
    expect(() => repo.check('a')).not.toThrow() // loading: passes, the request may wait
    const waiting = repo.whenReady('a', undefined, { waitMs: 60_000 })
    const cancellation = new Cancellation()
    const cancelled = repo.whenReady('a', '1', { waitMs: 60_000, signal: cancellation })
    await expect(repo.whenReady('a', undefined, { waitMs: 0 })).rejects.toMatchObject({ code: 'INFERD_ERR_MODEL_NOT_READY' })
    cancellation.cancel()
    await expect(cancelled).rejects.toMatchObject({ code: 'INFERD_ERR_REQUEST_CANCELLED' })
    release()
    await waiting
    expect(repo.get('a').state).toBe('READY')
    await loading
  })
})

describe('ModelRepository: polling', () => {
  let root: string
  let backend: OrtTestBackend
  let repo: ModelRepository

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'inferd-poll-'))
    await put(root, 'm/1/model.onnx', addSubModel('FP32', 1))
    await put(root, 'gone/1/model.onnx', addSubModel('FP32', 0))
    backend = new OrtTestBackend()
    repo = new ModelRepository({ root, backends: () => backend, defaultMaxBatchSize: 8, logger: quiet })
    await repo.loadAll()
  })
  afterEach(async () => {
    await repo.close()
    await rm(root, { recursive: true, force: true })
  })

  it('does nothing when nothing changed', async () => {
    await repo.poll()
    expect(backend.started).toBe(2)
  })

  it('serves a new version folder once it is ready, then retires the one the policy drops', async () => {
    const v1 = repo.get('m')
    await put(root, 'm/2/model.onnx', addSubModel('FP32', 2))
    await repo.poll()
    expect(repo.get('m').version).toBe('2')
    expect(await offsetOf(repo.get('m'))).toBe(2)
    expect(repo.list().filter((r) => r.name === 'm')).toEqual([{ name: 'm', version: '2', state: 'READY', reason: '' }])
    expect(caught(() => repo.get('m', '1')).code).toBe('INFERD_ERR_MODEL_VERSION_NOT_FOUND')
    await expect(v1.session.run([], [])).rejects.toThrow() // closed
  })

  it('keeps serving the old version while a broken new one fails, and moves on once it is fixed', async () => {
    await put(root, 'm/2/model.onnx', garbageBytes())
    await repo.poll()
    expect(repo.get('m').version).toBe('1')
    const rows = repo.list().filter((r) => r.name === 'm')
    expect(rows.map((r) => `${r.version}:${r.state}`)).toEqual(['1:READY', '2:UNAVAILABLE'])
    expect(rows[0]?.reason).toMatch(/^kept serving: no longer selected, but a newer load failed/)
    expect(rows[1]?.reason).toMatch(/^model 'm' version 2 failed to load/)

    await repo.poll() // unchanged: the failure is not retried on every poll
    expect(backend.started).toBe(3)

    await put(root, 'm/2/model.onnx', addSubModel('FP32', 2))
    await repo.poll()
    expect(repo.list().filter((r) => r.name === 'm')).toEqual([{ name: 'm', version: '2', state: 'READY', reason: '' }])
  })

  it('reloads every version when the config changes, and retires a removed version folder', async () => {
    await put(root, 'm/config.yaml', 'max_batch_size: 2\nversion_policy: { all: {} }\n')
    await put(root, 'm/2/model.onnx', addSubModel('FP32', 2))
    await repo.poll()
    expect(repo.list().filter((r) => r.name === 'm').map((r) => `${r.version}:${r.state}`)).toEqual(['1:READY', '2:READY'])
    expect(repo.get('m', '1').signature.maxBatchSize).toBe(2)
    await rm(join(root, 'm', '2'), { recursive: true })
    await repo.poll()
    expect(repo.list().filter((r) => r.name === 'm').map((r) => `${r.version}:${r.state}`)).toEqual(['1:READY'])
  })

  it('loads a new model folder and unloads a removed one', async () => {
    const gone = repo.get('gone')
    await rm(join(root, 'gone'), { recursive: true })
    await put(root, 'fresh/1/model.onnx', addSubModel('FP32', 7))
    await repo.poll()
    expect(caught(() => repo.get('gone')).code).toBe('INFERD_ERR_MODEL_NOT_FOUND')
    await expect(gone.session.run([], [])).rejects.toThrow()
    expect(await offsetOf(repo.get('fresh'))).toBe(7)
  })
})

/** Resolves once `cond` holds (checked every few ms; bounded at 10 s). */
async function until (cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
