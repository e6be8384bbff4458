import { Errors, InferdError } from '../errors/index.js'
import type { InputStage, OutputStage } from '../pipeline/stages.js'
import type { Row } from './formats/row.js'

/** The column that carries each output row's input row number (0-based, header not counted). */
export const ROW_COLUMN = 'row'

/** What a mapping needs of a model's friendly face (its Pipeline). */
export interface FriendlyFace {
  readonly model: string
  readonly inputs: readonly InputStage[]
  readonly outputs: readonly OutputStage[]
}

/**
 * Rows of a data file ↔ a model's predict fields, so a file is scored through exactly what
 * `/predict` runs (pre-processing, model, post-processing), one micro-batch per call.
 */
export interface RowMapping {
  /** Output columns in order: `row`, the kept input columns, then the prediction columns. */
  readonly columns: readonly string[]
  /** A micro-batch of rows → the predict fields (a list per field, one item per row). */
  toFields (rows: readonly Row[]): Record<string, unknown>
  /** The answer to `toFields(rows)` → one output row per input row, numbered `rowNumbers`. */
  toOutputRows (rowNumbers: readonly number[], rows: readonly Row[], fields: Readonly<Record<string, unknown>>): Row[]
}

/** Input kinds whose items are text: a CSV cell that looks like a number is still their text. */
const TEXT_KINDS: ReadonlySet<string> = new Set(['text', 'string', 'bytes'])

/**
 * Builds the mapping for a model's face.
 *
 * Inputs: a pipeline with one `record` input takes each row as a record (its columns are the
 * record's fields; extra columns are ignored). Otherwise each field is the column of the same
 * name: text fields take the cell as text, tensor fields take numbers, or JSON text holding
 * nested lists (how a CSV carries a vector).
 *
 * Outputs: `classes` → `<name>` (the label) and `<name>_score`; `ctc` → `<name>` (the text) and
 * `<name>_confidence`; a single number or text as itself; anything else (lists, objects) as JSON
 * text, so that every format, CSV included, holds it in one cell.
 *
 * @throws InferdError MODEL_CONFIG_INVALID when a kept column has the name of an output column
 */
export function createRowMapping (face: FriendlyFace, options: { readonly keep?: readonly string[] } = {}): RowMapping {
  const keep = options.keep ?? []
  const outputs = face.outputs.map((stage) => outputColumns(stage))
  const predicted = outputs.flatMap((o) => o.columns)
  const columns = [ROW_COLUMN, ...keep, ...predicted]
  const clash = columns.find((c, i) => columns.indexOf(c) !== i)
  if (clash !== undefined) throw new InferdError(Errors.MODEL_CONFIG_INVALID, [face.model, `batch: column '${clash}' would appear twice in the output (--keep a column of another name)`])
  const [only, ...others] = face.inputs
  const recordRows = only !== undefined && others.length === 0 && only.kind === 'record'

  return {
    columns,
    toFields (rows) {
      if (recordRows) return { [(only as InputStage).name]: rows }
      const fields: Record<string, unknown> = {}
      for (const stage of face.inputs) {
        const text = TEXT_KINDS.has(stage.kind)
        fields[stage.name] = rows.map((row) => cellValue(row[stage.name], text))
      }
      return fields
    },
    toOutputRows (rowNumbers, rows, fields) {
      const lists = outputs.map((o) => {
        const list = fields[o.name]
        if (!Array.isArray(list) || list.length !== rows.length) {
          throw new InferdError(Errors.INTERNAL, [`batch: output '${o.name}' holds ${Array.isArray(list) ? list.length : 'no list of'} answers for ${rows.length} rows`])
        }
        return list as unknown[]
      })
      return rows.map((row, r) => {
        const out: Row = { [ROW_COLUMN]: rowNumbers[r] }
        for (const k of keep) out[k] = Object.hasOwn(row, k) ? scalar(row[k]) : null
        outputs.forEach((o, i) => o.write(out, lists[i]?.[r]))
        return out
      })
    },
  }
}

interface OutputColumns {
  readonly name: string
  readonly columns: readonly string[]
  write (out: Row, value: unknown): void
}

function outputColumns (stage: OutputStage): OutputColumns {
  const name = stage.name
  switch (stage.kind) {
    case 'classes':
      return {
        name,
        columns: [name, `${name}_score`],
        write (out, v) {
          const c = v as { label: string | null; score: number }
          out[name] = c.label
          out[`${name}_score`] = c.score
        },
      }
    case 'ctc':
      return {
        name,
        columns: [name, `${name}_confidence`],
        write (out, v) {
          const c = v as { text: string; confidence: number }
          out[name] = c.text
          out[`${name}_confidence`] = c.confidence
        },
      }
    default:
      return { name, columns: [name], write (out, v) { out[name] = scalar(v) } }
  }
}

/** A value as one cell: numbers, text, booleans and null as they are; anything else as JSON text. */
function scalar (v: unknown): unknown {
  if (v === undefined || v === null) return null
  if (typeof v === 'bigint') return Number(v)
  if (typeof v === 'object') return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x))
  return v
}

/** A cell as a field item: text fields take text; JSON lists written in a cell become lists. */
function cellValue (v: unknown, text: boolean): unknown {
  if (text) return typeof v === 'number' || typeof v === 'boolean' ? String(v) : v
  if (typeof v === 'string') {
    const s = v.trimStart()
    if (s.startsWith('[')) {
      try { return JSON.parse(s) as unknown } catch { return v }
    }
  }
  return v
}
