import { ENSEMBLE_BACKEND } from '../pipeline/ensemble/ensemble-session.js'
import type { Backend } from './backend.js'
import { OnnxBackend } from './onnx/onnx-backend.js'
import { TfjsBackend } from './tfjs/tfjs-backend.js'
import { TypescriptBackend } from './typescript/typescript-backend.js'

/** Triton's platform strings that name a backend indirectly. */
const PLATFORM_ALIASES: Readonly<Record<string, string>> = Object.freeze({ onnxruntime_onnx: 'onnxruntime', tensorflowjs_graphmodel: 'tensorflowjs' })

/**
 * Backends by name, created lazily on first use so that a server with no model of a kind never
 * loads that kind's engine. Unknown names resolve to undefined; the repository reports them.
 */
export class BackendRegistry {
  readonly #factories = new Map<string, () => Backend>()
  readonly #instances = new Map<string, Backend>()

  register (name: string, factory: () => Backend): this {
    this.#factories.set(name, factory)
    return this
  }

  /** The backend for a config's `backend` or `platform` value. */
  get (nameOrPlatform: string): Backend | undefined {
    const name = PLATFORM_ALIASES[nameOrPlatform] ?? nameOrPlatform
    let backend = this.#instances.get(name)
    if (backend === undefined) {
      const factory = this.#factories.get(name)
      if (factory === undefined) return undefined
      backend = factory()
      this.#instances.set(name, backend)
    }
    return backend
  }

  names (): string[] {
    return [...this.#factories.keys()]
  }
}

/** The registry with every backend this build ships. */
export function defaultBackends (): BackendRegistry {
  return new BackendRegistry()
    .register('onnxruntime', () => new OnnxBackend())
    .register('tensorflowjs', () => new TfjsBackend())
    .register('typescript', () => new TypescriptBackend())
    .register('ensemble', () => ENSEMBLE_BACKEND) // names an ensemble's platform; never opens a file
}
