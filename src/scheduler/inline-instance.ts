import type { ModelSession } from '../backends/backend.js'
import type { Tensor } from '../core/tensor.js'
import { Errors, InferdError } from '../errors/index.js'
import type { ExecutionInstance, RunMarks } from './execution-instance.js'

/**
 * Runs batches on the event loop's own thread, through the session the repository opened.
 * Chosen for models whose batches compute faster than a thread hand-off costs (see
 * execution-mode.ts). The session belongs to the repository, which closes it.
 */
export class InlineInstance implements ExecutionInstance {
  readonly kind = 'inline'
  readonly #session: ModelSession
  readonly #model: string

  constructor (model: string, session: ModelSession) {
    this.#model = model
    this.#session = session
  }

  ready (): boolean { return true }
  onReady (): void {}

  async run (inputs: readonly Tensor[], outputNames: readonly string[], marks?: RunMarks): Promise<Tensor[]> {
    try {
      if (marks !== undefined) marks.inferStart = process.hrtime.bigint()
      const outputs = await this.#session.run(inputs, outputNames)
      if (marks !== undefined) marks.inferEnd = process.hrtime.bigint()
      return outputs
    } catch (err) {
      if (err instanceof InferdError) throw err
      throw new InferdError(Errors.BACKEND_FAILED, [this.#model, (err as Error).message], { cause: err })
    }
  }

  async close (): Promise<void> {}
}
