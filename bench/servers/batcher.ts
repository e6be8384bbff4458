/**
 * The least a batching server can do: the naive server's HTTP half (bench/servers/oip-fastify.ts)
 * with the requests that arrive in one event-loop turn gathered into one `session.run`, the way
 * inferd's dynamic batcher forms batches at its default settings, and nothing else: no
 * validation beyond what a crash catches, no priorities, queue limits, timeouts, cancellation,
 * statistics or error mapping. Its session computes on the event loop on one non-spinning
 * intra-op thread, as inferd's inline sessions do. Not a comparison point the targets name: it
 * shows how far batching on this framework and machine can go at all, and so what part of
 * inferd's distance to the ceiling is its own.
 *
 *   node --import tsx bench/servers/batcher.ts <model.onnx>
 */
import ort from 'onnxruntime-node'
import { serveOip } from './oip-fastify.js'

const modelPath = process.argv[2]
if (modelPath === undefined) {
  process.stderr.write('usage: batcher.ts <model.onnx>\n')
  process.exit(2)
}
const session = await ort.InferenceSession.create(modelPath, {
  intraOpNumThreads: 1,
  extra: { session: { intra_op: { allow_spinning: '0' } } },
})
const inputName = session.inputNames[0]!
const outputName = session.outputNames[0]!

interface Waiting { readonly x: Float32Array; readonly resolve: (y: Float32Array) => void; readonly reject: (e: unknown) => void }
let queue: Waiting[] = []

/** One batch of everything queued: rows concatenated, one run, each request its own rows back. */
function runBatch (): void {
  const items = queue
  queue = []
  const width = items[0]!.x.length
  const x = new Float32Array(items.length * width)
  items.forEach((it, i) => x.set(it.x, i * width))
  session.run({ [inputName]: new ort.Tensor('float32', x, [items.length, width]) }).then((result) => {
    const y = result[outputName]!.data as Float32Array
    const out = y.length / items.length
    items.forEach((it, i) => it.resolve(y.subarray(i * out, (i + 1) * out)))
  }, (err: unknown) => { for (const it of items) it.reject(err) })
}

await serveOip(async (x, shape) => {
  const y = await new Promise<Float32Array>((resolve, reject) => {
    if (queue.push({ x, resolve, reject }) === 1) setImmediate(runBatch)
  })
  return { name: outputName, data: y, shape: [shape[0] ?? 1, y.length] }
})
