/**
 * What handing a batch to a session thread costs, against computing it on the event loop: the
 * measurement behind INLINE_THRESHOLD_US (src/scheduler/execution-mode.ts). In ONE run, on the
 * bench's MLP (bench/models.ts), at batch sizes 1, 64 and 4096, one batch after another:
 *
 *   inline  InlineInstance: session.run on this thread (one intra-op thread, as inferd opens it)
 *   worker  WorkerInstance: the batch handed to a thread owning its own session and back
 *           (shared memory up to 256 KiB of tensors, a message with transferred buffers above)
 *
 * Prints µs per batch (wall) for each, the process's CPU per batch, the difference (the hand-off)
 * and how the worker's batches went over. Inputs are fresh arrays each time, as a batcher's are.
 *
 *   npm run bench:handoff
 *   npx tsx bench/handoff.ts [--runs 5000]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { defaultBackends } from '../src/backends/registry.js'
import type { Tensor } from '../src/core/tensor.js'
import type { ExecutionInstance } from '../src/scheduler/execution-instance.js'
import { InlineInstance } from '../src/scheduler/inline-instance.js'
import { WorkerInstance } from '../src/scheduler/worker-instance.js'
import { MLP, writeBenchRepository } from './models.js'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5000' } } })
const runs = Number(values.runs)
if (!Number.isInteger(runs) || runs < 10) throw new RangeError(`--runs must be an integer ≥ 10, got ${values.runs}`)

const quiet = { info: () => {}, warn: () => {} }
const dir = await mkdtemp(join(tmpdir(), 'inferd-handoff-'))
try {
  const { mlpPath } = await writeBenchRepository(dir)
  const session = await defaultBackends().get('onnxruntime')!.open(mlpPath, {}, quiet)
  const inline = new InlineInstance(MLP.name, session)
  const worker = await WorkerInstance.start(MLP.name, '1', { backend: 'onnxruntime', path: mlpPath, options: {} }, quiet)
  console.log(`hand-off bench: ${MLP.name}, ${runs} batches per size (a tenth for 4096 rows)`)
  console.log('rows  inline µs  worker µs  hand-off µs  cpu inline  cpu worker  worker batches')
  for (const rows of [1, 64, 4096]) {
    const n = rows >= 1024 ? Math.max(10, Math.round(runs / 10)) : runs
    const batch = (): Tensor[] => [{ name: MLP.input, datatype: 'FP32', shape: [rows, MLP.inputWidth], data: new Float32Array(rows * MLP.inputWidth).fill(0.5) }]
    const before = worker.handedOver
    const a = await timeRuns(inline, batch, n)
    const b = await timeRuns(worker, batch, n)
    const after = worker.handedOver
    const how = `${after.shared - before.shared} shared, ${after.posted - before.posted} by message`
    console.log(`${String(rows).padStart(4)}  ${a.wallUs.toFixed(1).padStart(9)}  ${b.wallUs.toFixed(1).padStart(9)}  ${(b.wallUs - a.wallUs).toFixed(1).padStart(11)}  ${a.cpuUs.toFixed(1).padStart(10)}  ${b.cpuUs.toFixed(1).padStart(10)}  ${how}`)
  }
  await worker.close()
  await session.close()
} finally {
  await rm(dir, { recursive: true, force: true })
}

/** Mean wall and process CPU per batch over `n` batches, after a tenth as many to warm up. */
async function timeRuns (instance: ExecutionInstance, batch: () => Tensor[], n: number): Promise<{ wallUs: number; cpuUs: number }> {
  for (let i = 0; i < Math.ceil(n / 10); i++) await instance.run(batch(), [MLP.output])
  const cpu = process.cpuUsage()
  const start = performance.now()
  for (let i = 0; i < n; i++) await instance.run(batch(), [MLP.output])
  const wallUs = ((performance.now() - start) * 1000) / n
  const used = process.cpuUsage(cpu)
  return { wallUs, cpuUs: (used.user + used.system) / n }
}
