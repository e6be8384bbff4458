import { type MockInstance, vi } from 'vitest'
import type { ModelScheduler } from '../../src/scheduler/model-scheduler.js'
import { SchedulerRegistry } from '../../src/scheduler/scheduler-registry.js'
import type { InferdServer } from '../../src/server.js'

/**
 * Reaches the ModelScheduler of a model served by a real in-process server, without the server
 * exposing it: a spy on `SchedulerRegistry.prototype.prepare` (which calls through unchanged)
 * records each registry as `this` of its calls. Install it before `startServer`; `restore()`
 * after the server is closed.
 */
export function spyOnSchedulers (): { of: (server: InferdServer, model: string) => ModelScheduler; restore: () => void } {
  const prepare: MockInstance<SchedulerRegistry['prepare']> = vi.spyOn(SchedulerRegistry.prototype, 'prepare')
  return {
    of (server, model) {
      const version = server.repository.get(model)
      for (const registry of new Set(prepare.mock.contexts)) {
        const runtime = (registry as SchedulerRegistry).get(version)
        if (runtime !== undefined) return runtime.scheduler
      }
      throw new Error(`no scheduler found for model '${model}'`)
    },
    restore: () => prepare.mockRestore(),
  }
}
