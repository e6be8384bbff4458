import { Errors } from '../../errors/codes.js'
import { InferdError } from '../../errors/inferd-error.js'

/** How a batch of token sequences is made rectangular. */
export type TextPadding = 'max_length' | 'longest'

/** Integer types a token tensor may have: BERT-style ONNX exports take INT64, some TF/TFLite ports INT32. */
export type TextDatatype = 'INT64' | 'INT32'

/**
 * Declarative text pre-processing, as it appears under `text:` in a pipeline input of kind text
 * (snake_case, like the rest of config.yaml). The tokenizer itself (normalisation, lower-casing,
 * word splitting, WordPiece/BPE/Unigram, special tokens) is entirely the Hugging Face
 * `tokenizer.json`'s business; this spec only says how its output becomes tensors, because
 * tokenizer.json's own `padding`/`truncation` sections are often absent or written for training.
 */
export interface TextSpec {
  /** A tokenizer.json in the model folder (relative path). Default `tokenizer.json`. */
  readonly tokenizer?: string
  /**
   * Most tokens per text, special tokens included. Required: it is the model's position limit
   * (512 for BERT) and it bounds the work one request can cause.
   */
  readonly max_length: number
  /**
   * `max_length` (default) pads every text to `max_length`, so every request has the same shape
   * and the dynamic batcher can merge them; `longest` pads to the longest text of the call, which
   * is cheaper for short texts. There is no "none": a tensor of several texts is rectangular, and
   * `longest` with one text is exactly no padding.
   */
  readonly padding?: TextPadding
  /**
   * When true, a text longer than `max_length` loses its last tokens (special tokens are kept).
   * When false (default), such a text is refused with a 400 that states its token count, so a
   * client never gets an answer about a text the model did not fully read.
   */
  readonly truncation?: boolean
  /** Add the tokenizer's special tokens ([CLS] … [SEP]) per its post-processor. Default true. */
  readonly add_special_tokens?: boolean
  /** Token used for padding; default: tokenizer.json's `padding.pad_token`, tokenizer_config.json's `pad_token`, or `[PAD]`/`<pad>` if in the vocabulary. */
  readonly pad_token?: string
  /** Model input that receives the token ids. Default `input_ids`. */
  readonly input_ids?: string
  /** Model input that receives 1 for real tokens and 0 for padding; produced only when named. */
  readonly attention_mask?: string
  /** Model input that receives the segment ids (all 0 for a single text); produced only when named. */
  readonly token_type_ids?: string
  /** Element type of every tensor produced. Default INT64. */
  readonly datatype?: TextDatatype
}

/** {@link TextSpec} with its defaults filled in. */
export interface ResolvedTextSpec {
  readonly tokenizer: string
  readonly max_length: number
  readonly padding: TextPadding
  readonly truncation: boolean
  readonly add_special_tokens: boolean
  readonly pad_token: string | undefined
  readonly input_ids: string
  readonly attention_mask: string | undefined
  readonly token_type_ids: string | undefined
  readonly datatype: TextDatatype
}

const KEYS: ReadonlySet<string> = new Set(['tokenizer', 'max_length', 'padding', 'truncation', 'add_special_tokens',
  'pad_token', 'input_ids', 'attention_mask', 'token_type_ids', 'datatype'])

/**
 * Checks an untrusted value (parsed from config.yaml) against {@link TextSpec}, so that a bad spec
 * fails when the model loads rather than on its first request.
 *
 * @throws InferdError MODEL_CONFIG_INVALID naming the field and what is wrong with it.
 */
export function validateTextSpec (value: unknown, model: string): TextSpec {
  const fail = (what: string): never => { throw new InferdError(Errors.MODEL_CONFIG_INVALID, [model, `text preprocessing: ${what}`]) }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('must be a mapping')
  const v = value as Record<string, unknown>
  for (const key of Object.keys(v)) {
    if (KEYS.has(key)) continue
    if (/^(do_)?lower_?case$/.test(key)) fail(`unknown field '${key}' (lower-casing is set by the normalizer in tokenizer.json)`)
    fail(`unknown field '${key}'`)
  }

  if (v.max_length === undefined) fail(`'max_length' is required (the most tokens per text, special tokens included)`)
  if (typeof v.max_length !== 'number' || !Number.isInteger(v.max_length) || v.max_length < 1) fail(`'max_length' must be a positive integer`)
  const oneOf = (key: string, allowed: readonly string[]): void => {
    if (v[key] !== undefined && !allowed.includes(v[key] as string)) fail(`'${key}' must be one of ${allowed.join(', ')}`)
  }
  oneOf('padding', ['max_length', 'longest'])
  oneOf('datatype', ['INT64', 'INT32'])
  for (const key of ['truncation', 'add_special_tokens']) {
    if (v[key] !== undefined && typeof v[key] !== 'boolean') fail(`'${key}' must be true or false`)
  }
  for (const key of ['tokenizer', 'pad_token', 'input_ids', 'attention_mask', 'token_type_ids']) {
    if (v[key] !== undefined && (typeof v[key] !== 'string' || v[key] === '')) fail(`'${key}' must be a non-empty string`)
  }
  if (typeof v.tokenizer === 'string' && !isInsideFolder(v.tokenizer)) {
    fail(`'tokenizer' must be a relative path inside the model folder, got '${v.tokenizer}'`)
  }
  const names = ['input_ids', 'attention_mask', 'token_type_ids']
    .map((key) => [key, key === 'input_ids' ? (v[key] ?? 'input_ids') : v[key]] as const)
    .filter((entry): entry is readonly [string, string] => typeof entry[1] === 'string')
  const seen = new Map<string, string>()
  for (const [key, name] of names) {
    const other = seen.get(name)
    if (other !== undefined) fail(`'${other}' and '${key}' both fill model input '${name}'`)
    seen.set(name, key)
  }
  // A special-token template needs room for at least one token of text besides [CLS] and [SEP];
  // the exact count depends on the tokenizer, so the loader checks that.
  return v as unknown as TextSpec
}

/** Relative, no `..` segment, no drive or root: the tokenizer cannot be read from outside the model. */
function isInsideFolder (path: string): boolean {
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path)) return false
  return !path.split(/[\\/]/).includes('..')
}

/** Fills in the defaults of a validated spec. */
export function resolveTextSpec (spec: TextSpec): ResolvedTextSpec {
  return {
    tokenizer: spec.tokenizer ?? 'tokenizer.json',
    max_length: spec.max_length,
    padding: spec.padding ?? 'max_length',
    truncation: spec.truncation ?? false,
    add_special_tokens: spec.add_special_tokens ?? true,
    pad_token: spec.pad_token,
    input_ids: spec.input_ids ?? 'input_ids',
    attention_mask: spec.attention_mask,
    token_type_ids: spec.token_type_ids,
    datatype: spec.datatype ?? 'INT64',
  }
}

/**
 * The model inputs a text spec fills, in the order the text processor's `encode` returns them, so
 * the pipeline can check at load time that the model has each input with this datatype.
 */
export function textSpecTensors (spec: TextSpec): readonly { readonly name: string; readonly datatype: TextDatatype }[] {
  const r = resolveTextSpec(spec)
  return [r.input_ids, r.attention_mask, r.token_type_ids]
    .filter((name): name is string => name !== undefined)
    .map((name) => ({ name, datatype: r.datatype }))
}
