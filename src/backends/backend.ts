import type { DataType } from '../core/dtype.js'
import type { Tensor } from '../core/tensor.js'

/** An input or output as the model file declares it; symbolic or unknown dimensions are -1. */
export interface DeclaredTensor {
  readonly name: string
  readonly datatype: DataType
  /** Full shape including any batch dimension; undefined when the file does not say. */
  readonly shape: readonly number[] | undefined
}

/** What a model file says about itself, before any config is applied. */
export interface DeclaredSignature {
  readonly inputs: readonly DeclaredTensor[]
  readonly outputs: readonly DeclaredTensor[]
}

/** Options a backend receives for one model version. Option docs say where they apply. */
export interface SessionOptions {
  /**
   * onnx: intra-op threads (0 = onnxruntime's default pool, one thread per core). Unset: 1 for a
   * session opened on the main thread (it computes on the event loop), the default pool in a worker.
   */
  readonly intraOpThreads?: number
  /** onnx: inter-op threads (0 = default). */
  readonly interOpThreads?: number
  /** onnx: 'disabled' | 'basic' | 'extended' | 'all'. */
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all'
  /** onnx: execution providers in order of preference; `cpu` is always the final fallback. */
  readonly executionProviders?: readonly string[]
  /**
   * typescript: the model's config as the repository parsed it (config.yaml or the load API's),
   * where a module's signature and its initialize context come from.
   */
  readonly modelConfig?: Readonly<Record<string, unknown>>
}

/** A log sink a backend may write to (pino-compatible subset). */
export interface BackendLogger {
  info (obj: object, msg?: string): void
  warn (obj: object, msg?: string): void
}

/**
 * A loaded model version, ready to compute.
 *
 * Contract: `run` receives inputs already validated against the model's signature (names,
 * datatypes and shapes agree), and resolves with the named outputs in the order asked. It may be
 * called again before an earlier call settles; the session serialises as it needs. `close` waits
 * for calls in flight, then frees native memory; calls after `close` reject.
 */
export interface ModelSession {
  readonly declared: DeclaredSignature
  /**
   * True when `run` computes in a thread the session owns (the typescript backend), so awaiting
   * it on the event loop blocks nothing and the scheduler need not wrap it in a worker of its own.
   */
  readonly offEventLoop?: boolean
  run (inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]>
  close (): Promise<void>
}

/** A backend: opens model files of one kind (`onnxruntime`, later `tfjs`, `custom`). */
export interface Backend {
  /** Triton-style backend name, as in config `backend:`. */
  readonly name: string
  /** Triton-style platform string reported in model metadata (`onnxruntime_onnx`). */
  readonly platform: string
  /** File name looked for inside a version folder when the config names none. */
  readonly defaultModelFilename: string
  open (path: string, options: SessionOptions, logger: BackendLogger): Promise<ModelSession>
}
