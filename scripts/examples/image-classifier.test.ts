import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setupImageClassifier } from './image-classifier.js'

/** The extraction of nsfwjs's bundled graph model into a plain TF.js model folder. */

let dir: string
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'inferd-image-classifier-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

describe('setupImageClassifier', () => {
  it('writes model.json and .bin shards that hold exactly the bytes the manifest lists', async () => {
    expect(await setupImageClassifier(dir)).toMatch(/extracted nsfwjs mobilenet_v2_mid \(4\.3 MB of weights\)/)
    const version = join(dir, '1')
    expect((await readdir(version)).sort()).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin', 'model.json'])
    const json = JSON.parse(await readFile(join(version, 'model.json'), 'utf8')) as {
      format: string
      weightsManifest: { paths: string[]; weights: { shape: number[]; dtype: string; quantization?: { dtype: string } }[] }[]
    }
    expect(json.format).toBe('graph-model')
    const [group] = json.weightsManifest
    expect(group!.paths).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin'])
    // Every weight is uint8-quantized: one byte per element.
    expect(group!.weights.every((w) => w.quantization?.dtype === 'uint8')).toBe(true)
    const elements = group!.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0)
    const sizes = await Promise.all(group!.paths.map(async (p) => (await stat(join(version, p))).size))
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(elements)
  })

  it('keeps what is there on a second run', async () => {
    const before = (await stat(join(dir, '1', 'model.json'))).mtimeMs
    expect(await setupImageClassifier(dir)).toMatch(/present, kept$/)
    expect((await stat(join(dir, '1', 'model.json'))).mtimeMs).toBe(before)
  })
})
