import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ModelBuilder } from '../../scripts/onnx/builder.js'
import { OrtTestBackend } from '../../test/helpers/ort-test-backend.js'
import { InferdError } from '../errors/inferd-error.js'
import type { ModelStateChange } from './model-state.js'
import { ModelRepository, type RepositoryLogger } from './repository.js'

/**
 * The repository against real onnxruntime sessions. The backend is a test helper that opens
 * files with onnxruntime-node directly (not the project's ONNX backend, so that this test depends
 * only on the Backend contract) and counts the sessions it closes.
 */

/** Identity over float32 with a symbolic batch dimension: x f32[batch,4] → y f32[batch,4]. */
function identity (shape: ReadonlyArray<number | string> = ['batch', 4]): Uint8Array {
  return new ModelBuilder().input('x', 'FP32', shape).output('y', 'FP32', shape).node('Identity', ['x'], ['y']).toBytes()
}

async function put (root: string, path: string, content: string | Uint8Array): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true })
  await writeFile(join(root, path), content)
}

function silentLogger (): RepositoryLogger & { lines: Array<{ level: string; obj: object; msg: string | undefined }> } {
  const lines: Array<{ level: string; obj: object; msg: string | undefined }> = []
  const at = (level: string) => (obj: object, msg?: string) => { lines.push({ level, obj, msg }) }
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

function caught (fn: () => unknown): InferdError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(InferdError)
    return err as InferdError
  }
  throw new Error('expected a throw')
}

