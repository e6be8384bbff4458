import { readFile } from 'node:fs/promises'
import { isMainThread } from 'node:worker_threads'
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

/**
 * Thread defaults, where the config names no thread counts (measured on the 2-core machine, MLP
 * 32→256→256→10 under 64 concurrent HTTP clients; shared/design/ENGINE.md):
 *
 * - onnxruntime's default intra-op pool has one thread per core and **spin-waits** between runs.
 *   A session opened on the main thread computes on the event loop (onnxruntime-node's run is
 *   synchronous), so its pool thread spun on the other core the whole time: 5.5 s of CPU in 6 s
 *   of load, taken from the event loop's own HTTP work and from everything else on the machine.
 *   With one intra-op thread (no pool) inferd served 7.7k–11k req/s where it served 6.3k–7k.
 * - So a session on the main thread computes on that thread alone (`intraOpNumThreads: 1`): it
 *   runs inline only when a batch computes in well under a millisecond (scheduler/execution-mode),
 *   where a second thread has little to split. A session in a worker thread keeps onnxruntime's
 *   pool (its model is the slow kind, which parallelism helps).
 * - No pool spins: a spinning pool thread holds a core after every run, which the event loop and
 *   the other models' workers need; waking a sleeping thread costs microseconds, small beside the
 *   millisecond-scale batches that run in workers.
 *
 * An explicit `intra_op_thread_count` (0 = onnxruntime's default pool) wins over the default.
 */
function baseOptions (o: SessionOptions): ort.InferenceSession.SessionOptions {
  const intra = o.intraOpThreads ?? (isMainThread ? 1 : 0)
  return {
    graphOptimizationLevel: o.graphOptimizationLevel ?? 'all',
    ...(intra > 0 ? { intraOpNumThreads: intra } : {}),
    ...(o.interOpThreads !== undefined && o.interOpThreads > 0 ? { interOpNumThreads: o.interOpThreads } : {}),
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
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
