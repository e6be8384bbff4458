import type { ModelSession } from '../backends/backend.js'
import type { ModelSignature } from '../core/signature.js'
import { allocData, type Tensor } from '../core/tensor.js'

export type ExecutionMode = 'inline' | 'worker'

/**
 * Batches that compute faster than this run on the event loop; slower ones in worker threads.
 *
 * Why (`npm run bench:handoff`: this 2-core machine, MLP 32→256→256→10, onnxruntime-node 1.30,
 * 5000 batches one after another): handing a batch to a worker thread and back costs ~55–80 µs
 * more than running it inline, even over shared memory (worker-instance.ts). b=1: 39 µs inline,
 * 95–104 µs through the thread; b=64: 159–168 µs inline, 223–246 µs through the thread. Over
 * postMessage, as before shared memory, the hand-off was 83 and 120 µs. At b=4096 the worker
 * wins (6.4 against 9.8 ms), its session's intra-op pool using both cores. For a
 * model whose batch computes in a fraction of a millisecond, the hand-off costs more than the
 * computation it would move, and the event loop is blocked no longer than by parsing one
 * request. A model whose batch takes longer would stall every other request on the loop while it
 * computes, and belongs in a worker, where the hand-off is small next to the compute.
 */
export const INLINE_THRESHOLD_US = 1000

/** Rows used to probe a batching model: a batch as large as moderate load forms. */
const PROBE_ROWS = 64

export interface ModeDecision {
  readonly mode: ExecutionMode
  readonly reason: string
  /** Measured µs per batch of `rows` rows, when a probe ran. */
  readonly measuredUs?: number
  readonly rows?: number
}

/**
 * Chooses where a model version computes. `configured` (config parameter `execution_mode`) wins
 * when it is `inline` or `worker`; `auto` probes the loaded session with zero-filled inputs: first
 * one row (a model slow at one row goes to workers without a larger probe), then a typical batch.
 * A signature with variable non-batch dimensions cannot be probed and goes to workers, the safe
 * choice for an unknown cost.
 */
export async function chooseExecutionMode (configured: string, session: ModelSession, sig: ModelSignature): Promise<ModeDecision> {
  if (configured === 'inline' || configured === 'worker') return { mode: configured, reason: 'execution_mode in config' }
  if (session.offEventLoop === true) return { mode: 'inline', reason: 'the session computes in a thread of its own' }
  if (sig.inputs.some((i) => i.dims.some((d) => d < 0))) return { mode: 'worker', reason: 'variable input dimensions: cost unknown' }
  let one: number
  try {
    one = await timeRun(session, sig, 1)
  } catch (err) {
    return { mode: 'worker', reason: `probe with zeros failed (${(err as Error).message.slice(0, 80)}): cost unknown` }
  }
  if (one >= INLINE_THRESHOLD_US) return { mode: 'worker', reason: 'slow at one row', measuredUs: one, rows: 1 }
  if (sig.maxBatchSize <= 1) return { mode: 'inline', reason: 'fast', measuredUs: one, rows: 1 }
  const rows = Math.min(sig.maxBatchSize, PROBE_ROWS)
  const batch = await timeRun(session, sig, rows).catch(() => Infinity)
  return { mode: batch < INLINE_THRESHOLD_US ? 'inline' : 'worker', reason: batch < INLINE_THRESHOLD_US ? 'fast' : 'slow at a typical batch', measuredUs: batch, rows }
}

/**
 * The best of five runs, µs. The first run of a session pays one-time costs, and onnxruntime-node
 * computes inside a setImmediate, so a run's wall time also holds whatever else the event loop did
 * first (another model loading): the minimum is the run that waited for nothing.
 */
async function timeRun (session: ModelSession, sig: ModelSignature, rows: number): Promise<number> {
  const inputs: Tensor[] = sig.inputs.map((spec) => {
    const shape = sig.maxBatchSize > 0 ? [rows, ...spec.dims] : [...spec.dims]
    return { name: spec.name, datatype: spec.datatype, shape, data: allocData(spec.datatype, shape.reduce((a, b) => a * b, 1)) }
  })
  const outputs = sig.outputs.map((o) => o.name)
  let best = Infinity
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint()
    await session.run(inputs, outputs)
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1000)
  }
  return best
}
