import { execFileSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InferdServer } from '../../src/server.js'
import { identityModel } from '../fixtures/fixture-models.js'
import { postJson } from '../helpers/oip-client.js'
import { startServer } from '../helpers/server.js'
import { TempRepo, waitUntil } from '../helpers/temp-repo.js'

/**
 * Warmup and waiting, as a client sees them: a request sent while its model loads (here: while
 * its warmup runs) waits and succeeds; one whose `timeout` parameter runs out first gets 503 with
 * the state; a model whose warmup fails is UNAVAILABLE with the reason.
 *
 * Holding a load in progress without timing anything: the model's warmup sample is read from a
 * named pipe (`mkfifo`), and reading a pipe blocks until someone writes it. The load stays in
 * warmup, LOADING, until the test writes the sample; nothing here depends on how fast anything is.
 */

const WARM_CONFIG = `max_batch_size: 8
parameters: { execution_mode: inline }
model_warmup:
  - { name: zeros, batch_size: 4, inputs: { INPUT0: { data_type: TYPE_FP32, dims: [4], zero_data: true } } }
  - { name: from_pipe, inputs: { INPUT0: { data_type: TYPE_FP32, dims: [4], input_data_file: sample.pipe } } }
`

const identityBody = (values: number[], parameters?: Record<string, unknown>): Record<string, unknown> => ({
  inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 4], data: values }],
  ...(parameters === undefined ? {} : { parameters }),
})

describe.skipIf(process.platform === 'win32')('warmup and requests waiting for a loading model', () => {
  let repo: TempRepo
  let server: InferdServer
  let url: string
  let loadStarted = false
  let released = false
  const release = async (): Promise<void> => {
    released = true
    await writeFile(join(repo.root, 'warm', 'warmup', 'sample.pipe'), Buffer.from(Float32Array.from([4, 3, 2, 1]).buffer))
  }
  const state = async (model: string): Promise<string> =>
    (await postJson(`${url}/v2/repository/index`, {})).json.filter((r: { name: string }) => r.name === model).map((r: { version?: string; state: string }) => `${r.version ?? '-'}:${r.state}`).join()

  beforeAll(async () => {
    repo = await TempRepo.create({
      'warm/config.yaml': WARM_CONFIG,
      'warm/1/model.onnx': identityModel('FP32'),
      'cold/config.yaml': 'max_batch_size: 8\nmodel_warmup: [{ name: bad, inputs: { INPUT0: { data_type: TYPE_INT32, dims: [4], zero_data: true } } }]\n',
      'cold/1/model.onnx': identityModel('FP32'),
    })
    await mkdir(join(repo.root, 'warm', 'warmup'))
    execFileSync('mkfifo', [join(repo.root, 'warm', 'warmup', 'sample.pipe')])
    server = await startServer(repo.root, { modelControlMode: 'explicit' })
    url = server.httpUrl
  })
  afterAll(async () => {
    // A failed test must not leave the load blocked on the pipe (close() would wait for it).
    if (loadStarted && !released) await release()
    await server?.close()
    await repo?.dispose()
  })

  it('a request sent while the model warms up waits, then succeeds; one with a short timeout gets the state', async () => {
    const loading = postJson(`${url}/v2/repository/models/warm/load`, {})
    loadStarted = true
    await waitUntil('warm LOADING', () => state('warm'), (s) => s === '1:LOADING')
    const waiting = postJson(`${url}/v2/models/warm/infer`, identityBody([1, 2, 3, 4]))
    // A request whose timeout (µs) runs out while the model still loads: 503, not ready, loading.
    const impatient = await postJson(`${url}/v2/models/warm/infer`, identityBody([1, 2, 3, 4], { timeout: 1000 }))
    expect(impatient.status, impatient.text).toBe(503)
    expect(impatient.json.code).toBe('INFERD_ERR_MODEL_NOT_READY')
    expect(impatient.json.error).toMatch(/model 'warm' version 1 is not ready: loading/)
    expect(await state('warm')).toBe('1:LOADING')
    // Release the warmup: write the sample into the pipe.
    await release()
    const loaded = await loading
    expect(loaded.status, loaded.text).toBe(200)
    const answered = await waiting
    expect(answered.status, answered.text).toBe(200)
    expect(answered.json.outputs[0].data).toEqual([1, 2, 3, 4])
    expect(await state('warm')).toBe('1:READY')
  })

  it('a model whose warmup fails is UNAVAILABLE with the reason, and requests are refused at once', async () => {
    const res = await postJson(`${url}/v2/repository/models/cold/load`, {})
    expect(res.status, res.text).toBe(500)
    expect(res.json.code).toBe('INFERD_ERR_MODEL_LOAD_FAILED')
    expect(res.json.error).toMatch(/model_warmup 'bad': input 'INPUT0': datatype INT32 does not match the model's FP32/)
    expect(await state('cold')).toBe('1:UNAVAILABLE')
    const refused = await postJson(`${url}/v2/models/cold/infer`, identityBody([1, 2, 3, 4]))
    expect(refused.status).toBe(503)
    expect(refused.json.error).toMatch(/model_warmup 'bad'/)
  })
})
