/**
 * Writes the image classifier example's model files from the nsfwjs npm package:
 *
 *   examples/models/image_classifier/1/model.json              TF.js graph model (MobileNetV2, 224×224 NHWC)
 *   examples/models/image_classifier/1/group1-shard{1,2}of2.bin weights
 *
 * nsfwjs ships its models for bundlers, not as files: each `*.min.js` under
 * `dist/models/mobilenet_v2_mid/` is a UMD module whose export is the model.json object
 * (model.min.js) or one weight shard as a base64 string (group1-shardNofM.min.js). This module
 * loads those CommonJS modules from node_modules (no network), decodes the shards, checks their
 * sizes against the weights manifest, and writes a regular TF.js model folder. The shards get the
 * `.bin` name the TF.js converter gives them, and the manifest's paths are rewritten to match.
 *
 * `mobilenet_v2_mid` is the one of nsfwjs's three models stored as a graph model (the other two
 * are Keras layers models); nsfwjs reports it as its more accurate small model (~93%).
 *
 *   npx tsx scripts/examples/image-classifier.ts [modelDir]
 */
import { access, mkdir, rename, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { isMain } from '../is-main.js'
import { EXAMPLES_DIR } from '../paths.js'

const require = createRequire(import.meta.url)

/** The nsfwjs model copied; its folder name under nsfwjs's dist/models. */
export const NSFWJS_MODEL = 'mobilenet_v2_mid'

interface WeightEntry {
  readonly name: string
  readonly shape: readonly number[]
  readonly dtype: string
  readonly quantization?: { readonly dtype: string }
}

interface ModelJson {
  readonly format?: string
  readonly modelTopology: unknown
  weightsManifest: { paths: string[]; weights: WeightEntry[] }[]
  readonly [key: string]: unknown
}

const BYTES_PER: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 }

function sourceDir (): string {
  // nsfwjs's package exports name no files under dist/models, so go there from its main entry
  // (dist/cjs/index.js); an absolute path is not subject to the exports map.
  return join(dirname(require.resolve('nsfwjs')), '..', 'models', NSFWJS_MODEL)
}

/** Bytes a weights group must hold, from its entries (quantized weights take their storage dtype). */
function expectedBytes (weights: readonly WeightEntry[]): number {
  let total = 0
  for (const w of weights) {
    const dtype = w.quantization?.dtype ?? w.dtype
    const size = BYTES_PER[dtype]
    if (size === undefined) throw new Error(`weight '${w.name}' has dtype '${dtype}', which this setup does not size`)
    total += size * w.shape.reduce((a, b) => a * b, 1)
  }
  return total
}

async function exists (path: string): Promise<boolean> {
  return access(path).then(() => true, () => false)
}

/** Writes beside the target and renames, so a reader never sees a half-written file. */
async function writeAtomic (path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  await writeFile(tmp, data)
  await rename(tmp, path)
}

/**
 * Makes `<modelDir>/1/model.json` and its weight files unless model.json is already there. The
 * shards are written first and model.json last, so model.json's presence means the set is whole.
 *
 * @param modelDir the model's folder (default `examples/models/image_classifier`)
 * @returns one line saying what was done, for printing
 */
export async function setupImageClassifier (modelDir: string = join(EXAMPLES_DIR, 'image_classifier')): Promise<string> {
  const versionDir = join(modelDir, '1')
  const modelJsonPath = join(versionDir, 'model.json')
  if (await exists(modelJsonPath)) return `image_classifier: ${modelJsonPath} present, kept`

  const src = sourceDir()
  const model = structuredClone(require(join(src, 'model.min.js')) as ModelJson)
  if (model.format !== 'graph-model') throw new Error(`nsfwjs ${NSFWJS_MODEL} is '${String(model.format)}', expected a graph model`)
  await mkdir(versionDir, { recursive: true })
  let total = 0
  for (const group of model.weightsManifest) {
    const shards = group.paths.map((p) => Buffer.from(require(join(src, `${p}.min.js`)) as string, 'base64'))
    const size = shards.reduce((n, s) => n + s.length, 0)
    const expected = expectedBytes(group.weights)
    if (size !== expected) throw new Error(`nsfwjs ${NSFWJS_MODEL}: shards ${group.paths.join(', ')} hold ${size} bytes, the manifest needs ${expected}`)
    const names = group.paths.map((p) => `${p}.bin`)
    for (const [i, name] of names.entries()) await writeAtomic(join(versionDir, name), shards[i] as Buffer)
    group.paths = names
    total += size
  }
  await writeAtomic(modelJsonPath, JSON.stringify(model))
  return `image_classifier: extracted nsfwjs ${NSFWJS_MODEL} (${(total / 1e6).toFixed(1)} MB of weights) → ${modelJsonPath}`
}

if (isMain(import.meta.url)) {
  console.log(await setupImageClassifier(process.argv[2]))
}
