import type { Stats } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModelSource } from './scan.js'
import { parseVersionFolder } from './version-policy.js'

/**
 * What a model's files look like now, as strings that differ whenever a file is added, removed,
 * replaced or rewritten: each file contributes its relative path, size, modification time and
 * inode (a file replaced by rename keeps its size and may keep its mtime to the millisecond, but
 * not its inode). Contents are never read, so a poll costs a `readdir` and a `stat` per file.
 *
 * Files of a version folder (`<model>/3/...`) belong to that version; everything else in the
 * model folder (config.yaml, label files, `warmup/`) belongs to the model as a whole, so a change
 * there reloads every version while a change in one version folder reloads that version only.
 */
export interface ModelFingerprint {
  /** The files outside the version folders. */
  readonly model: string
  /** One entry per version folder, '' for an empty one. */
  readonly versions: ReadonlyMap<number, string>
  /** All of it: equal wholes mean nothing changed. */
  readonly whole: string
}

/** Folders nested deeper than this inside a model folder are not looked into. */
const MAX_DEPTH = 6

/** Fingerprints a model's files (see {@link ModelFingerprint}). A missing folder has an empty fingerprint. */
export async function fingerprintModel (source: ModelSource): Promise<ModelFingerprint> {
  if (source.kind === 'file') {
    const info = await stat(source.file).catch(() => undefined)
    const one = info === undefined ? '' : describe('', info)
    return make('', new Map([[1, one]]))
  }
  const model: string[] = []
  const versions = new Map<number, string[]>()
  for (const entry of await list(source.dir)) {
    const path = join(source.dir, entry)
    const info = await stat(path).catch(() => undefined)
    if (info === undefined) continue
    const version = info.isDirectory() ? parseVersionFolder(entry) : undefined
    if (version !== undefined) {
      const lines: string[] = []
      await walk(path, entry, 1, lines)
      versions.set(version, lines)
    } else if (info.isDirectory()) {
      await walk(path, entry, 1, model)
    } else {
      model.push(describe(entry, info))
    }
  }
  return make(model.join('\n'), new Map([...versions].map(([v, lines]) => [v, lines.join('\n')])))
}

function make (model: string, versions: Map<number, string>): ModelFingerprint {
  const parts = [model, ...[...versions].sort((a, b) => a[0] - b[0]).map(([v, s]) => `[${v}]\n${s}`)]
  return { model, versions, whole: parts.join('\n') }
}

async function walk (dir: string, rel: string, depth: number, out: string[]): Promise<void> {
  if (depth > MAX_DEPTH) return
  for (const entry of await list(dir)) {
    const path = join(dir, entry)
    const info = await stat(path).catch(() => undefined)
    if (info === undefined) continue
    if (info.isDirectory()) await walk(path, `${rel}/${entry}`, depth + 1, out)
    else out.push(describe(`${rel}/${entry}`, info))
  }
}

// Dot files are skipped, as the scanner skips dot folders: editors and copy tools leave
// temporary ones (`.model.onnx.swp`, `.tmp-xyz`) that must not trigger reloads.
async function list (dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[])
  return names.filter((n) => !n.startsWith('.')).sort()
}

function describe (rel: string, info: Stats): string {
  return `${rel}\t${info.size}\t${info.mtimeMs}\t${info.ino}`
}
