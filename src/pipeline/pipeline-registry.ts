import type { ModelVersion, VersionHooks } from '../repository/model-version.js'
import { buildPipeline, defaultPipeline } from './build-pipeline.js'
import type { Pipeline } from './pipeline.js'

/**
 * The pipelines of the versions being served, built when a version is prepared (so a bad
 * `pipeline:` section keeps the version from turning READY) and dropped when it retires.
 */
export class PipelineRegistry implements VersionHooks {
  readonly #configured = new WeakMap<ModelVersion, Pipeline>()
  readonly #defaults = new WeakMap<ModelVersion, Pipeline>()

  async prepare (model: ModelVersion): Promise<void> {
    const pipeline = await buildPipeline(model)
    if (pipeline !== undefined) this.#configured.set(model, pipeline)
  }

  async retire (model: ModelVersion): Promise<void> {
    this.#configured.delete(model)
    this.#defaults.delete(model)
  }

  /** The version's configured pipeline, if its config has one. */
  configured (model: ModelVersion): Pipeline | undefined {
    return this.#configured.get(model)
  }

  /** The friendly face: the configured pipeline, else one derived from the signature (made once). */
  friendly (model: ModelVersion): Pipeline {
    let p = this.#configured.get(model) ?? this.#defaults.get(model)
    if (p === undefined) {
      p = defaultPipeline(model)
      this.#defaults.set(model, p)
    }
    return p
  }
}