describe('ModelRepository', () => {
  let root: string
  let backend: OrtTestBackend
  let repo: ModelRepository
  const events: ModelStateChange[] = []
  const logger = silentLogger()

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'inferd-repo-'))
    await put(root, 'ident/1/model.onnx', identity())
    await put(root, 'ident/2/model.onnx', identity())
    await put(root, 'ident/labels/readme.txt', 'not a version folder')
    await put(root, 'allv/config.yaml', 'version_policy: { all: {} }\n')
    await put(root, 'allv/1/model.onnx', identity())
    await put(root, 'allv/3/model.onnx', identity())
    await put(root, 'specific/config.yaml', 'version_policy: { specific: { versions: [1, 2] } }\n')
    await put(root, 'specific/1/model.onnx', identity())
    await put(root, 'badconfig/config.yaml', 'input: [{ name: x, data_typ: TYPE_FP32 }]\n')
    await put(root, 'badconfig/1/model.onnx', identity())
    await put(root, 'badfile/1/model.onnx', 'this is not an onnx model')
    await mkdir(join(root, 'nofile/1'), { recursive: true })
    await put(root, 'mismatch/config.yaml', 'input: [{ name: x, data_type: TYPE_INT32 }]\n')
    await put(root, 'mismatch/1/model.onnx', identity())
    await put(root, 'fixed/config.yaml', 'max_batch_size: 8\n')
    await put(root, 'fixed/1/model.onnx', identity([1, 4]))
    await put(root, 'labelled/config.yaml', 'max_batch_size: 4\noutput: [{ name: y, label_filename: labels.txt }]\n')
    await put(root, 'labelled/labels.txt', 'cat\ndog\nbird\nfish\n')
    await put(root, 'labelled/1/model.onnx', identity())
    await put(root, 'renamed/config.yaml', 'default_model_filename: net.onnx\n')
    await put(root, 'renamed/1/net.onnx', identity())
    await put(root, 'tf/config.yaml', 'platform: tensorflow_savedmodel\n')
    await put(root, 'tf/1/model.savedmodel/saved_model.pb', 'x')
    await put(root, '.hidden/1/model.onnx', identity())
    await put(root, 'docs/README.md', 'not a model')

    backend = new OrtTestBackend()
    repo = new ModelRepository({ root, backends: (name) => (name === 'onnxruntime' ? backend : undefined), defaultMaxBatchSize: 256, logger })
    repo.on('state', (change) => events.push(change))
    repo.on('state', () => { throw new Error('a faulty listener') })
    await repo.loadAll()
  })

  afterAll(async () => {
    await repo.close()
    await rm(root, { recursive: true, force: true })
  })

  it('indexes every model and version with its state, ignoring non-models', () => {
    const index = repo.list().map((e) => `${e.name}:${e.version ?? '-'}:${e.state}`)
    expect(index).toEqual([
      'allv:1:READY', 'allv:3:READY',
      'badconfig:-:UNAVAILABLE',
      'badfile:1:UNAVAILABLE',
      'fixed:1:UNAVAILABLE',
      'ident:2:READY',
      'labelled:1:READY',
      'mismatch:1:UNAVAILABLE',
      'nofile:1:UNAVAILABLE',
      'renamed:1:READY',
      'specific:1:READY', 'specific:2:UNAVAILABLE',
      'tf:-:UNAVAILABLE',
    ])
    expect(logger.lines.some((l) => l.level === 'debug' && (l.obj as { model?: string }).model === 'docs')).toBe(true)
  })

  it('gives the reason of each failure', () => {
    const reason = (name: string, version?: string): string =>
      repo.list().find((e) => e.name === name && e.version === version)?.reason ?? '(no entry)'
    expect(reason('badconfig')).toContain("input[0].data_typ: unknown field 'data_typ' (did you mean 'data_type'?)")
    expect(reason('badconfig')).toContain(join(root, 'badconfig', 'config.yaml'))
    expect(reason('badfile', '1')).toMatch(/^model 'badfile' version 1 failed to load: /)
    expect(reason('nofile', '1')).toBe(`model 'nofile' version 1 failed to load: model file ${join('nofile', '1', 'model.onnx')} not found`)
    expect(reason('mismatch', '1')).toBe("model 'mismatch': input 'x' data_type: config says TYPE_INT32, the model says TYPE_FP32")
    expect(reason('fixed', '1')).toContain("max_batch_size 8 but input 'x' has fixed first dimension 1")
    expect(reason('specific', '2')).toBe('version 2 is named by version_policy.specific but has no folder')
    expect(reason('tf')).toContain("platform 'tensorflow_savedmodel' is not served")
    expect(reason('ident', '2')).toBe('')
  })

  it('serves the highest READY version by default, and a version by number', () => {
    expect(repo.get('allv').version).toBe('3')
    expect(repo.get('allv', '1').version).toBe('1')
    expect(repo.get('ident', '').version).toBe('2')
    expect(repo.get('specific').version).toBe('1')
  })

  it('completes the config from the model', () => {
    const model = repo.get('ident')
    expect(model.state).toBe('READY')
    expect(model.signature).toEqual({
      maxBatchSize: 256,
      inputs: [{ name: 'x', datatype: 'FP32', dims: [4] }],
      outputs: [{ name: 'y', datatype: 'FP32', dims: [4] }],
    })
    expect(model.config.platform).toBe('onnxruntime_onnx')
    expect(model.path).toBe(join(root, 'ident', '2', 'model.onnx'))
    expect(repo.get('renamed').path).toBe(join(root, 'renamed', '1', 'net.onnx'))
    expect(repo.get('labelled').labels.get('y')).toEqual(['cat', 'dog', 'bird', 'fish'])
  })

  it('hands out a session that runs', async () => {
    const model = repo.get('ident')
    const data = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8])
    const [y] = await model.session.run([{ name: 'x', datatype: 'FP32', shape: [2, 4], data }], ['y'])
    expect(y?.shape).toEqual([2, 4])
    expect([...(y?.data as Float32Array)]).toEqual([...data])
  })

  it('refuses unknown models and versions, and versions that are not ready', () => {
    expect(caught(() => repo.get('nope')).code).toBe('INFERD_ERR_MODEL_NOT_FOUND')
    expect(caught(() => repo.get('ident', '1')).code).toBe('INFERD_ERR_MODEL_VERSION_NOT_FOUND')
    expect(caught(() => repo.get('ident', 'one')).code).toBe('INFERD_ERR_MODEL_VERSION_NOT_FOUND')
    const notReady = caught(() => repo.get('mismatch'))
    expect(notReady.code).toBe('INFERD_ERR_MODEL_NOT_READY')
    expect(notReady.message).toContain("model 'mismatch' version 1 is not ready: model 'mismatch': input 'x' data_type")
    expect(caught(() => repo.get('specific', '2')).code).toBe('INFERD_ERR_MODEL_NOT_READY')
    expect(caught(() => repo.get('badconfig')).message).toContain('unknown field')
    expect(caught(() => repo.get('badconfig', '1')).code).toBe('INFERD_ERR_MODEL_NOT_READY')
  })

  it('reports each state change, and a throwing listener does not stop loading', () => {
    const of = (name: string, version?: string): string[] =>
      events.filter((e) => e.name === name && e.version === version).map((e) => e.state)
    expect(of('ident', '2')).toEqual(['LOADING', 'READY'])
    expect(of('ident', '1')).toEqual([])
    expect(of('mismatch', '1')).toEqual(['LOADING', 'UNAVAILABLE'])
    expect(of('badconfig')).toEqual(['UNAVAILABLE'])
    expect(logger.lines.filter((l) => l.msg === "a 'state' listener threw").length).toBeGreaterThan(0)
  })

  it('closes the session of a version that opened but failed completion', () => {
    // mismatch/1 and fixed/1 opened, then their configs were refused.
    expect(backend.closed).toBe(2)
  })
})

