import type { InferenceRequest, InferenceResponse } from '../core/inference.js'
import { validateRequest } from '../core/validate.js'
import { Errors, InferdError } from '../errors/index.js'
import type { ModelRepository } from '../repository/repository.js'
import { applyClassification } from './classification.js'
import { reshapeInputs, reshapeOutputs } from './reshape.js'

/**
 * The protocol-independent data path of one request: resolve the model version, validate the
 * request against its signature (nothing malformed reaches the engine), run it, and shape the
 * response. Engine failures become INFERD_ERR_BACKEND_FAILED (500) with the engine's message.
 *
 * Draining: `close()` stops intake (new requests get SHUTTING_DOWN) and resolves once every
 * request in flight has settled.
 */
export class InferenceEngine {
  readonly #repository: ModelRepository
  #inFlight = 0
  #closing = false
  #drained: (() => void) | undefined

  constructor (repository: ModelRepository) {
    this.#repository = repository
  }

  async infer (req: InferenceRequest): Promise<InferenceResponse> {
    if (this.#closing) throw new InferdError(Errors.SHUTTING_DOWN)
    const model = this.#repository.get(req.modelName, req.modelVersion)
    validateRequest(req, model.name, model.signature)
    const outputNames = req.outputs?.map((o) => o.name) ?? model.signature.outputs.map((o) => o.name)
    this.#inFlight++
    try {
      const raw = await model.session.run(reshapeInputs(req.inputs, model.config), outputNames).catch((err: unknown) => {
        // A backend that already classified its failure (data it cannot carry, say) keeps its code.
        if (err instanceof InferdError) throw err
        throw new InferdError(Errors.BACKEND_FAILED, [model.name, (err as Error).message], { cause: err })
      })
      const outputs = applyClassification(reshapeOutputs(raw, model.config), req.outputs, model.labels, model.signature.maxBatchSize > 0)
      return {
        ...(req.id === undefined ? {} : { id: req.id }),
        modelName: model.name,
        modelVersion: model.version,
        outputs,
      }
    } finally {
      if (--this.#inFlight === 0) this.#drained?.()
    }
  }

  get inFlight (): number { return this.#inFlight }

  async close (): Promise<void> {
    this.#closing = true
    if (this.#inFlight > 0) await new Promise<void>((resolve) => { this.#drained = resolve })
  }
}
