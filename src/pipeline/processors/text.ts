import { readFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'
import type { Tensor } from '../../core/tensor.js'
import { Errors } from '../../errors/codes.js'
import { InferdError } from '../../errors/inferd-error.js'
import { resolveTextSpec, type ResolvedTextSpec, type TextDatatype, type TextSpec } from './text-spec.js'

export type { ResolvedTextSpec, TextDatatype, TextPadding, TextSpec } from './text-spec.js'
export { resolveTextSpec, textSpecTensors, validateTextSpec } from './text-spec.js'

/**
 * The part of @huggingface/tokenizers' `Tokenizer` used here. The package's .d.ts files import
 * each other without file extensions, which NodeNext resolution cannot follow, so its types
 * arrive as `any`; this interface states (and checks at our call sites) what we rely on.
 */
interface HfTokenizer {
  /** Normalise, pre-tokenise and run the model; no special tokens. */
  tokenize (text: string): string[]
  token_to_id (token: string): number | undefined
  readonly post_processor: {
    post_process (tokens: string[], pair: null, addSpecialTokens: boolean): { tokens: string[]; token_type_ids?: number[] }
  } | null
  readonly model: { readonly unk_token_id?: number; readonly unk_token?: string }
}

/** Turns texts into the token tensors a model takes; made once per model by {@link loadTextProcessor}. */
export interface TextProcessor {
  readonly spec: ResolvedTextSpec
  /**
   * Tokenises `texts` and returns one `[n, L]` tensor per model input the spec names, in the
   * order input_ids, attention_mask, token_type_ids (those named). `L` is `max_length`, or the
   * longest text with `padding: longest`. A Uint8Array item is UTF-8 (a BYTES tensor element).
   * No texts give `[0, L]` tensors.
   *
   * @param field the request field, named in error messages.
   * @throws InferdError TENSOR_DATA_INVALID for an empty text, bytes that are not UTF-8, or a
   *   text over `max_length` tokens when truncation is off.
   */
  encode (texts: readonly (string | Uint8Array)[], field: string): Tensor[]
  /** Tokens of one text, special tokens included, before truncation (for messages and tests). */
  tokens (text: string): string[]
}

function configError (model: string, what: string, cause?: unknown): InferdError {
  return new InferdError(Errors.MODEL_CONFIG_INVALID, [model, `text preprocessing: ${what}`], cause === undefined ? {} : { cause })
}

function reason (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

async function readJson (path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8')) as unknown
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** tokenizer_config.json writes special tokens as a string or as an AddedToken object. */
function tokenContent (value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (isRecord(value) && typeof value.content === 'string') return value.content
  return undefined
}

/**
 * Loads the Hugging Face tokenizer named by `spec` from `modelDir` (with the tokenizer_config.json
 * beside it, when there is one) and returns the processor that encodes request texts for the
 * model. Padding and truncation follow the spec, not tokenizer.json, because @huggingface/tokenizers
 * (like transformers.js) leaves both to the caller; special tokens and token type ids come from
 * the tokenizer's post-processor, so a BERT, RoBERTa or custom template behaves as in Python.
 *
 * @param spec a spec already checked by validateTextSpec.
 * @param model the model's name, for error messages; default the folder's name.
 * @throws InferdError MODEL_CONFIG_INVALID when the tokenizer cannot be read or used with the spec.
 */
export async function loadTextProcessor (spec: TextSpec, modelDir: string, model = basename(modelDir)): Promise<TextProcessor> {
  const resolved = resolveTextSpec(spec)
  const path = join(modelDir, resolved.tokenizer)
  let json: unknown
  try {
    json = await readJson(path)
  } catch (err) {
    throw configError(model, `cannot read tokenizer '${resolved.tokenizer}': ${reason(err)}`, err)
  }
  if (!isRecord(json) || !isRecord(json.model)) throw configError(model, `'${resolved.tokenizer}' is not a Hugging Face tokenizer.json (no 'model' section)`)
  const configPath = join(dirname(path), 'tokenizer_config.json')
  let config: unknown = await readJson(configPath).catch((err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT' ? {} : err)
  if (config instanceof Error) throw configError(model, `cannot read tokenizer_config.json: ${reason(config)}`, config)
  if (!isRecord(config)) config = {}

  let tokenizer: HfTokenizer
  try {
    tokenizer = new Tokenizer(json, config as object) as HfTokenizer
  } catch (err) {
    throw configError(model, `tokenizer '${resolved.tokenizer}' cannot be used: ${reason(err)}`, err)
  }

  const padToken = resolved.pad_token ??
    (isRecord(json.padding) ? tokenContent(json.padding.pad_token) : undefined) ??
    tokenContent((config as Record<string, unknown>).pad_token) ??
    ['[PAD]', '<pad>'].find((t) => tokenizer.token_to_id(t) !== undefined)
  if (padToken === undefined) throw configError(model, `the tokenizer names no padding token; set 'pad_token'`)
  const padId = tokenizer.token_to_id(padToken)
  if (padId === undefined) throw configError(model, `padding token '${padToken}' is not in the tokenizer's vocabulary`)
  const padTypeId = isRecord(json.padding) && typeof json.padding.pad_type_id === 'number' ? json.padding.pad_type_id : 0

  const specials = resolved.add_special_tokens ? postProcess(tokenizer, [], true).tokens.length : 0
  if (specials >= resolved.max_length) {
    throw configError(model, `'max_length' ${resolved.max_length} leaves no room for text besides the tokenizer's ${specials} special tokens`)
  }
  return new HfTextProcessor(tokenizer, resolved, { padId, padTypeId, specials })
}

function postProcess (tokenizer: HfTokenizer, tokens: string[], addSpecial: boolean): { tokens: string[]; token_type_ids?: number[] } {
  return tokenizer.post_processor === null ? { tokens } : tokenizer.post_processor.post_process(tokens, null, addSpecial)
}

interface Padding { readonly padId: number; readonly padTypeId: number; readonly specials: number }

interface Encoded { readonly ids: number[]; readonly types: number[] }

const utf8 = new TextDecoder('utf-8', { fatal: true })

class HfTextProcessor implements TextProcessor {
  readonly spec: ResolvedTextSpec
  readonly #tokenizer: HfTokenizer
  readonly #pad: Padding
  readonly #unkId: number | undefined

  constructor (tokenizer: HfTokenizer, spec: ResolvedTextSpec, pad: Padding) {
    this.#tokenizer = tokenizer
    this.spec = spec
    this.#pad = pad
    this.#unkId = tokenizer.model.unk_token_id
  }

  tokens (text: string): string[] {
    return postProcess(this.#tokenizer, this.#tokenizer.tokenize(text), this.spec.add_special_tokens).tokens
  }

  encode (texts: readonly (string | Uint8Array)[], field: string): Tensor[] {
    const rows = texts.map((text, i) => this.#encodeOne(text, field, texts.length > 1 ? `item ${i}: ` : ''))
    const width = this.spec.padding === 'max_length' ? this.spec.max_length : rows.reduce((w, r) => Math.max(w, r.ids.length), 0)
    const { datatype } = this.spec
    const ids = makeArray(datatype, rows.length * width)
    const mask = makeArray(datatype, rows.length * width)
    const types = makeArray(datatype, rows.length * width)
    rows.forEach((row, r) => {
      for (let c = 0; c < width; c++) {
        const real = c < row.ids.length
        const at = r * width + c
        set(ids, at, real ? row.ids[c] as number : this.#pad.padId)
        set(mask, at, real ? 1 : 0)
        set(types, at, real ? row.types[c] as number : this.#pad.padTypeId)
      }
    })
    const shape = [rows.length, width]
    const out: Tensor[] = [{ name: this.spec.input_ids, datatype, shape, data: ids }]
    if (this.spec.attention_mask !== undefined) out.push({ name: this.spec.attention_mask, datatype, shape, data: mask })
    if (this.spec.token_type_ids !== undefined) out.push({ name: this.spec.token_type_ids, datatype, shape, data: types })
    return out
  }

  #encodeOne (item: string | Uint8Array, field: string, where: string): Encoded {
    const invalid = (what: string, cause?: unknown): InferdError =>
      new InferdError(Errors.TENSOR_DATA_INVALID, [field, `${where}${what}`], cause === undefined ? {} : { cause })
    let text: string
    if (typeof item === 'string') {
      text = item
    } else {
      try {
        text = utf8.decode(item)
      } catch (err) {
        throw invalid('text is not valid UTF-8', err)
      }
    }
    if (text.trim() === '') throw invalid('text is empty')
    let content = this.#tokenizer.tokenize(text)
    if (content.length === 0) throw invalid('text has no tokens once normalised (only control or ignored characters)')
    const limit = this.spec.max_length - this.#pad.specials
    if (content.length > limit) {
      if (!this.spec.truncation) {
        throw invalid(`text is ${content.length + this.#pad.specials} tokens long, more than max_length ${this.spec.max_length} (truncation is off)`)
      }
      content = content.slice(0, limit)
    }
    const processed = postProcess(this.#tokenizer, content, this.spec.add_special_tokens)
    const ids = processed.tokens.map((t) => {
      const id = this.#tokenizer.token_to_id(t) ?? this.#unkId
      // Only a vocabulary without an unknown token can get here (a BPE with byte fallback never does).
      if (id === undefined) throw invalid(`token '${t}' is not in the tokenizer's vocabulary, which has no unknown token`)
      return id
    })
    const types = processed.token_type_ids ?? new Array<number>(ids.length).fill(0)
    return { ids, types }
  }
}

type TokenArray = BigInt64Array | Int32Array

function makeArray (datatype: TextDatatype, n: number): TokenArray {
  return datatype === 'INT64' ? new BigInt64Array(n) : new Int32Array(n)
}

function set (array: TokenArray, at: number, value: number): void {
  if (array instanceof BigInt64Array) array[at] = BigInt(value)
  else array[at] = value
}
