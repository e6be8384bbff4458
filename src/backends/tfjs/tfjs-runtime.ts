import { createRequire } from 'node:module'
import { dirname } from 'node:path'

/** The @tensorflow/tfjs module, as a type only: importing it costs ~1 s and tens of MB. */
export type Tfjs = typeof import('@tensorflow/tfjs')

let loading: Promise<Tfjs> | undefined

/**
 * TensorFlow.js on its WebAssembly backend, loaded once per thread on first use.
 *
 * Loaded lazily with a dynamic import: the backend registry is imported by every session worker
 * thread, and a server (or an onnxruntime worker) with no TF.js model should not pay for it.
 *
 * - The .wasm binaries are read from the installed @tensorflow/tfjs-backend-wasm package
 *   (setWasmPaths with its directory on disk), never fetched: this works offline, from the
 *   sources under tsx and from `dist/` alike, because the package is found by module resolution.
 * - SIMD is used when Node's WebAssembly has it (tfjs probes; Node 20 does). Multithreading is
 *   not: tfjs-backend-wasm 4.22 reports no thread support under Node and its threaded binary
 *   starts its pthreads from blob: URLs, which Node's Worker refuses. XNNPACK therefore computes
 *   on one thread, and parallelism comes from instance_group count (one worker thread each).
 * - The Emscripten runtime adds process-wide `uncaughtException` / `unhandledRejection`
 *   listeners that rethrow; they are removed again so the server's process-level behaviour is
 *   the same with or without a TF.js model loaded.
 */
export function loadTfjs (): Promise<Tfjs> {
  loading ??= init().catch((err: unknown) => {
    loading = undefined // a later open may try again (and report the same cause)
    throw err
  })
  return loading
}

async function init (): Promise<Tfjs> {
  const tf = await import('@tensorflow/tfjs')
  const wasm = await import('@tensorflow/tfjs-backend-wasm')
  const require = createRequire(import.meta.url)
  // The package's main file lies in dist/, beside the three .wasm binaries.
  wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`)
  const before = {
    uncaughtException: new Set(process.listeners('uncaughtException')),
    unhandledRejection: new Set(process.listeners('unhandledRejection')),
  }
  try {
    if (!await tf.setBackend('wasm')) throw new Error('TensorFlow.js could not start its wasm backend')
    await tf.ready()
  } finally {
    for (const listener of process.listeners('uncaughtException')) {
      if (!before.uncaughtException.has(listener)) process.removeListener('uncaughtException', listener)
    }
    for (const listener of process.listeners('unhandledRejection')) {
      if (!before.unhandledRejection.has(listener)) process.removeListener('unhandledRejection', listener)
    }
  }
  return tf
}
