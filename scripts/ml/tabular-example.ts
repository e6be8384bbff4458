/**
 * What the tabular examples (scripts/examples/fraud.ts, regression.ts) share around their own
 * data and training: the model folder's layout, the config.yaml of a records-in model, writing
 * the folder with the model file last, checking the export against the trained model, and
 * setup's "train only when missing". One copy, so the examples' folders cannot drift apart.
 */
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import type { TabularSpec } from '../../src/pipeline/processors/tabular.js'
import { writeFileIfChanged } from '../onnx/write-file.js'
import { configYaml } from './config-yaml.js'
import type { Mlp } from './mlp.js'
import { mlpGraph, type MlpGraphOptions } from './mlp-onnx.js'

/** The graph's input: the FP32 `[batch, width]` matrix the pipeline's `record` input makes. */
export const FEATURES_INPUT = 'features'

/** What every tabular example's training reports, besides its own figures. */
export interface TabularExampleResult {
  /** The spec saved with the model. */
  readonly spec: TabularSpec
  /** The held-out records, for tests. */
  readonly testRecords: readonly Record<string, unknown>[]
  readonly dataVersion: string
  readonly modelPath: string
}

/** The version-1 model file of a model folder. */
export function exampleModelPath (modelDir: string): string {
  return join(modelDir, '1', 'model.onnx')
}

/** The graph's one output, as config.yaml declares it (FP32). */
export interface ExampleOutput {
  readonly name: string
  readonly dims: readonly number[]
  readonly label_filename?: string
}

/**
 * config.yaml of a records-in onnxruntime model: FP32 features of `width` columns in, `output`
 * out, and a pipeline that encodes posted `records` with `spec` and answers with `pipelineOutput`.
 */
export function recordModelConfig (header: readonly string[], spec: TabularSpec, width: number, output: ExampleOutput, pipelineOutput: Record<string, unknown>): string {
  return configYaml(header, {
    backend: 'onnxruntime',
    max_batch_size: 256,
    input: [{ name: FEATURES_INPUT, data_type: 'TYPE_FP32', dims: [width] }],
    output: [{ name: output.name, data_type: 'TYPE_FP32', dims: [...output.dims], ...(output.label_filename === undefined ? {} : { label_filename: output.label_filename }) }],
    pipeline: {
      inputs: [{ name: 'records', kind: 'record', tensor: FEATURES_INPUT, record: spec }],
      outputs: [pipelineOutput],
    },
  })
}

/**
 * Writes `files` (name, text) into `modelDir` in order, then the MLP's graph. The model file
 * last: setup takes its presence to mean the folder is complete.
 *
 * @returns the model file's path
 */
export async function writeMlpExample (modelDir: string, files: ReadonlyArray<readonly [string, string]>, model: Mlp, graph: Omit<MlpGraphOptions, 'input'>): Promise<string> {
  for (const [name, text] of files) await writeFileIfChanged(join(modelDir, name), text)
  const modelPath = exampleModelPath(modelDir)
  await mlpGraph(model, { ...graph, input: FEATURES_INPUT }).save(modelPath)
  return modelPath
}

/**
 * Largest |JS − ONNX| over the held-out rows, after checking it is below `tolerance` (float32
 * rounding only, if the export is right).
 *
 * @throws when the written graph disagrees with the trained model
 */
export function checkedMaxDiff (model: string, js: readonly number[], onnx: readonly number[], tolerance: number, unit?: string): number {
  const diff = Math.max(...js.map((p, i) => Math.abs(p - (onnx[i] as number))))
  if (!(diff < tolerance)) throw new Error(`${model}: ONNX model disagrees with the trained model (max diff ${diff}${unit === undefined ? '' : ` ${unit}`})`)
  return diff
}

/**
 * Makes an example servable: runs `train` only when the model file is missing.
 *
 * @returns one line saying what was done (train's line when it trained)
 */
export async function setupWhenMissing (model: string, modelDir: string, train: () => Promise<string>): Promise<string> {
  const modelPath = exampleModelPath(modelDir)
  if (await access(modelPath).then(() => true, () => false)) return `${model}: ${modelPath} present, kept`
  return await train()
}
