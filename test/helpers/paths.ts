import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const FIXTURE_REPO = fileURLToPath(new URL('../fixtures/generated/repo/', import.meta.url))
/** Models for the scheduler's end-to-end tests (test/fixtures/make-fixtures.ts). */
export const SCHEDULER_REPO = fileURLToPath(new URL('../fixtures/generated/scheduler-repo/', import.meta.url))
export const SINGLE_MODEL = fileURLToPath(new URL('../fixtures/generated/single/double_it.onnx', import.meta.url))
export const EXAMPLES_REPO = fileURLToPath(new URL('../../examples/models/', import.meta.url))
/**
 * iris and text_orientation only, as links into examples/models (made by the global setup): for
 * protocol tests that need real example models but not the time every example takes to load.
 */
export const CORE_EXAMPLES_REPO = fileURLToPath(new URL('../fixtures/generated/core-examples/', import.meta.url))
