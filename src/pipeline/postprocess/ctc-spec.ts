import { Errors } from '../../errors/codes.js'
import { InferdError } from '../../errors/inferd-error.js'

/**
 * The `ctc:` settings of a pipeline output of kind `ctc`, as written in config.yaml: how the
 * classes of a `[N, T, C]` sequence output map to text.
 *
 * The class list is built as: the labels file's lines in order, skipping over the `blank` index,
 * then a space class when `append_space` is set. PaddleOCR's recognisers fit this with
 * `{ blank: 0, append_space: true }`: class 0 is the blank, line i of ppocr_keys_v1.txt is class
 * i + 1, and the last class (6624 of 6625) is a space that the dictionary file does not list.
 */
export interface CtcSpec {
  /** Labels file, one label a line, relative to the model folder. */
  readonly labels: string
  /** Class index of the CTC blank. Default 0. */
  readonly blank?: number
  /** A space class follows the file's labels (PaddleOCR's `use_space_char`). Default false. */
  readonly append_space?: boolean
  /** A label read as a space, for vocabularies that spell it out (wav2vec2's `|`). */
  readonly word_delimiter?: string
  /**
   * Drop spaces read at either end. A line letterboxed into a fixed width (the image processor's
   * `resize: contain`) is sometimes read with a space in the padding. Default false.
   */
  readonly trim?: boolean
}

const KEYS: ReadonlySet<string> = new Set(['labels', 'blank', 'append_space', 'word_delimiter', 'trim'])

/**
 * Checks an untrusted value (parsed from config.yaml) against {@link CtcSpec}, so that a bad spec
 * fails when the model loads. Whether the labels file exists and matches the output's class count
 * is checked when it is read ({@link ctcVocabulary}).
 *
 * @throws InferdError MODEL_CONFIG_INVALID naming the field and what is wrong with it.
 */
export function validateCtcSpec (value: unknown, model: string): CtcSpec {
  const fail = (what: string): never => { throw new InferdError(Errors.MODEL_CONFIG_INVALID, [model, `ctc decoding: ${what}`]) }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('must be a mapping')
  const v = value as Record<string, unknown>
  for (const key of Object.keys(v)) if (!KEYS.has(key)) fail(`unknown field '${key}'`)
  if (typeof v.labels !== 'string' || v.labels.length === 0) fail(`'labels' (the labels file) is required`)
  if (v.blank !== undefined && (typeof v.blank !== 'number' || !Number.isInteger(v.blank) || v.blank < 0)) {
    fail(`'blank' must be a class index (an integer >= 0)`)
  }
  for (const key of ['append_space', 'trim']) {
    if (v[key] !== undefined && typeof v[key] !== 'boolean') fail(`'${key}' must be true or false`)
  }
  if (v.word_delimiter !== undefined && (typeof v.word_delimiter !== 'string' || v.word_delimiter.length === 0)) {
    fail(`'word_delimiter' must be a non-empty string`)
  }
  return v as unknown as CtcSpec
}
