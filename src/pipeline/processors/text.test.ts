import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Tensor } from '../../core/tensor.js'
import { InferdError } from '../../errors/inferd-error.js'
import { bertTokenizerJson } from '../../../scripts/examples/text-wordpiece.js'
import { loadTextProcessor, textSpecTensors, type TextProcessor, type TextSpec, validateTextSpec } from './text.js'

/**
 * The text processor against real tokenizer.json files written to a temp folder and read by
 * @huggingface/tokenizers: a small cased BERT-style WordPiece tokenizer whose ids are known by
 * construction (the position in VOCAB), and variants of it.
 */

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hello', 'world', '##s', 'the', 'cat', 'sat', 'on', 'mat', '.', '!', 'ko', '##t', '##ze']
const id = (token: string): number => VOCAB.indexOf(token)
const PAD = id('[PAD]')
const CLS = id('[CLS]')
const SEP = id('[SEP]')

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inferd-text-'))
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(bertTokenizerJson(VOCAB)))
})
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

/** A folder holding `json` as tokenizer.json (and `config` as tokenizer_config.json). */
async function folder (name: string, json: unknown, config?: unknown): Promise<string> {
  const d = join(dir, name)
  await mkdir(d, { recursive: true })
  await writeFile(join(d, 'tokenizer.json'), typeof json === 'string' ? json : JSON.stringify(json))
  if (config !== undefined) await writeFile(join(d, 'tokenizer_config.json'), JSON.stringify(config))
  return d
}

const load = (spec: TextSpec, modelDir = dir): Promise<TextProcessor> => loadTextProcessor(spec, modelDir, 'm')
const rows = (t: Tensor | undefined): number[][] => {
  if (t === undefined) throw new Error('missing tensor')
  const [n, w] = t.shape as [number, number]
  const flat = Array.from(t.data as ArrayLike<number | bigint>, Number)
  return Array.from({ length: n }, (_, r) => flat.slice(r * w, (r + 1) * w))
}

function encodeError (p: TextProcessor, texts: (string | Uint8Array)[], field = 'text'): InferdError {
  try {
    p.encode(texts, field)
  } catch (err) {
    if (err instanceof InferdError) return err
    throw err
  }
  throw new Error('expected an InferdError')
}

async function loadError (spec: TextSpec, modelDir: string): Promise<InferdError> {
  const err = await load(spec, modelDir).then(() => undefined, (e: unknown) => e)
  if (err instanceof InferdError) return err
  throw new Error(`expected an InferdError, got ${String(err)}`)
}

describe('validateTextSpec', () => {
  const bad = (value: unknown, message: string): void => {
    let err: unknown
    try { validateTextSpec(value, 'm') } catch (e) { err = e }
    expect(err).toBeInstanceOf(InferdError)
    expect((err as InferdError).code).toBe('INFERD_ERR_MODEL_CONFIG_INVALID')
    expect((err as InferdError).message).toBe(`model 'm': text preprocessing: ${message}`)
  }

  it('accepts a full spec and returns it', () => {
    const spec = { tokenizer: 'tok/tokenizer.json', max_length: 16, padding: 'longest', truncation: true, add_special_tokens: false,
      pad_token: '[PAD]', input_ids: 'ids', attention_mask: 'mask', token_type_ids: 'types', datatype: 'INT32' }
    expect(validateTextSpec(spec, 'm')).toEqual(spec)
  })

  it('names what is wrong', () => {
    bad([], 'must be a mapping')
    bad({ max_length: 8, stride: 2 }, "unknown field 'stride'")
    bad({ max_length: 8, lowercase: true }, "unknown field 'lowercase' (lower-casing is set by the normalizer in tokenizer.json)")
    bad({}, "'max_length' is required (the most tokens per text, special tokens included)")
    bad({ max_length: 0 }, "'max_length' must be a positive integer")
    bad({ max_length: 8.5 }, "'max_length' must be a positive integer")
    bad({ max_length: 8, padding: 'none' }, "'padding' must be one of max_length, longest")
    bad({ max_length: 8, datatype: 'FP32' }, "'datatype' must be one of INT64, INT32")
    bad({ max_length: 8, truncation: 'yes' }, "'truncation' must be true or false")
    bad({ max_length: 8, attention_mask: '' }, "'attention_mask' must be a non-empty string")
    bad({ max_length: 8, tokenizer: '../other/tokenizer.json' }, "'tokenizer' must be a relative path inside the model folder, got '../other/tokenizer.json'")
    bad({ max_length: 8, tokenizer: '/etc/tokenizer.json' }, "'tokenizer' must be a relative path inside the model folder, got '/etc/tokenizer.json'")
    bad({ max_length: 8, attention_mask: 'input_ids' }, "'input_ids' and 'attention_mask' both fill model input 'input_ids'")
  })

  it('lists the tensors a spec fills, in encode order', () => {
    expect(textSpecTensors({ max_length: 8 })).toEqual([{ name: 'input_ids', datatype: 'INT64' }])
    expect(textSpecTensors({ max_length: 8, token_type_ids: 't', attention_mask: 'a', datatype: 'INT32' }))
      .toEqual([{ name: 'input_ids', datatype: 'INT32' }, { name: 'a', datatype: 'INT32' }, { name: 't', datatype: 'INT32' }])
  })
})

