import type { Backend, BackendLogger, ModelSession, SessionOptions } from '../backend.js'
import { readGraphModel } from './model-files.js'
import { declaredSignature } from './signature.js'
import { loadTfjs } from './tfjs-runtime.js'
import { TfjsSession } from './tfjs-session.js'

/**
 * The TensorFlow.js backend: serves TF.js graph models (`model.json` plus its weight shards, as
 * `tensorflowjs_converter --output_format=tfjs_graph_model` writes them) on TF.js's WebAssembly
 * backend. Config: `backend: tensorflowjs` (or `platform: tensorflowjs_graphmodel`).
 *
 * The model's signature is read from model.json, so a config may leave out `input`/`output`
 * as it can for ONNX. Computing blocks the calling thread as onnxruntime does; the scheduler
 * measures the model when it loads and moves a slow one to worker threads (each opens its own
 * copy through the backend registry), so inference runs off the event loop.
 *
 * SessionOptions (onnxruntime's threads, graph optimisation, execution providers) do not apply:
 * TF.js's wasm backend runs one thread per instance under Node (see tfjs-runtime.ts).
 */
export class TfjsBackend implements Backend {
  readonly name = 'tensorflowjs'
  readonly platform = 'tensorflowjs_graphmodel'
  readonly defaultModelFilename = 'model.json'

  async open (path: string, _options: SessionOptions, _logger: BackendLogger): Promise<ModelSession> {
    const tf = await loadTfjs()
    const { json, artifacts } = await readGraphModel(tf, path)
    const model = await tf.loadGraphModel(tf.io.fromMemory(artifacts))
    try {
      return new TfjsSession(tf, model, declaredSignature(json, model.inputNodes, model.outputNodes))
    } catch (err) {
      model.dispose()
      throw err
    }
  }
}
