import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * Writes `data` to `path` (creating parent folders) unless the file already holds exactly these
 * bytes. The write goes to a sibling temp file first and is renamed into place, so a model
 * repository being scanned at the same time never sees half a file; leaving an unchanged file
 * alone keeps its mtime, so pollers see no spurious change.
 *
 * @returns true when the file was written, false when it was already up to date
 */
export async function writeFileIfChanged (path: string, data: Uint8Array | string): Promise<boolean> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data
  const current = await readFile(path).catch(() => undefined)
  if (current !== undefined && Buffer.compare(current, bytes) === 0) return false
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`
  await writeFile(tmp, bytes)
  await rename(tmp, path)
  return true
}