describe('loadTextProcessor / encode', () => {
  const full: TextSpec = { max_length: 8, attention_mask: 'attention_mask', token_type_ids: 'token_type_ids' }

  it('adds [CLS] and [SEP] per the post-processor, pads to max_length and masks the padding', async () => {
    const p = await load(full)
    const out = p.encode(['hello world!'], 'text')
    expect(out.map((t) => [t.name, t.datatype, t.shape])).toEqual([
      ['input_ids', 'INT64', [1, 8]], ['attention_mask', 'INT64', [1, 8]], ['token_type_ids', 'INT64', [1, 8]],
    ])
    expect(out[0]?.data).toBeInstanceOf(BigInt64Array)
    expect(rows(out[0])).toEqual([[CLS, id('hello'), id('world'), id('!'), SEP, PAD, PAD, PAD]])
    expect(rows(out[1])).toEqual([[1, 1, 1, 1, 1, 0, 0, 0]])
    expect(rows(out[2])).toEqual([[0, 0, 0, 0, 0, 0, 0, 0]])
  })

  it('splits words into WordPiece pieces and maps unknown words to [UNK]', async () => {
    const p = await load(full)
    expect(p.tokens('cats sat on kotze zebra')).toEqual(['[CLS]', 'cat', '##s', 'sat', 'on', 'ko', '##t', '##ze', '[UNK]', '[SEP]'])
  })

  it('pads several texts to the longest of them with padding: longest', async () => {
    const p = await load({ ...full, max_length: 12, padding: 'longest' })
    const [ids, mask] = p.encode(['hello', 'the cat sat on the mat.'], 'text')
    expect(ids?.shape).toEqual([2, 9])
    expect(rows(ids)).toEqual([
      [CLS, id('hello'), SEP, PAD, PAD, PAD, PAD, PAD, PAD],
      [CLS, id('the'), id('cat'), id('sat'), id('on'), id('the'), id('mat'), id('.'), SEP],
    ])
    expect(rows(mask)).toEqual([[1, 1, 1, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1]])
  })

  it('gives [0, L] tensors for no texts', async () => {
    expect((await load(full)).encode([], 'text').map((t) => t.shape)).toEqual([[0, 8], [0, 8], [0, 8]])
    expect((await load({ ...full, padding: 'longest' })).encode([], 'text')[0]?.shape).toEqual([0, 0])
  })

  it('truncates the text, not the special tokens, when truncation is on', async () => {
    const p = await load({ max_length: 6, truncation: true, attention_mask: 'mask' })
    const [ids, mask] = p.encode(['the cat sat on the mat.'], 'text')
    expect(rows(ids)).toEqual([[CLS, id('the'), id('cat'), id('sat'), id('on'), SEP]])
    expect(rows(mask)).toEqual([[1, 1, 1, 1, 1, 1]])
  })

  it('refuses a text over max_length with its token count when truncation is off', async () => {
    const p = await load({ max_length: 6 })
    const err = encodeError(p, ['the cat sat on the mat.'], 'review')
    expect(err.code).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
    expect(err.message).toBe("tensor 'review': text is 9 tokens long, more than max_length 6 (truncation is off)")
    // Exactly max_length fits.
    expect(rows(p.encode(['the cat sat on'], 'review')[0])).toEqual([[CLS, id('the'), id('cat'), id('sat'), id('on'), SEP]])
  })

  it('refuses empty and whitespace-only text, naming the field and the item', async () => {
    const p = await load(full)
    for (const text of ['', '   ', '\n\t\u3000']) {
      const err = encodeError(p, [text], 'comment')
      expect(err.code).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
      expect(err.message).toBe("tensor 'comment': text is empty")
    }
    expect(encodeError(p, ['hello', ' '], 'comment').message).toBe("tensor 'comment': item 1: text is empty")
    // Only characters the normaliser removes (a control character, a zero-width format character).
    expect(encodeError(p, ['\u0007\u200b'], 'comment').message).toBe("tensor 'comment': text has no tokens once normalised (only control or ignored characters)")
  })

  it('reads UTF-8 bytes like the string, and refuses bytes that are not UTF-8', async () => {
    const p = await load(full)
    const fromBytes = p.encode([new TextEncoder().encode('hello world')], 'text')
    expect(rows(fromBytes[0])).toEqual(rows(p.encode(['hello world'], 'text')[0]))
    const err = encodeError(p, [Uint8Array.of(0x68, 0x69, 0xff, 0xfe)], 'text')
    expect(err.code).toBe('INFERD_ERR_TENSOR_DATA_INVALID')
    expect(err.message).toBe("tensor 'text': text is not valid UTF-8")
  })

  it('writes INT32 tensors when asked, and leaves out the tensors the spec does not name', async () => {
    const out = (await load({ max_length: 4, datatype: 'INT32', input_ids: 'ids' })).encode(['hello'], 'text')
    expect(out.map((t) => t.name)).toEqual(['ids'])
    expect(out[0]?.data).toBeInstanceOf(Int32Array)
    expect(rows(out[0])).toEqual([[CLS, id('hello'), SEP, PAD]])
  })

  it('adds no special tokens with add_special_tokens: false', async () => {
    const p = await load({ max_length: 4, add_special_tokens: false })
    expect(rows(p.encode(['hello world'], 'text')[0])).toEqual([[id('hello'), id('world'), PAD, PAD]])
    // Now all four positions are text.
    expect(rows(p.encode(['the cat sat on'], 'text')[0])).toEqual([[id('the'), id('cat'), id('sat'), id('on')]])
  })

  it('takes token type ids from the post-processor template and the pad token from the spec', async () => {
    const json = bertTokenizerJson(VOCAB) as { post_processor: { single: unknown[] } }
    json.post_processor.single = [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }]
    const p = await load({ max_length: 6, token_type_ids: 'types', pad_token: '[MASK]' }, await folder('typed', json))
    const [ids, types] = p.encode(['hello world'], 'text')
    expect(rows(ids)).toEqual([[CLS, id('hello'), id('world'), SEP, id('[MASK]'), id('[MASK]')]])
    expect(rows(types)).toEqual([[0, 1, 1, 1, 0, 0]])
  })

  it('leaves normalisation to tokenizer.json (an uncased normalizer lower-cases)', async () => {
    const cased = await load(full)
    expect(cased.tokens('Hello WORLD')).toEqual(['[CLS]', '[UNK]', '[UNK]', '[SEP]'])
    const json = { ...bertTokenizerJson(VOCAB), normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, lowercase: true } }
    const uncased = await load(full, await folder('uncased', json))
    expect(uncased.tokens('Hello WORLD')).toEqual(['[CLS]', 'hello', 'world', '[SEP]'])
  })

  it('finds the pad token in tokenizer_config.json when the vocabulary has no [PAD]', async () => {
    const json = bertTokenizerJson(VOCAB) as { added_tokens: { content: string }[]; model: { vocab: Record<string, number> } }
    json.added_tokens = json.added_tokens.filter((t) => t.content !== '[PAD]')
    json.model.vocab = Object.fromEntries(Object.entries(json.model.vocab).map(([t, i]) => [t === '[PAD]' ? '<blank>' : t, i]))
    const noPad = await folder('no-pad', json)
    expect((await loadError({ max_length: 4 }, noPad)).message).toBe("model 'm': text preprocessing: the tokenizer names no padding token; set 'pad_token'")
    const withConfig = await folder('config-pad', json, { pad_token: { content: '<blank>' } })
    expect(rows((await load({ max_length: 4 }, withConfig)).encode(['hello'], 'text')[0])).toEqual([[CLS, id('hello'), SEP, 0]])
  })

  it('round-trips through tokenizer.json: the ids decode to the text', async () => {
    const p = await load({ ...full, max_length: 12, padding: 'longest' })
    const [ids] = p.encode(['the cat sat on the mat.'], 'text')
    const tokenizer = new Tokenizer(bertTokenizerJson(VOCAB), {}) as { decode (ids: number[], o: object): string }
    expect(tokenizer.decode(rows(ids)[0] ?? [], { skip_special_tokens: true })).toBe('the cat sat on the mat.')
  })

  it('fails to load, naming the problem, for a missing or unusable tokenizer or a spec it cannot honour', async () => {
    const prefix = "model 'm': text preprocessing: "
    const missing = await loadError({ max_length: 8, tokenizer: 'nope.json' }, dir)
    expect(missing.code).toBe('INFERD_ERR_MODEL_CONFIG_INVALID')
    expect(missing.message).toMatch(new RegExp(`^${prefix}cannot read tokenizer 'nope.json': ENOENT`))
    expect((await loadError({ max_length: 8 }, await folder('not-json', '{ "model": '))).message).toMatch(new RegExp(`^${prefix}cannot read tokenizer 'tokenizer.json': `))
    expect((await loadError({ max_length: 8 }, await folder('not-tokenizer', { hello: 1 }))).message)
      .toBe(`${prefix}'tokenizer.json' is not a Hugging Face tokenizer.json (no 'model' section)`)
    expect((await loadError({ max_length: 8 }, await folder('bad-model', { ...bertTokenizerJson(VOCAB), model: { type: 'Nonsense' } }))).message)
      .toMatch(new RegExp(`^${prefix}tokenizer 'tokenizer.json' cannot be used: `))
    expect((await loadError({ max_length: 8, pad_token: '<pad>' }, dir)).message).toBe(`${prefix}padding token '<pad>' is not in the tokenizer's vocabulary`)
    expect((await loadError({ max_length: 2 }, dir)).message).toBe(`${prefix}'max_length' 2 leaves no room for text besides the tokenizer's 2 special tokens`)
  })
})
