/**
 * The HTTP/JSON ceiling: the naive server without the model. Same fastify, same JSON parsing of
 * the same request, same conversion to a Float32Array, and a response of the same form and size
 * (the first `outputWidth` values of each input row stand in for the model's outputs: random
 * float32 values print as many digits as the model's outputs do), but no inference. No server
 * that answers the same JSON over the same framework can be faster; inferd's overhead above it
 * is what its scheduler and codec cost.
 *
 *   node --import tsx bench/servers/ceiling.ts <output-width> [output-name]
 */
import { serveOip } from './oip-fastify.js'

const width = Number(process.argv[2])
const outputName = process.argv[3] ?? 'y'
if (!Number.isInteger(width) || width < 1) {
  process.stderr.write('usage: ceiling.ts <output-width> [output-name]\n')
  process.exit(2)
}

await serveOip(async (x, shape) => {
  const rows = shape[0] ?? 1
  const rowLength = rows > 0 ? x.length / rows : 0
  const data = new Float32Array(rows * width)
  for (let r = 0; r < rows; r++) data.set(x.subarray(r * rowLength, r * rowLength + width), r * width)
  return { name: outputName, data, shape: [rows, width] }
})
