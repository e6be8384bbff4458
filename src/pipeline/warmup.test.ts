import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { identityModel } from '../../test/fixtures/fixture-models.js'
import { defaultBackends } from '../backends/registry.js'
import { ModelRepository } from '../repository/repository.js'
import { SchedulerRegistry } from '../scheduler/scheduler-registry.js'
import { WarmupHooks } from './warmup.js'

/**
 * Warmup through the real pieces: the ONNX backend, the repository, the scheduler registry and
 * its instances (inline and worker threads). What proves that warmup ran before READY: at the
 * moment a version's 'state' event says READY, its scheduler has already executed every warmup
 * request (the scheduler's own counters).
 */

const WARM = `max_batch_size: 8
parameters: { execution_mode: %MODE% }
model_warmup:
  - { name: zeros, batch_size: 2, count: 2, inputs: { INPUT0: { data_type: TYPE_FP32, dims: [4], zero_data: true } } }
  - { name: noise, inputs: { INPUT0: { data_type: TYPE_FP32, dims: [4], random_data: true } } }
  - { name: sample, batch_size: 8, inputs: { INPUT0: { data_type: TYPE_FP32, dims: [4], input_data_file: sample.bin } } }
`

async function put (root: string, path: string, content: string | Uint8Array): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true })
  await writeFile(join(root, path), content)
}

describe('WarmupHooks', () => {
  let root: string
  let repo: ModelRepository
  const schedulers = new SchedulerRegistry({ info () {}, warn () {} }, 'auto')
  const logs: Array<{ obj: object; msg: string | undefined }> = []
  /** Warmup requests each version's scheduler had executed when it turned READY. */
  const atReady = new Map<string, number>()

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'inferd-warm-'))
    const model = identityModel('FP32')
    for (const mode of ['inline', 'worker']) {
      await put(root, `warm_${mode}/config.yaml`, WARM.replace('%MODE%', mode))
      await put(root, `warm_${mode}/1/model.onnx`, model)
      await put(root, `warm_${mode}/warmup/sample.bin`, Buffer.from(Float32Array.from([1, 2, 3, 4]).buffer))
    }
    await put(root, 'missing_file/config.yaml', 'max_batch_size: 8\nmodel_warmup: [{ name: gone, inputs: { INPUT0: { data_type: TYPE_FP32, dims: [4], input_data_file: gone.bin } } }]\n')
    await put(root, 'missing_file/1/model.onnx', model)
    await put(root, 'wrong_dims/config.yaml', 'max_batch_size: 8\nmodel_warmup: [{ name: wide, inputs: { INPUT0: { data_type: TYPE_FP32, dims: [5], zero_data: true } } }]\n')
    await put(root, 'wrong_dims/1/model.onnx', model)
    const log = (obj: object, msg?: string): void => { logs.push({ obj, msg }) }
    const backends = defaultBackends()
    repo = new ModelRepository({
      root,
      backends: (name) => backends.get(name),
      defaultMaxBatchSize: 8,
      logger: { debug () {}, info: log, warn: log, error: log },
      hooks: new WarmupHooks(schedulers, { info: log, warn: log }),
    })
    repo.on('state', (change) => {
      if (change.state !== 'READY') return
      const runtime = schedulers.get(repo.get(change.name, change.version))
      atReady.set(change.name, runtime?.scheduler.requests ?? -1)
    })
    await repo.loadAll()
  })
  afterAll(async () => {
    await repo.close()
    await rm(root, { recursive: true, force: true })
  })

  it.each(['inline', 'worker'])('runs every sample, count times, through the %s scheduler before READY', (mode) => {
    expect(repo.list().find((r) => r.name === `warm_${mode}`)).toEqual({ name: `warm_${mode}`, version: '1', state: 'READY', reason: '' })
    expect(atReady.get(`warm_${mode}`)).toBe(2 + 1 + 1)
    const runtime = schedulers.get(repo.get(`warm_${mode}`))
    expect(runtime?.mode.mode).toBe(mode)
    expect(runtime?.scheduler.rows).toBe(2 * 2 + 1 + 8)
    const line = logs.find((l) => (l.obj as { model?: string; warmupMs?: number }).model === `warm_${mode}` && l.msg?.includes('warmed up'))
    expect(line?.obj).toMatchObject({ samples: 3, runs: 4 })
  })

  it('makes a version whose warmup fails UNAVAILABLE, with the sample and the reason', () => {
    const reason = (name: string): string | undefined => repo.list().find((r) => r.name === name)?.reason
    expect(repo.list().filter((r) => r.state !== 'READY').map((r) => r.name)).toEqual(['missing_file', 'wrong_dims'])
    expect(reason('missing_file')).toBe("model 'missing_file' version 1 failed to load: model_warmup 'gone': input 'INPUT0': cannot read warmup/gone.bin: no such file")
    expect(reason('wrong_dims')).toMatch(/^model 'wrong_dims' version 1 failed to load: model_warmup 'wide': input 'INPUT0': shape \[1,5\] does not match the model's \[-1,4\]$/)
    expect(atReady.has('missing_file')).toBe(false)
  })
})
