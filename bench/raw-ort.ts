import ort from 'onnxruntime-node'

/**
 * The limit: onnxruntime-node in this process, no HTTP, one `session.run` after another at a
 * fixed batch size, with onnxruntime's default session options (an intra-op pool on every core,
 * as the naive server has; inferd computes inline batches on its event loop alone). Rows per
 * second at batch b is what a server that forms batches of b could reach at best.
 */

export interface RawOrtResult {
  readonly batch: number
  readonly rowsPerSecond: number
  /** Mean time of one `session.run`, microseconds. */
  readonly usPerRun: number
  readonly runs: number
}

/**
 * Measures each batch size for about `durationMs` after a short warm-up.
 *
 * @param inputWidth - features per row (the model's input is [batch, inputWidth] FP32)
 */
export async function measureRawOrt (modelPath: string, inputName: string, inputWidth: number, batches: readonly number[], durationMs: number): Promise<RawOrtResult[]> {
  const session = await ort.InferenceSession.create(modelPath)
  const results: RawOrtResult[] = []
  try {
    for (const batch of batches) {
      const x = Float32Array.from({ length: batch * inputWidth }, (_, i) => ((i * 7919) % 1000) / 1000)
      const feeds = { [inputName]: new ort.Tensor('float32', x, [batch, inputWidth]) }
      const warmUntil = performance.now() + Math.min(200, durationMs / 4)
      while (performance.now() < warmUntil) await session.run(feeds)
      let runs = 0
      const start = process.hrtime.bigint()
      const until = performance.now() + durationMs
      while (performance.now() < until) {
        await session.run(feeds)
        runs++
      }
      const seconds = Number(process.hrtime.bigint() - start) / 1e9
      results.push({ batch, rowsPerSecond: (runs * batch) / seconds, usPerRun: (seconds * 1e6) / runs, runs })
    }
  } finally {
    await session.release()
  }
  return results
}
