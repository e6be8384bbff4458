import { mkdir, rm, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { setupExamples } from '../scripts/setup-examples.js'
import { makeFixtures } from './fixtures/make-fixtures.js'
import { CORE_EXAMPLES_REPO, EXAMPLES_REPO } from './helpers/paths.js'

/**
 * Vitest global setup: produces the generated test fixtures (test/fixtures/generated) and the
 * example models (examples/models) once per run. Both steps skip work that is already done.
 */
export default async function setup (): Promise<void> {
  await makeFixtures()
  await setupExamples()
  await rm(CORE_EXAMPLES_REPO, { recursive: true, force: true })
  await mkdir(CORE_EXAMPLES_REPO, { recursive: true })
  for (const model of ['iris', 'text_orientation']) await symlink(join(EXAMPLES_REPO, model), join(CORE_EXAMPLES_REPO, model), 'dir')
}
