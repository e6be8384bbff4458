import * as ort from 'onnxruntime-node'

/**
 * Runs a written ONNX file on a feature matrix and returns one FP32 output. The examples
 * measure their held-out figures this way, on the file as the server will load it, so the
 * figures check the export as well as the training.
 *
 * @param features - row-major FP32 `[rows, width]`, as recordsToFeatures makes it
 */
export async function runOnnxMatrix (
  modelPath: string,
  input: string,
  output: string,
  features: { readonly data: Float32Array, readonly width: number },
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(modelPath)
  try {
    const rows = features.data.length / features.width
    const out = await session.run({ [input]: new ort.Tensor('float32', features.data, [rows, features.width]) })
    const tensor = out[output]
    if (tensor === undefined || tensor.type !== 'float32') throw new Error(`${modelPath}: no float32 output '${output}'`)
    return tensor.data as Float32Array
  } finally {
    await session.release()
  }
}

/** Every `width`-th value from `offset`: one column of a row-major `[rows, width]` output. */
export function column (data: Float32Array, width: number, offset: number): number[] {
  return Array.from({ length: data.length / width }, (_, r) => data[r * width + offset] as number)
}
