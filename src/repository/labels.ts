import { readModelText } from './model-file.js'
import type { ResolvedModelOutput } from './resolved-model-config.js'

/** Class labels per output name, for outputs whose config names a `label_filename`. */
export type OutputLabels = ReadonlyMap<string, readonly string[]>

/**
 * Reads the label file of every output that names one. A label file holds one label a line (as
 * Triton's); a trailing newline does not make an extra label. Paths are relative to the model
 * folder and may not leave it: a config must not be able to read arbitrary files.
 *
 * @param modelDir - the model's folder (`<repository>/<model>`)
 * @throws InferdError MODEL_CONFIG_INVALID when a file is outside the folder or cannot be read
 */
export async function readOutputLabels (modelName: string, modelDir: string, outputs: readonly ResolvedModelOutput[]): Promise<OutputLabels> {
  const labels = new Map<string, readonly string[]>()
  for (const output of outputs) {
    if (output.label_filename === undefined) continue
    labels.set(output.name, splitLabels(await readModelText(modelName, modelDir, output.label_filename, `output '${output.name}' label_filename`)))
  }
  return labels
}

/** One label a line; CRLF tolerated; the empty line after a final newline is not a label. */
export function splitLabels (text: string): string[] {
  const lines = text.split(/\r?\n/)
  if (lines.at(-1) === '') lines.pop()
  return lines
}
