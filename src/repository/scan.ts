import type { Dirent } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import { MODEL_CONFIG_FILENAME, SINGLE_FILE_MODEL_EXTENSIONS } from '../config/constants.js'
import { Errors } from '../errors/codes.js'
import { InferdError } from '../errors/inferd-error.js'
import { versionsFromFolders } from './version-policy.js'

/**
 * Where a model lives: a folder of the repository (`<root>/<name>/config.yaml`,
 * `<root>/<name>/<version>/<file>`), or a repository root that is itself one model file.
 */
export type ModelSource =
  | { readonly kind: 'folder'; readonly name: string; readonly dir: string }
  | { readonly kind: 'file'; readonly name: string; readonly dir: string; readonly file: string }

/**
 * Lists the models of a repository root. A folder root yields its sub-folders that do not start
 * with '.' and hold a config.yaml or at least one version folder; others are reported through
 * `ignored` (and otherwise skipped). A root that is a model file yields one model named after the
 * file without its extension.
 *
 * @throws InferdError REPOSITORY_INVALID when the root is missing or neither a folder nor a model file
 */
export async function scanRepository (root: string, ignored: (name: string, why: string) => void = () => {}): Promise<ModelSource[]> {
  const info = await stat(root).catch((err: unknown) => {
    throw new InferdError(Errors.REPOSITORY_INVALID, [root, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (err as Error).message], { cause: err })
  })
  if (info.isFile()) {
    const ext = extname(root).toLowerCase()
    if (!SINGLE_FILE_MODEL_EXTENSIONS.includes(ext)) {
      throw new InferdError(Errors.REPOSITORY_INVALID, [root, `is neither a folder nor a model file (${SINGLE_FILE_MODEL_EXTENSIONS.join(', ')})`])
    }
    return [{ kind: 'file', name: basename(root, extname(root)), dir: dirname(root), file: root }]
  }
  if (!info.isDirectory()) throw new InferdError(Errors.REPOSITORY_INVALID, [root, 'is neither a folder nor a model file'])

  const models: ModelSource[] = []
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue
    const dir = join(root, entry.name)
    if (!await isDirectory(entry, dir)) continue
    if (await exists(join(dir, MODEL_CONFIG_FILENAME)) || (await listVersions(dir)).length > 0) {
      models.push({ kind: 'folder', name: entry.name, dir })
    } else {
      ignored(entry.name, `no ${MODEL_CONFIG_FILENAME} and no version folder`)
    }
  }
  return models.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** The version folders of a model folder (positive integer names that are folders), ascending. */
export async function listVersions (modelDir: string): Promise<number[]> {
  const entries = await readdir(modelDir, { withFileTypes: true }).catch(() => [])
  const folders: string[] = []
  for (const entry of entries) {
    if (await isDirectory(entry, join(modelDir, entry.name))) folders.push(entry.name)
  }
  return versionsFromFolders(folders)
}

/** Whether a path exists as a file (following links). */
export async function exists (path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false)
}

// Symbolic links are followed: a repository often links model folders in from elsewhere.
async function isDirectory (entry: Dirent, path: string): Promise<boolean> {
  if (entry.isDirectory()) return true
  if (!entry.isSymbolicLink()) return false
  return stat(path).then((s) => s.isDirectory(), () => false)
}
