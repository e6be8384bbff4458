import { cp, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { EXAMPLES_REPO, ROOT } from './paths.js'

/**
 * A model repository in a temporary folder, for tests that change it while a server serves it.
 * Files are written aside and renamed into place, as a deploy tool replaces a model file, so a
 * poll never sees half a file.
 */
export class TempRepo {
  readonly root: string

  private constructor (root: string) { this.root = root }

  static async create (files: Readonly<Record<string, string | Uint8Array>> = {}): Promise<TempRepo> {
    const repo = new TempRepo(await mkdtemp(join(tmpdir(), 'inferd-e2e-repo-')))
    for (const [path, content] of Object.entries(files)) await repo.put(path, content)
    return repo
  }

  async put (path: string, content: string | Uint8Array): Promise<void> {
    const target = join(this.root, path)
    await mkdir(dirname(target), { recursive: true })
    const tmp = join(dirname(target), `.${Math.random().toString(36).slice(2)}.tmp`)
    await writeFile(tmp, content)
    await rename(tmp, target)
  }

  async remove (path: string): Promise<void> {
    await rm(join(this.root, path), { recursive: true, force: true })
  }

  async dispose (): Promise<void> {
    await rm(this.root, { recursive: true, force: true })
  }
}

/**
 * A fresh repository folder holding copies of the named example models (examples/models), for
 * tests that serve them. It lies inside the project (the git-ignored test/fixtures/generated), not
 * in the system temp folder: example modules (typescript-backend models, OCR glue steps) import
 * packages such as wink-nlp and sharp, which Node resolves from the module's own folder upwards.
 * The caller removes it.
 */
export async function copyExamples (prefix: string, models: readonly string[]): Promise<string> {
  const root = await mkdtemp(join(ROOT, 'test', 'fixtures', 'generated', prefix))
  for (const name of models) await cp(join(EXAMPLES_REPO, name), join(root, name), { recursive: true })
  return root
}

/** Polls `cond` until it holds; fails after `ms` with `what` and the last value seen. Never a timing assertion: only a bound. */
export async function waitUntil<T> (what: string, probe: () => Promise<T> | T, cond: (value: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms
  let last: T | undefined
  for (;;) {
    last = await probe()
    if (cond(last)) return last
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms (last: ${JSON.stringify(last)})`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** An add_sub request body (INPUT0 = 1..16, INPUT1 = 1 for each row): OUTPUT0[0] = 2 + offset. */
export function addSubBody (rows = 1, parameters?: Record<string, unknown>): Record<string, unknown> {
  const a = Array.from({ length: rows * 16 }, (_, i) => (i % 16) + 1)
  const b = Array.from({ length: rows * 16 }, () => 1)
  return {
    inputs: [
      { name: 'INPUT0', datatype: 'FP32', shape: [rows, 16], data: a },
      { name: 'INPUT1', datatype: 'FP32', shape: [rows, 16], data: b },
    ],
    outputs: [{ name: 'OUTPUT0' }],
    ...(parameters === undefined ? {} : { parameters }),
  }
}

/** The offset an add_sub response shows (see addSubBody), or undefined when it is not one. */
export function offsetOf (json: { outputs?: Array<{ name: string; data: number[] }> } | undefined): number | undefined {
  const out = json?.outputs?.find((o) => o.name === 'OUTPUT0')
  return out === undefined ? undefined : (out.data[0] as number) - 2
}
