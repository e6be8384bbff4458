import type { Tensor } from '../../core/tensor.js'
import type { InitializeContext } from './types.js'

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

/**
 * The thread's workerData: initialize's context but for its logger, which the thread makes
 * itself (its lines travel back as 'log' messages); also what outputs are checked against.
 */
export type HostData = Omit<InitializeContext, 'logger'>

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
