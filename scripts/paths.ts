import { fileURLToPath } from 'node:url'

/** The repository root, found from this file's location so scripts work from any cwd. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The example model repository that `npm start` serves. */
export const EXAMPLES_DIR = fileURLToPath(new URL('../examples/models', import.meta.url))
