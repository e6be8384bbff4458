import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The chunks of a distributed run on a shared file system: the single source of truth for what
 * is done. Redis only carries work to do; a chunk is done when its folder exists here.
 *
 *   <work dir>/chunk-000042/            committed: rows.jsonl, rejects.jsonl, meta.json
 *   <work dir>/.chunk-000042.<token>/   being written by one attempt
 *
 * An attempt writes its files into its own hidden folder, syncs them, then renames the folder to
 * its chunk's name. rename(2) of a folder onto an existing non-empty one fails, so the first
 * attempt to commit wins and every later one (a worker that died after committing but before
 * acknowledging the job, a stalled job taken over while its first worker was only slow) finds the
 * chunk committed and throws its own copy away. Either way the chunk's rows are in the output once.
 */

/** What a committed chunk records about itself (meta.json). */
export interface ChunkMeta {
  readonly index: number
  /** Input rows the chunk held (written + rejected). */
  readonly rows: number
  readonly written: number
  readonly rejected: number
  readonly modelVersion: string
  /** The output columns in order (the CSV header a single-process run writes). */
  readonly columns: readonly string[]
  /** Which worker committed it (host:pid), for the log. */
  readonly worker: string
  readonly seconds: number
}

export const ROWS_FILE = 'rows.jsonl'
export const REJECTS_FILE = 'rejects.jsonl'
const META_FILE = 'meta.json'

export function chunkName (index: number): string {
  return `chunk-${String(index).padStart(6, '0')}`
}

/** A folder to write one attempt of chunk `index` into; commit() or discard() it. */
export interface ChunkAttempt {
  readonly dir: string
  readonly rowsPath: string
  readonly rejectsPath: string
  /** Makes the chunk visible, once: 'committed' by this attempt, or 'already' by an earlier one (this copy is dropped). */
  commit (meta: ChunkMeta): Promise<'committed' | 'already'>
  discard (): Promise<void>
}

export class ChunkStore {
  readonly dir: string

  constructor (dir: string) { this.dir = dir }

  chunkDir (index: number): string { return join(this.dir, chunkName(index)) }

  /** The committed chunk's meta, or undefined while it is not committed. */
  async committed (index: number): Promise<ChunkMeta | undefined> {
    try {
      return JSON.parse(await readFile(join(this.chunkDir(index), META_FILE), 'utf8')) as ChunkMeta
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }

  /** Indexes of every committed chunk. */
  async committedIndexes (): Promise<Set<number>> {
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[]
      throw err
    })
    const out = new Set<number>()
    for (const name of names) {
      const m = /^chunk-(\d+)$/.exec(name)
      if (m !== null) out.add(Number(m[1]))
    }
    return out
  }

  /**
   * Starts an attempt. The store's folder must exist (the coordinator makes it): a worker never
   * recreates the folder of a run that has finished or been cancelled.
   */
  async begin (index: number): Promise<ChunkAttempt> {
    const storeDir = this.dir
    const dir = join(this.dir, `.${chunkName(index)}.${randomBytes(6).toString('hex')}`)
    await mkdir(dir)
    const final = this.chunkDir(index)
    const rowsPath = join(dir, ROWS_FILE)
    const rejectsPath = join(dir, REJECTS_FILE)
    return {
      dir,
      rowsPath,
      rejectsPath,
      async commit (meta) {
        await writeSynced(join(dir, META_FILE), JSON.stringify(meta) + '\n')
        await Promise.all([syncFile(rowsPath), syncFile(rejectsPath)])
        try {
          await rename(dir, final)
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code
          if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err
          await rm(dir, { recursive: true, force: true })
          return 'already'
        }
        await syncDir(storeDir)
        return 'committed'
      },
      async discard () { await rm(dir, { recursive: true, force: true }) },
    }
  }

  /** Creates the folder (coordinator only). */
  async create (): Promise<void> { await mkdir(this.dir, { recursive: true }) }

  /** Removes the folder and everything in it: the run is assembled, or starts over. */
  async destroy (): Promise<void> { await rm(this.dir, { recursive: true, force: true }) }
}

async function writeSynced (path: string, text: string): Promise<void> {
  const fh = await open(path, 'w')
  try {
    await fh.writeFile(text)
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** fsync a file the attempt wrote; a missing one (no rejects) is fine. */
async function syncFile (path: string): Promise<void> {
  let fh
  try {
    fh = await open(path, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  try { await fh.sync() } finally { await fh.close() }
}

/** fsync a folder so a rename in it survives a power cut (best effort: not every file system allows it). */
async function syncDir (path: string): Promise<void> {
  try {
    const fh = await open(path, 'r')
    try { await fh.sync() } finally { await fh.close() }
  } catch { /* a folder that cannot be synced (some network file systems): the rename still happened */ }
}
