import { setupExamples } from '../scripts/setup-examples.js'
import { makeFixtures } from './fixtures/make-fixtures.js'

/**
 * Vitest global setup: produces the generated test fixtures (test/fixtures/generated) and the
 * example models (examples/models) once per run. Both steps skip work that is already done.
 */
export default async function setup (): Promise<void> {
  await makeFixtures()
  await setupExamples()
}
