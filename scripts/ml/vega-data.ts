import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { parseCsv } from './csv.js'

/**
 * The real data sets the tabular examples train on come from the `vega-datasets` npm package
 * (a dependency). Its exports name only the code entry, so its data/ folder is found from there.
 */
export function vegaDataPath (file: string): string {
  const entry = createRequire(import.meta.url).resolve('vega-datasets')
  return join(dirname(entry), '..', 'data', file)
}

/** The vega-datasets version the data came from, for reports. */
export async function vegaDataVersion (): Promise<string> {
  const pkg = JSON.parse(await readFile(join(vegaDataPath(''), '..', 'package.json'), 'utf8')) as { version: string }
  return pkg.version
}

/** A JSON data set: an array of records. */
export async function readVegaJson (file: string): Promise<Record<string, unknown>[]> {
  const data: unknown = JSON.parse(await readFile(vegaDataPath(file), 'utf8'))
  if (!Array.isArray(data)) throw new Error(`vega-datasets ${file}: expected an array of records`)
  return data as Record<string, unknown>[]
}

/** A CSV data set: one record per row, every value a string. */
export async function readVegaCsv (file: string): Promise<Record<string, string>[]> {
  return parseCsv(await readFile(vegaDataPath(file), 'utf8'))
}
