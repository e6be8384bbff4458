import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setupImageClassifier } from '../../scripts/examples/image-classifier.js'
import { EXAMPLES_DIR } from '../../scripts/paths.js'
import { preprocessImage } from '../../src/pipeline/processors/image.js'
import { createServer, type InferdServer } from '../../src/server.js'
import { getJson, postJson } from '../helpers/oip-client.js'
import { renderPencilSketch, renderSmiley } from '../helpers/render-drawing.js'
import { TempRepo } from '../helpers/temp-repo.js'

/**
 * The TF.js image classifier example served by a real inferd over HTTP, from a repository holding
 * only that model (its config.yaml, labels.txt and extracted model files): metadata from the
 * model's own signature, and images classified through Triton's classification extension. The
 * server's log shows where the model computes: in a worker thread, off the event loop.
 */

const MODEL = 'image_classifier'
let repo: TempRepo
let server: InferdServer
const logLines: Record<string, unknown>[] = []

beforeAll(async () => {
  const source = join(EXAMPLES_DIR, MODEL)
  await setupImageClassifier(source)
  const files: Record<string, Uint8Array | string> = {
    'image_classifier/config.yaml': await readFile(join(source, 'config.yaml'), 'utf8'),
    'image_classifier/labels.txt': await readFile(join(source, 'labels.txt'), 'utf8'),
  }
  for (const f of await readdir(join(source, '1'))) files[`image_classifier/1/${f}`] = await readFile(join(source, '1', f))
  repo = await TempRepo.create(files)
  const sink = new Writable({ write (chunk, _enc, done) { logLines.push(JSON.parse(String(chunk)) as Record<string, unknown>); done() } })
  server = createServer({ modelRepository: repo.root, host: '127.0.0.1', httpPort: 0, grpcPort: 0 }, { logger: pino({ level: 'info' }, sink) })
  await server.start()
})
afterAll(async () => {
  await server?.close()
  await repo?.dispose()
})

/** The FP32 input nsfwjs would feed the model: 224×224 RGB, NHWC, values / 255. */
async function inputOf (pngs: Uint8Array[]): Promise<number[]> {
  const out: number[] = []
  for (const png of pngs) {
    for (const v of (await preprocessImage(png, { width: 224, height: 224, layout: 'NHWC', scale: 1 / 255 }, 'input:0')).data) out.push(v)
  }
  return out
}

describe('image_classifier (TF.js graph model) over HTTP', () => {
  it('reports the signature read from model.json and the tensorflowjs platform', async () => {
    const res = await getJson(`${server.httpUrl}/v2/models/${MODEL}`)
    expect(res.status).toBe(200)
    // The config's pipeline makes the image the face; the model's own tensors are listed beside it.
    expect(res.json).toMatchObject({
      name: MODEL,
      platform: 'tensorflowjs_graphmodel',
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [-1] }],
      pipeline: {
        model_inputs: [{ name: 'input:0', datatype: 'FP32', shape: [-1, 224, 224, 3] }],
        model_outputs: [{ name: 'Identity:0', datatype: 'FP32', shape: [-1, 5] }],
      },
    })
  })

  it('computes in a worker thread, as the scheduler chose when it measured the model', () => {
    const line = logLines.find((l) => l.model === MODEL && 'execution' in l)
    expect(line).toMatchObject({ execution: 'worker' })
  })

  it('labels a pencil sketch Drawing and a cartoon smiley Neutral via the classification extension', async () => {
    const res = await postJson(`${server.httpUrl}/v2/models/${MODEL}/infer`, {
      inputs: [{ name: 'input:0', datatype: 'FP32', shape: [2, 224, 224, 3], data: await inputOf([await renderPencilSketch(7), await renderSmiley()]) }],
      outputs: [{ name: 'Identity:0', parameters: { classification: 2 } }],
    })
    expect(res.status, res.text).toBe(200)
    const [out] = res.json.outputs
    expect(out).toMatchObject({ name: 'Identity:0', datatype: 'BYTES', shape: [2, 2] })
    const [first, second] = [out.data.slice(0, 2), out.data.slice(2, 4)].map((row: string[]) => row.map((s) => s.split(':')))
    // Each element reads "<probability>:<index>:<label>", best first.
    expect(first![0]!.slice(1)).toEqual(['0', 'Drawing'])
    expect(Number(first![0]![0])).toBeGreaterThan(0.9)
    expect(second![0]!.slice(1)).toEqual(['2', 'Neutral'])
    expect(Number(second![0]![0])).toBeGreaterThan(0.99)
  })

  it('answers a wrongly shaped image with a 400 naming the input', async () => {
    const res = await postJson(`${server.httpUrl}/v2/models/${MODEL}/infer`, {
      inputs: [{ name: 'input:0', datatype: 'FP32', shape: [1, 3, 224, 224], data: new Array(3 * 224 * 224).fill(0) }],
    })
    expect(res.status).toBe(400)
    expect(res.text).toContain('input:0')
  })
})