describe('ModelRepository roots and shutdown', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inferd-single-'))
    await put(dir, 'tiny.onnx', identity())
    await put(dir, 'repo/a/1/model.onnx', identity())
    await put(dir, 'repo/b/1/model.onnx', identity([1, 4]))
  })
  afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

  it('serves a single .onnx file as one model, version 1', async () => {
    const backend = new OrtTestBackend()
    const repo = new ModelRepository({ root: join(dir, 'tiny.onnx'), backends: () => backend, defaultMaxBatchSize: 16, logger: silentLogger() })
    await repo.loadAll()
    expect(repo.list()).toEqual([{ name: 'tiny', version: '1', state: 'READY', reason: '' }])
    expect(repo.get('tiny').signature.maxBatchSize).toBe(16)
    await repo.close()
  })

  it('refuses a root that does not exist or is not a model', async () => {
    const missing = new ModelRepository({ root: join(dir, 'none'), backends: () => undefined, defaultMaxBatchSize: 0, logger: silentLogger() })
    await expect(missing.loadAll()).rejects.toMatchObject({ code: 'INFERD_ERR_REPOSITORY_INVALID' })
    await put(dir, 'notes.txt', 'x')
    const text = new ModelRepository({ root: join(dir, 'notes.txt'), backends: () => undefined, defaultMaxBatchSize: 0, logger: silentLogger() })
    await expect(text.loadAll()).rejects.toThrow(/is neither a folder nor a model file/)
  })

  it('lists scanned models as not loaded before loading', async () => {
    const repo = new ModelRepository({ root: join(dir, 'repo'), backends: () => undefined, defaultMaxBatchSize: 0, logger: silentLogger() })
    expect(await repo.scan()).toEqual(['a', 'b'])
    expect(repo.list()).toEqual([
      { name: 'a', state: 'UNAVAILABLE', reason: 'not loaded' },
      { name: 'b', state: 'UNAVAILABLE', reason: 'not loaded' },
    ])
    expect(caught(() => repo.get('a')).code).toBe('INFERD_ERR_MODEL_NOT_READY')
  })

  it('closes every session once, even when close() is called twice', async () => {
    const backend = new OrtTestBackend()
    const repo = new ModelRepository({ root: join(dir, 'repo'), backends: () => backend, defaultMaxBatchSize: 8, logger: silentLogger(), loadConcurrency: 1 })
    const seen: string[] = []
    repo.on('state', (c) => seen.push(`${c.name}:${c.state}`))
    await repo.loadAll()
    expect(repo.get('a').signature.maxBatchSize).toBe(8)
    expect(repo.get('b').signature.maxBatchSize).toBe(0)
    await Promise.all([repo.close(), repo.close()])
    expect(backend.opened).toBe(2)
    expect(backend.closed).toBe(2)
    expect(repo.list().map((e) => `${e.name}:${e.state}:${e.reason}`)).toEqual(['a:UNAVAILABLE:unloaded', 'b:UNAVAILABLE:unloaded'])
    expect(seen).toEqual(['a:LOADING', 'a:READY', 'b:LOADING', 'b:READY', 'a:UNLOADING', 'a:UNAVAILABLE', 'b:UNLOADING', 'b:UNAVAILABLE'])
    expect(caught(() => repo.get('a')).code).toBe('INFERD_ERR_MODEL_NOT_READY')
    await expect(repo.loadAll()).rejects.toMatchObject({ code: 'INFERD_ERR_SHUTTING_DOWN' })
  })

  it('closes what a load in flight opens when close() wins the race', async () => {
    const backend = new OrtTestBackend()
    const repo = new ModelRepository({ root: join(dir, 'repo'), backends: () => backend, defaultMaxBatchSize: 8, logger: silentLogger(), loadConcurrency: 1 })
    let closing: Promise<void> | undefined
    repo.on('state', (c) => { if (c.state === 'LOADING') closing ??= repo.close() })
    await repo.loadAll()
    await closing
    expect(backend.opened).toBe(1)
    expect(backend.closed).toBe(1)
    expect(repo.list()).toEqual([
      { name: 'a', version: '1', state: 'UNAVAILABLE', reason: 'repository closed' },
      { name: 'b', state: 'UNAVAILABLE', reason: 'not loaded' },
    ])
  })
})
