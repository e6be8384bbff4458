import { readFile } from 'node:fs/promises'
import { type Static, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { Cron } from 'croner'
import { parse } from 'yaml'
import { Errors, InferdError } from '../../errors/index.js'
import { BATCH_FORMATS } from '../formats/index.js'

const ScheduleEntrySchema = Type.Object({
  /** Unique; names the schedule's runs and jobs. */
  name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }),
  /** Cron expression, 5 fields (minute first) or 6 (seconds first), as croner reads it. */
  cron: Type.String({ minLength: 1 }),
  /** IANA time zone for the expression (default: the server's). */
  timezone: Type.Optional(Type.String({ minLength: 1 })),
  model: Type.String({ minLength: 1 }),
  version: Type.Optional(Type.String({ minLength: 1 })),
  input: Type.String({ minLength: 1 }),
  output: Type.String({ minLength: 1 }),
  rejects: Type.Optional(Type.String({ minLength: 1 })),
  format: Type.Optional(Type.Union(BATCH_FORMATS.map((f) => Type.Literal(f)))),
  batch_size: Type.Optional(Type.Integer({ minimum: 1 })),
  max_rejects: Type.Optional(Type.Integer({ minimum: 0 })),
  keep: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  /** Skip a run when neither the input (mtime, size) nor the served model version changed since the last success (default true). */
  skip_unchanged: Type.Optional(Type.Boolean()),
}, { additionalProperties: false })

const ScheduleFileSchema = Type.Object({
  schedules: Type.Array(ScheduleEntrySchema),
}, { additionalProperties: false })

export type ScheduleEntry = Static<typeof ScheduleEntrySchema>

/**
 * Reads the `--job-schedules` file:
 *
 *   schedules:
 *     - name: iris-nightly
 *       cron: "0 2 * * *"          # croner syntax; 6 fields = with seconds
 *       model: iris
 *       input: /data/in/iris.csv
 *       output: /data/out/iris-scored.csv
 *
 * Every mistake (unknown key, bad cron expression, a name used twice) fails start-up with
 * CONFIG_INVALID naming the schedule: a schedule that silently never fires is worse than none.
 */
export async function loadScheduleFile (file: string): Promise<ScheduleEntry[]> {
  let doc: unknown
  try {
    doc = parse(await readFile(file, 'utf8'))
  } catch (err) {
    throw invalid(file, (err as Error).message)
  }
  const first = Value.Errors(ScheduleFileSchema, doc).First()
  if (first !== undefined) throw invalid(file, `${first.path || '(root)'}: ${first.message}`)
  const entries = (doc as Static<typeof ScheduleFileSchema>).schedules
  const seen = new Set<string>()
  for (const e of entries) {
    if (seen.has(e.name)) throw invalid(file, `schedule '${e.name}' is defined twice`)
    seen.add(e.name)
    try {
      new Cron(e.cron, { paused: true, ...(e.timezone === undefined ? {} : { timezone: e.timezone }) }).stop()
    } catch (err) {
      throw invalid(file, `schedule '${e.name}': cron '${e.cron}': ${(err as Error).message}`)
    }
  }
  return entries
}

function invalid (file: string, why: string): InferdError {
  return new InferdError(Errors.CONFIG_INVALID, [`jobSchedules '${file}': ${why}`])
}
