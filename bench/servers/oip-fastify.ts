import Fastify from 'fastify'

/**
 * The HTTP half that the naive and the ceiling servers share, so the two differ only in whether
 * they run the model. It is the plain fastify a user would write:
 *
 * - fastify 5 with its defaults: no logger, fastify's own JSON body parser (JSON.parse);
 * - `POST /v2/models/:model/infer` takes an Open Inference Protocol JSON request with one FP32
 *   input whose `data` is a flat array, turns it into a Float32Array, calls `infer`, and returns
 *   the Open Inference Protocol JSON response as an object, which fastify serializes with
 *   JSON.stringify (`data` as a plain array of numbers);
 * - no validation beyond what a crash would catch: a malformed request is fastify's 500.
 *
 * On start it prints one JSON line `{"port": N}` on stdout (the bench reads it), and it exits on
 * SIGTERM or SIGINT.
 */

/** What a server does with one request's input. */
export type Infer = (x: Float32Array, shape: number[]) => Promise<{ data: Float32Array; shape: readonly number[]; name: string }>

interface OipRequest { inputs: Array<{ name: string; shape: number[]; datatype: string; data: number[] }> }

/** Serves `infer` on 127.0.0.1 at a free port. */
export async function serveOip (infer: Infer): Promise<void> {
  const app = Fastify()
  app.post<{ Params: { model: string }; Body: OipRequest }>('/v2/models/:model/infer', async (req) => {
    const input = req.body.inputs[0]!
    const out = await infer(Float32Array.from(input.data), input.shape)
    return {
      model_name: req.params.model,
      outputs: [{ name: out.name, datatype: 'FP32', shape: out.shape, data: Array.from(out.data) }],
    }
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  process.stdout.write(JSON.stringify({ port }) + '\n')
  const stop = (): void => { void app.close().then(() => process.exit(0)) }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}
