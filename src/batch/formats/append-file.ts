import { type FileHandle, open, stat, truncate } from 'node:fs/promises'
import { Errors, InferdError } from '../../errors/index.js'

/** How a writer opens its file. */
export interface AppendOpenOptions {
  /** Keep what the file holds and append after it. */
  readonly append?: boolean
  /** Keep exactly this many bytes (what a checkpoint recorded), then append: a resume. */
  readonly resumeAt?: number
}

/**
 * A file written only at its end, one awaited write at a time, with its size tracked: the
 * writers' common ground. `size` counts only bytes the OS has taken, so a checkpoint that
 * records it after a write resolved points at data that survives the process being killed.
 */
export class AppendFile {
  readonly path: string
  #fh: FileHandle
  #size: number

  private constructor (path: string, fh: FileHandle, size: number) {
    this.path = path
    this.#fh = fh
    this.#size = size
  }

  /** Opens fresh (emptied), for append, or for a resume at a recorded size. */
  static async open (path: string, options: AppendOpenOptions = {}): Promise<AppendFile> {
    try {
      if (options.resumeAt !== undefined) {
        const size = await stat(path).then((s) => s.size, () => -1)
        if (size < options.resumeAt) {
          throw new InferdError(Errors.BATCH_CHECKPOINT_MISMATCH, [path, `the file holds ${Math.max(size, 0)} bytes, fewer than the ${options.resumeAt} the checkpoint recorded (was it changed or removed?)`])
        }
        await truncate(path, options.resumeAt)
        return new AppendFile(path, await open(path, 'a'), options.resumeAt)
      }
      const fh = await open(path, options.append === true ? 'a' : 'w')
      return new AppendFile(path, fh, (await fh.stat()).size)
    } catch (err) {
      if (err instanceof InferdError) throw err
      throw new InferdError(Errors.BATCH_FILE_INVALID, ['output', path, (err as Error).message], { cause: err })
    }
  }

  get size (): number { return this.#size }

  async write (text: string): Promise<void> {
    if (text.length === 0) return
    const bytes = Buffer.from(text, 'utf8')
    try {
      let done = 0
      while (done < bytes.length) done += (await this.#fh.write(bytes, done, bytes.length - done)).bytesWritten
    } catch (err) {
      throw new InferdError(Errors.BATCH_OUTPUT_FAILED, [this.path, (err as Error).message], { cause: err })
    }
    this.#size += bytes.length
  }

  async close (): Promise<void> {
    await this.#fh.close().catch(() => {})
  }
}
