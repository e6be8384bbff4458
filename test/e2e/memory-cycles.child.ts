/**
 * The body of memory-cycles.test.ts, run in its own process with `node --expose-gc --import tsx`
 * so that garbage collection can be forced before each measurement and nothing else (other test
 * files, vitest) shares the heap or the RSS.
 *
 * Serves a repository in explicit mode and runs load → infer → unload over REST: WARMUP cycles
 * first (allocator pools, JIT, onnxruntime's first-session costs settle), then CYCLES measured
 * ones. The model carries 4 MiB of weights, so a session that is never freed shows: one leaked
 * load per cycle would grow RSS by more than 400 MB. For scale, it then loads HELD copies of the
 * model at once and reports what they hold. Prints one line `RESULT {json}`.
 *
 *   node --expose-gc --import tsx test/e2e/memory-cycles.child.ts [cycles] [warmup]
 */
import { pino } from 'pino'
import { ModelBuilder } from '../../scripts/onnx/builder.js'
import { float32Tensor } from '../../scripts/onnx/tensor-proto.js'
import { createServer } from '../../src/server.js'
import { addSubBody, offsetOf, TempRepo } from '../helpers/temp-repo.js'

const CYCLES = Number(process.argv[2] ?? 100)
const WARMUP = Number(process.argv[3] ?? 10)
const WEIGHT_COLUMNS = 65_536 // 16 × 65536 FP32 = 4 MiB of weights

/** add_sub (offset 1) plus a 4 MiB weight the output depends on (times zero): OUTPUT0 = INPUT0 + INPUT1 + 1. */
function heavyAddSub (): Uint8Array {
  const w = Float32Array.from({ length: 16 * WEIGHT_COLUMNS }, (_, i) => Math.sin(i))
  return new ModelBuilder({ name: 'heavy_add_sub' })
    .input('INPUT0', 'FP32', ['batch', 16])
    .input('INPUT1', 'FP32', ['batch', 16])
    .output('OUTPUT0', 'FP32', ['batch', 16])
    .output('OUTPUT1', 'FP32', ['batch', 16])
    .initializer(float32Tensor('w', [16, WEIGHT_COLUMNS], w))
    .initializer(float32Tensor('zero', [], [0]))
    .initializer(float32Tensor('one', [], [1]))
    .node('MatMul', ['INPUT0', 'w'], ['h'])
    .node('ReduceMean', ['h'], ['m'])
    .node('Mul', ['m', 'zero'], ['nothing'])
    .node('Add', ['INPUT0', 'INPUT1'], ['sum'])
    .node('Add', ['sum', 'one'], ['sum1'])
    .node('Add', ['sum1', 'nothing'], ['OUTPUT0'])
    .node('Sub', ['INPUT0', 'INPUT1'], ['OUTPUT1'])
    .toBytes()
}

async function settle (): Promise<NodeJS.MemoryUsage> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('run with node --expose-gc')
  for (let i = 0; i < 4; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return process.memoryUsage()
}

async function post (url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const text = await res.text()
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) }
}

const HELD = 5
const config = 'max_batch_size: 8\nparameters: { execution_mode: inline }\n'
const model = heavyAddSub()
const files: Record<string, string | Uint8Array> = { 'heavy/config.yaml': config, 'heavy/1/model.onnx': model }
for (let i = 1; i <= HELD; i++) Object.assign(files, { [`copy${i}/config.yaml`]: config, [`copy${i}/1/model.onnx`]: model })
const repo = await TempRepo.create(files)
const server = createServer({ modelRepository: repo.root, host: '127.0.0.1', httpPort: 0, grpcPort: 0, modelControlMode: 'explicit' }, { logger: pino({ level: 'silent' }) })
try {
  await server.start()
  const base = server.httpUrl
  const cycle = async (): Promise<void> => {
    const loaded = await post(`${base}/v2/repository/models/heavy/load`, {})
    if (loaded.status !== 200) throw new Error(`load: ${loaded.status} ${JSON.stringify(loaded.json)}`)
    const out = await post(`${base}/v2/models/heavy/infer`, addSubBody(2))
    if (out.status !== 200 || offsetOf(out.json) !== 1) throw new Error(`infer: ${out.status} ${JSON.stringify(out.json).slice(0, 300)}`)
    const unloaded = await post(`${base}/v2/repository/models/heavy/unload`, {})
    if (unloaded.status !== 200) throw new Error(`unload: ${unloaded.status} ${JSON.stringify(unloaded.json)}`)
  }
  for (let i = 0; i < WARMUP; i++) await cycle()
  const before = await settle()
  const started = performance.now()
  for (let i = 0; i < CYCLES; i++) await cycle()
  const ms = performance.now() - started
  const after = await settle()
  // For scale, what leaked sessions would look like: HELD copies of the model loaded at once.
  for (let i = 1; i <= HELD; i++) await post(`${base}/v2/repository/models/copy${i}/load`, {})
  const held = await settle()
  for (let i = 1; i <= HELD; i++) await post(`${base}/v2/repository/models/copy${i}/unload`, {})
  const mb = (n: number): number => Math.round((n / 1048576) * 10) / 10
  console.log(`RESULT ${JSON.stringify({
    cycles: CYCLES,
    warmup: WARMUP,
    seconds: Math.round(ms / 100) / 10,
    rssBeforeMB: mb(before.rss),
    rssAfterMB: mb(after.rss),
    rssGrowthMB: mb(after.rss - before.rss),
    heapBeforeMB: mb(before.heapUsed),
    heapAfterMB: mb(after.heapUsed),
    heapGrowthMB: mb(after.heapUsed - before.heapUsed),
    externalGrowthMB: mb(after.external - before.external),
    heapTotalBeforeMB: mb(before.heapTotal),
    heapTotalAfterMB: mb(after.heapTotal),
    heldLoads: HELD,
    heldLoadsMB: mb(held.rss - after.rss),

  })}`)
} finally {
  await server.close()
  await repo.dispose()
}
