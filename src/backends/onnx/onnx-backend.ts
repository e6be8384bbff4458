import { readFile } from 'node:fs/promises'
import ort from 'onnxruntime-node'
import type { Backend, BackendLogger, ModelSession, SessionOptions } from '../backend.js'
import { rewriteBf16Boundary } from './bf16-rewrite.js'
import { OnnxSession } from './onnx-session.js'

const NO_BF16 = { inputs: new Set<string>(), outputs: new Set<string>() }

/**
 * The onnxruntime backend (Triton: backend `onnxruntime`, platform `onnxruntime_onnx`).
 *
 * Execution providers: `cpu` is always available. Any other provider asked for (`cuda`,
 * `tensorrt`, …) is tried first; when onnxruntime cannot create the session with it (the provider
 * libraries are absent, as on a machine without a GPU or where the install skipped them), the
 * backend logs one clear line and opens the session on cpu instead, so a config written for a GPU
 * machine still serves elsewhere.
 */
export class OnnxBackend implements Backend {
  readonly name = 'onnxruntime'
  readonly platform = 'onnxruntime_onnx'
  readonly defaultModelFilename = 'model.onnx'

  async open (path: string, options: SessionOptions, logger: BackendLogger): Promise<ModelSession> {
    const bytes = await readFile(path)
    const wanted = (options.executionProviders ?? ['cpu']).filter((p) => p !== 'cpu')
    const base = baseOptions(options)
    if (wanted.length === 0) return create(bytes, { ...base, executionProviders: ['cpu'] })
    let providerError: unknown
    try {
      return await create(bytes, { ...base, executionProviders: [...wanted, 'cpu'] })
    } catch (err) {
      providerError = err
    }
    // Blame the provider only once cpu has shown the model itself is fine; a broken model
    // rejects here with cpu's error and no misleading provider warning.
    const session = await create(bytes, { ...base, executionProviders: ['cpu'] })
    logger.warn({ path, executionProviders: wanted, reason: providerError instanceof Error ? providerError.message : String(providerError) },
      `execution provider ${wanted.join(', ')} is not available here; using cpu`)
    return session
  }
}

function baseOptions (o: SessionOptions): ort.InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: o.graphOptimizationLevel ?? 'all',
    ...(o.intraOpThreads !== undefined && o.intraOpThreads > 0 ? { intraOpNumThreads: o.intraOpThreads } : {}),
    ...(o.interOpThreads !== undefined && o.interOpThreads > 0 ? { interOpNumThreads: o.interOpThreads } : {}),
    logSeverityLevel: 3,
  }
}

async function create (bytes: Uint8Array, opts: ort.InferenceSession.SessionOptions): Promise<OnnxSession> {
  try {
    return new OnnxSession(await ort.InferenceSession.create(bytes, opts), NO_BF16)
  } catch (err) {
    // Only a model with a BF16 graph boundary is worth a second, rewritten attempt.
    if (!/Unsupported data type: 16\b/.test(String((err as Error).message))) throw err
    const rewritten = rewriteBf16Boundary(bytes)
    if (rewritten === undefined) throw err
    return new OnnxSession(await ort.InferenceSession.create(rewritten.model, opts), rewritten)
  }
}
