import { lstat, readlink, realpath, stat } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, resolve } from 'node:path'
import { isInsideFolder } from '../../core/inside-folder.js'
import { Errors, InferdError } from '../../errors/index.js'

/**
 * The folders batch jobs may read and write (`--batch-allow-dir`). A job names server-side files,
 * so without a fence a client could read any file the server can (`/etc/shadow` as "input") or
 * overwrite one (its output). Each path is checked by where it really is: `..` is resolved, and
 * so is every symbolic link (a link inside an allowed folder pointing out of it is refused); the
 * job then uses the resolved path, so what was checked is what is opened. A file swapped for a
 * link between the check and the open is outside this fence's reach; keep the allowed folders
 * writable only by whoever may submit jobs.
 *
 * Paths must be absolute: a relative one would depend on the server's working directory, which
 * the client does not know.
 */
export class PathAllowList {
  readonly #dirs: readonly string[]

  private constructor (dirs: readonly string[]) { this.#dirs = dirs }

  /**
   * @param dirs folders as configured; each must exist (resolved to its real path once, here)
   * @throws InferdError CONFIG_INVALID for a folder that does not exist or is not a folder
   */
  static async create (dirs: readonly string[]): Promise<PathAllowList> {
    const real: string[] = []
    for (const dir of dirs) {
      try {
        const r = await realpath(resolve(dir))
        if (!(await stat(r)).isDirectory()) throw new Error('not a folder')
        real.push(r)
      } catch (err) {
        throw new InferdError(Errors.CONFIG_INVALID, [`batchAllowDirs: '${dir}': ${reason(err)}`])
      }
    }
    return new PathAllowList(real)
  }

  get dirs (): readonly string[] { return this.#dirs }
  get enabled (): boolean { return this.#dirs.length > 0 }

  /** True when the (real, absolute) path lies strictly inside an allowed folder. */
  contains (path: string): boolean {
    return this.#dirs.some((dir) => isInsideFolder(dir, path))
  }

  /**
   * An existing regular file to read, as its real path.
   * @param what how the error names the path ('input')
   * @throws InferdError JOB_PATH_INVALID (relative, missing, not a file), JOB_PATH_FORBIDDEN (outside)
   */
  async readable (what: string, path: string): Promise<string> {
    const absolute = checkAbsolute(what, path)
    let real: string
    try {
      real = await realpath(absolute)
    } catch (err) {
      // Outside the fence, say so rather than whether the file exists: no probing of the server's disk.
      if (!this.contains(absolute)) throw forbidden(what, path)
      throw new InferdError(Errors.JOB_PATH_INVALID, [what, path, reason(err)])
    }
    if (!this.contains(real)) throw forbidden(what, path)
    if (!(await stat(real)).isFile()) throw new InferdError(Errors.JOB_PATH_INVALID, [what, path, 'not a regular file'])
    return real
  }

  /**
   * A file to write (created or replaced), as its real path: its folder must exist; the file
   * itself may not, but when it does it must be a regular file (through links, still inside).
   * @throws InferdError JOB_PATH_INVALID, JOB_PATH_FORBIDDEN
   */
  async writable (what: string, path: string): Promise<string> {
    const absolute = checkAbsolute(what, path)
    let real: string
    try {
      real = join(await realpath(dirname(absolute)), basename(absolute))
    } catch (err) {
      if (!this.contains(absolute)) throw forbidden(what, path)
      throw new InferdError(Errors.JOB_PATH_INVALID, [what, path, `its folder: ${reason(err)}`])
    }
    const existing = await lstat(real).catch(() => undefined)
    if (existing?.isSymbolicLink() === true) {
      // A link is followed when the file is opened: check where it leads. A dangling link would
      // create its target, wherever that is, so it is refused.
      try {
        real = await realpath(real)
      } catch {
        const target = resolve(dirname(real), await readlink(real))
        if (!this.contains(target)) throw forbidden(what, path)
        throw new InferdError(Errors.JOB_PATH_INVALID, [what, path, 'a symbolic link to nothing'])
      }
    }
    if (!this.contains(real)) throw forbidden(what, path)
    const target = existing?.isSymbolicLink() === true ? await stat(real) : existing
    if (target !== undefined && !target.isFile()) throw new InferdError(Errors.JOB_PATH_INVALID, [what, path, 'not a regular file'])
    return real
  }
}

function checkAbsolute (what: string, path: string): string {
  if (path === '' || !isAbsolute(path)) throw new InferdError(Errors.JOB_PATH_INVALID, [what, path, 'must be an absolute path on the server'])
  return resolve(path)
}

function forbidden (what: string, path: string): InferdError {
  return new InferdError(Errors.JOB_PATH_FORBIDDEN, [what, path])
}

function reason (err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return 'does not exist'
  if (code === 'ENOTDIR') return 'a part of it is not a folder'
  if (code === 'EACCES') return 'permission denied'
  return (err as Error).message
}
