import type { Tensor } from '../../core/tensor.js'
import type { TensorDeclaration } from './types.js'

/**
 * What passes between a session (main thread) and its module's thread:
 *
 *   main thread (module-thread.ts)         module thread (module-host.ts)
 *   ──────────────────────────────         ──────────────────────────────
 *   new Worker(HostData) ────────────────► import module, initialize(ctx)
 *                        ◄──────────────── { type: 'ready' }  or  { type: 'init-failed', message }
 *   { type: 'execute', id, inputs } ─────► execute(inputs, ctx), outputs checked (output-check.ts)
 *                        ◄──────────────── { type: 'result', id, outputs }   (buffers transferred)
 *                        ◄──────────────── { type: 'error', id, message }    (execute threw)
 *   { type: 'finalize' } ────────────────► finalize()
 *                        ◄──────────────── { type: 'finalized', message? }
 *                        ◄──────────────── { type: 'log', level, msg, fields }  (any time)
 *
 * The thread dying (its 'exit' event) is the crash signal; no message announces it.
 */

/** The thread's workerData: everything initialize's context needs, and what outputs are checked against. */
export interface HostData {
  readonly modelName: string
  readonly version: string
  readonly modelDir: string
  readonly versionDir: string
  readonly modelFile: string
  readonly config: Readonly<Record<string, unknown>>
  readonly parameters: Readonly<Record<string, string>>
  readonly maxBatchSize: number
  readonly inputs: readonly TensorDeclaration[]
  readonly outputs: readonly TensorDeclaration[]
}

export type HostRequest =
  | { type: 'execute'; id: number; inputs: Tensor[]; outputNames: string[] }
  | { type: 'finalize' }

export type HostReply =
  | { type: 'ready' }
  | { type: 'init-failed'; message: string; stack?: string }
  | { type: 'result'; id: number; outputs: Tensor[] }
  | { type: 'error'; id: number; message: string; stack?: string; badInput?: boolean }
  | { type: 'finalized'; message?: string }
  | { type: 'log'; level: 'info' | 'warn'; msg: string; fields?: Record<string, unknown> }

/**
 * The ArrayBuffers that can move to the other thread instead of being copied: those a tensor's
 * data owns entirely (a view into a larger buffer is copied, since others may still use the
 * rest). The scheduler has the same rule for its threads (scheduler/transfer.ts); it is restated
 * here because backends do not depend on the scheduler.
 */
export function transferList (tensors: readonly Tensor[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>()
  for (const t of tensors) {
    if (t.datatype === 'BYTES') continue
    const view = t.data as ArrayBufferView
    const buffer = view.buffer
    if (buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === buffer.byteLength && buffer.byteLength > 0) out.add(buffer)
  }
  return [...out]
}
