import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { InferdServer } from '../../src/server.js'
import { addSubModel, garbageBytes } from '../fixtures/fixture-models.js'
import { postJson } from '../helpers/oip-client.js'
import { startServer } from '../helpers/server.js'
import { addSubBody, offsetOf, TempRepo, waitUntil } from '../helpers/temp-repo.js'

/**
 * A model replaced while clients keep sending requests must fail none of them: the old load
 * serves until the new one is READY, then the new one serves and the old one drains. Each phase
 * runs CLIENTS closed-loop clients (each sends its next request when the previous answered) for
 * a bounded time, changes the model under them, and counts requests and failures. The models
 * are add_sub with an offset per file (OUTPUT0 = INPUT0 + INPUT1 + offset), so each response says
 * which load answered; a client must see the offsets change in order, never back.
 *
 * Requests do not wait for loading models here (modelLoadWaitMs 0): the swap alone must keep
 * every request served, not a wait covering a gap. The counts are printed for the release notes.
 */

const CLIENTS = 6

/** Closed-loop clients against one model, recording each response's offset and every failure. */
class SteadyLoad {
  requests = 0
  readonly failures: string[] = []
  /** Per client, the offsets seen in order (consecutive repeats collapsed). */
  readonly seen: number[][] = Array.from({ length: CLIENTS }, () => [])
  readonly #url: string
  #stopped = false
  readonly #loops: Promise<void>[]

  constructor (url: string) {
    this.#url = url
    this.#loops = this.seen.map((trail) => this.#loop(trail))
  }

  async #loop (trail: number[]): Promise<void> {
    while (!this.#stopped) {
      try {
        const res = await postJson(this.#url, addSubBody(2))
        this.requests++
        const offset = offsetOf(res.json)
        if (res.status !== 200 || offset === undefined) this.failures.push(`${res.status} ${res.text.slice(0, 200)}`)
        else if (trail.at(-1) !== offset) trail.push(offset)
      } catch (err) {
        this.requests++
        this.failures.push(`transport: ${(err as Error).message}`)
      }
    }
  }

  /** Resolves once `n` more requests have been answered (bounded). */
  async more (n: number): Promise<void> {
    const target = this.requests + n
    await waitUntil(`${n} more requests`, () => this.requests, (r) => r >= target, 20_000)
  }

  async stop (): Promise<void> {
    this.#stopped = true
    await Promise.all(this.#loops)
  }
}

/** Every client saw offsets only in the order the test installed them. */
function expectInOrder (load: SteadyLoad, order: readonly number[]): void {
  for (const trail of load.seen) {
    const positions = trail.map((o) => order.indexOf(o))
    expect(positions.every((p) => p >= 0), `unexpected offset in ${JSON.stringify(trail)}`).toBe(true)
    expect(positions, `offsets went back: ${JSON.stringify(trail)}`).toEqual([...positions].sort((a, b) => a - b))
  }
}

describe('reload under load', () => {
  let repo: TempRepo | undefined
  let server: InferdServer | undefined
  let load: SteadyLoad | undefined
  const totals: string[] = []

  afterEach(async () => {
    await load?.stop()
    await server?.close()
    await repo?.dispose()
    load = undefined
    server = undefined
    repo = undefined
  })
  afterAll(() => { console.log(`reload under load, ${CLIENTS} clients:\n  ${totals.join('\n  ')}`) })

  it('poll mode: the model file replaced twice, then a new version folder: zero failed requests', async () => {
    // Inline execution, named: under load, the auto mode's probe measures a busy event loop and
    // may pick worker threads instead (the other test covers those).
    const config = 'max_batch_size: 8\nparameters: { execution_mode: inline }\n'
    repo = await TempRepo.create({ 'm/config.yaml': config, 'm/1/model.onnx': addSubModel('FP32', 1) })
    server = await startServer(repo.root, { modelControlMode: 'poll', repositoryPollSecs: 0.1, modelLoadWaitMs: 0 })
    const url = `${server.httpUrl}/v2/models/m/infer`
    load = new SteadyLoad(url)
    await load.more(50)
    for (const offset of [2, 3]) {
      await repo.put('m/1/model.onnx', addSubModel('FP32', offset))
      await waitUntil(`offset ${offset} served`, async () => offsetOf((await postJson(url, addSubBody())).json), (o) => o === offset)
      await load.more(50)
    }
    await repo.put('m/2/model.onnx', addSubModel('FP32', 10))
    await waitUntil('version 2 served', async () => (await postJson(url, addSubBody())).json.model_version, (v) => v === '2')
    await load.more(50)
    await load.stop()
    totals.push(`poll mode (inline execution; file replaced 2x, version added): ${load.requests} requests, ${load.failures.length} failed`)
    expect(load.failures).toEqual([])
    expectInOrder(load, [1, 2, 3, 10])
    expect(load.seen.some((t) => t.includes(10))).toBe(true)
  })

  it('explicit mode: reloads after file replacements, a config override and a broken file: zero failed requests', async () => {
    // Worker threads this time: retiring an old load drains requests queued for its threads.
    const config = 'max_batch_size: 8\ninstance_group: [{ count: 2, kind: KIND_CPU }]\nparameters: { execution_mode: worker }\n'
    repo = await TempRepo.create({ 'm/config.yaml': config, 'm/1/model.onnx': addSubModel('FP32', 1) })
    server = await startServer(repo.root, { modelControlMode: 'explicit', loadModels: ['m'], modelLoadWaitMs: 0 })
    const base = server.httpUrl
    const url = `${base}/v2/models/m/infer`
    const reload = async (body: unknown = {}): Promise<number> => (await postJson(`${base}/v2/repository/models/m/load`, body)).status
    load = new SteadyLoad(url)
    await load.more(50)
    await repo.put('m/1/model.onnx', addSubModel('FP32', 2))
    expect(await reload()).toBe(200)
    // load answers once the new load serves: the very next request sees it.
    expect(offsetOf((await postJson(url, addSubBody())).json)).toBe(2)
    await load.more(50)
    await repo.put('m/1/model.onnx', garbageBytes())
    expect(await reload()).toBe(500) // refused with the reason; the previous load keeps serving
    await load.more(50)
    await repo.put('m/1/model.onnx', addSubModel('FP32', 3))
    const override = JSON.stringify({ max_batch_size: 4, instance_group: [{ count: 1, kind: 'KIND_CPU' }], parameters: { execution_mode: 'worker' } })
    expect(await reload({ parameters: { config: override } })).toBe(200)
    expect(offsetOf((await postJson(url, addSubBody())).json)).toBe(3)
    await load.more(50)
    await load.stop()
    totals.push(`explicit mode (worker threads; 3 loads, 1 of them failing, 1 with a config override): ${load.requests} requests, ${load.failures.length} failed`)
    expect(load.failures).toEqual([])
    expectInOrder(load, [1, 2, 3])
  })
})
