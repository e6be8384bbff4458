import type { ModelVersion, VersionHooks } from './model-version.js'

/**
 * Several version hooks as one: `prepare` runs them in order (a failure retires those already
 * prepared, in reverse, and rethrows); `retire` runs them in reverse order.
 */
export function chainHooks (...hooks: readonly VersionHooks[]): VersionHooks {
  return {
    async prepare (version: ModelVersion) {
      const done: VersionHooks[] = []
      try {
        for (const h of hooks) { await h.prepare(version); done.push(h) }
      } catch (err) {
        for (const h of done.reverse()) await h.retire(version).catch(() => {})
        throw err
      }
    },
    async retire (version: ModelVersion) {
      for (const h of [...hooks].reverse()) await h.retire(version)
    },
  }
}
