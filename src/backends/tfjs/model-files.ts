import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { io } from '@tensorflow/tfjs'
import { isInsideFolder } from '../../core/inside-folder.js'
import type { Tfjs } from './tfjs-runtime.js'

/** model.json of a TF.js graph model, as far as this backend reads it. */
export interface GraphModelJson extends io.ModelJSON {
  readonly modelTopology: { readonly node?: readonly GraphNode[]; readonly model_config?: unknown }
}

/** One node of the GraphDef in model.json (attr values as the protobuf JSON encoding has them). */
export interface GraphNode {
  readonly name: string
  readonly op: string
  readonly attr?: Readonly<Record<string, { readonly type?: string; readonly shape?: ShapeJson }>>
}

/** A TensorShapeProto in JSON: sizes are strings ("-1"), an absent size is 0. */
export interface ShapeJson {
  readonly dim?: readonly { readonly size?: string | number }[]
  readonly unknownRank?: boolean
}

/** A loaded model folder: the parsed model.json and the artifacts TF.js builds the model from. */
export interface GraphModelFiles {
  readonly json: GraphModelJson
  readonly artifacts: io.ModelArtifacts
}

/**
 * Reads a TF.js graph model from the local file system: `model.json` and the weight shard files
 * its manifest lists, which must lie in the same folder or below it. Nothing is fetched: TF.js's
 * own loaders would treat the paths as URLs, so this reads the files and hands TF.js the bytes.
 *
 * @throws Error naming the file, when model.json is not JSON, is a Keras layers model rather
 *   than a graph model, or names a weight file that is absent or outside the model folder
 */
export async function readGraphModel (tf: Tfjs, path: string): Promise<GraphModelFiles> {
  let json: GraphModelJson
  try {
    json = JSON.parse(await readFile(path, 'utf8')) as GraphModelJson
  } catch (err) {
    throw new Error(`${path} is not a readable JSON file: ${(err as Error).message}`, { cause: err })
  }
  if (typeof json !== 'object' || json === null || typeof json.modelTopology !== 'object' || json.modelTopology === null) {
    throw new Error(`${path} has no modelTopology: not a TF.js model.json`)
  }
  if (json.format === 'layers-model' || (json.format === undefined && json.modelTopology.model_config !== undefined)) {
    throw new Error(`${path} is a TF.js layers (Keras) model; this backend serves graph models ` +
      '(convert it with tensorflowjs_converter --output_format=tfjs_graph_model)')
  }
  if (!Array.isArray(json.modelTopology.node)) throw new Error(`${path} has no graph nodes: not a TF.js graph model`)
  const folder = dirname(path)
  const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const buffers: ArrayBuffer[] = []
    for (const group of manifest) {
      for (const p of group.paths) buffers.push(await readShard(folder, p, path))
    }
    return [manifest.flatMap((g) => g.weights), buffers]
  })
  return { json, artifacts }
}

async function readShard (folder: string, shard: string, modelPath: string): Promise<ArrayBuffer> {
  const file = resolve(folder, shard)
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(shard) || !isInsideFolder(folder, file)) {
    throw new Error(`${modelPath} lists weight file '${shard}', which is not a file in the model's folder`)
  }
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (err) {
    throw new Error(`weight file ${file} listed in ${modelPath} cannot be read: ${(err as Error).message}`, { cause: err })
  }
  // A Buffer may be a view into a larger pool; TF.js wants an ArrayBuffer of exactly the shard.
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}
