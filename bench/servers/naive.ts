/**
 * The naive server: what a user writes alone with fastify and onnxruntime-node, the baseline
 * inferd must beat. One `session.run` per request, on the event loop, with onnxruntime's default
 * session options (its default intra-op thread pool: on 2 cores, 2 spinning threads). No batching,
 * no queue, no worker threads. The HTTP side is bench/servers/oip-fastify.ts.
 *
 *   node --import tsx bench/servers/naive.ts <model.onnx>
 */
import ort from 'onnxruntime-node'
import { serveOip } from './oip-fastify.js'

const modelPath = process.argv[2]
if (modelPath === undefined) {
  process.stderr.write('usage: naive.ts <model.onnx>\n')
  process.exit(2)
}
const session = await ort.InferenceSession.create(modelPath)
const inputName = session.inputNames[0]!
const outputName = session.outputNames[0]!

await serveOip(async (x, shape) => {
  const result = await session.run({ [inputName]: new ort.Tensor('float32', x, shape) })
  const y = result[outputName]!
  return { name: outputName, data: y.data as Float32Array, shape: y.dims }
})
