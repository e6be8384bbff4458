import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { isInsideFolder } from '../core/inside-folder.js'
import { Errors } from '../errors/codes.js'
import { InferdError } from '../errors/inferd-error.js'

/**
 * The path of a file a model's config names (labels, a tokenizer, a dictionary), resolved against
 * the model folder. Paths may not leave the folder: a config must not read arbitrary files.
 *
 * @param what how the config names it, for messages (`output 'probs' label_filename`).
 * @throws InferdError MODEL_CONFIG_INVALID when the path leaves the folder.
 */
export function modelFilePath (modelName: string, modelDir: string, file: string, what: string): string {
  const path = resolve(modelDir, file)
  if (!isInsideFolder(modelDir, path)) {
    throw new InferdError(Errors.MODEL_CONFIG_INVALID, [modelName, `${what}: '${file}' is outside the model folder`])
  }
  return path
}

/**
 * Reads a text file a model's config names, confined to the model folder.
 *
 * @throws InferdError MODEL_CONFIG_INVALID when it is outside the folder or cannot be read.
 */
export async function readModelText (modelName: string, modelDir: string, file: string, what: string): Promise<string> {
  const path = modelFilePath(modelName, modelDir, file, what)
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (err as Error).message
    throw new InferdError(Errors.MODEL_CONFIG_INVALID, [modelName, `${what}: '${file}' ${why}`], { cause: err })
  }
}
