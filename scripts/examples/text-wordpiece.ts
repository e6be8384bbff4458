/**
 * Builds a BERT-style WordPiece tokenizer (a Hugging Face tokenizer.json) from a training corpus,
 * the way the `tokenizers` library's WordPieceTrainer does: start from single characters (a
 * word's first character bare, the others with the `##` continuation prefix) and repeatedly add
 * the merge of the most frequent adjacent pair until the vocabulary is full.
 *
 * Words are cut by the tokenizer's own normalizer and pre-tokenizer (run through
 * @huggingface/tokenizers), so the vocabulary is learnt on exactly the pieces it will be applied to.
 */
import { Tokenizer } from '@huggingface/tokenizers'

/** Special tokens, in id order: padding is id 0, as BERT has it. */
export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const

const PREFIX = '##'

export interface WordPieceOptions {
  /** Vocabulary size to stop at, special tokens and alphabet included. */
  readonly vocabSize: number
  /** A pair seen fewer times than this is never merged. Default 2. */
  readonly minFrequency?: number
  /** A character seen fewer times than this is left out of the alphabet (it becomes [UNK]). Default 1. */
  readonly minCharFrequency?: number
}

/** The tokenizer.json of a cased multilingual BERT-style tokenizer, with `vocab` as its WordPiece vocabulary. */
export function bertTokenizerJson (vocab: readonly string[]): Record<string, unknown> {
  const id = (token: string): number => {
    const i = vocab.indexOf(token)
    if (i < 0) throw new Error(`vocabulary lacks ${token}`)
    return i
  }
  const special = (token: string): Record<string, unknown> => ({ id: token, ids: [id(token)], tokens: [token] })
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content) => ({
      id: id(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    // NFC first, so a decomposed "é" (e + combining accent) meets the same pieces as a composed one.
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: false, lowercase: false },
      ],
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': special('[CLS]'), '[SEP]': special('[SEP]') },
    },
    decoder: { type: 'WordPiece', prefix: PREFIX, cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: PREFIX,
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, i) => [token, i])),
    },
  }
}

interface PreTokenizingTokenizer {
  readonly normalizer: { normalize (text: string): string } | null
  readonly pre_tokenizer: { pre_tokenize (text: string): string[] } | null
}

/** Counts the words of `texts` as the tokenizer of {@link bertTokenizerJson} cuts them. */
export function countWords (texts: Iterable<string>): Map<string, number> {
  const tokenizer = new Tokenizer(bertTokenizerJson([...SPECIAL_TOKENS]), {}) as PreTokenizingTokenizer
  const counts = new Map<string, number>()
  for (const text of texts) {
    const normalized = tokenizer.normalizer === null ? text : tokenizer.normalizer.normalize(text)
    const words = tokenizer.pre_tokenizer === null ? [normalized] : tokenizer.pre_tokenizer.pre_tokenize(normalized)
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1)
  }
  return counts
}

/** A max-heap of [count, pair] entries; stale entries are skipped by the caller (lazy deletion). */
class PairHeap {
  readonly #items: [number, number][] = []
  get size (): number { return this.#items.length }
  // Higher count first; equal counts by the smaller pair key, so merges are deterministic.
  #before (a: [number, number], b: [number, number]): boolean { return a[0] > b[0] || (a[0] === b[0] && a[1] < b[1]) }
  push (item: [number, number]): void {
    const a = this.#items
    a.push(item)
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.#before(a[i] as [number, number], a[p] as [number, number])) break
      ;[a[i], a[p]] = [a[p] as [number, number], a[i] as [number, number]]
      i = p
    }
  }
  pop (): [number, number] | undefined {
    const a = this.#items
    const top = a[0]
    const last = a.pop()
    if (a.length > 0 && last !== undefined) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && this.#before(a[l] as [number, number], a[m] as [number, number])) m = l
        if (r < a.length && this.#before(a[r] as [number, number], a[m] as [number, number])) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m] as [number, number], a[i] as [number, number]]
        i = m
      }
    }
    return top
  }
}

/**
 * Learns a WordPiece vocabulary from word counts: the special tokens, then every character
 * (bare and `##`-prefixed as they occur), then merged pieces in the order they were learnt.
 */
export function trainWordPiece (wordCounts: ReadonlyMap<string, number>, options: WordPieceOptions): string[] {
  const minFrequency = options.minFrequency ?? 2
  const minChar = options.minCharFrequency ?? 1
  const charCounts = new Map<string, number>()
  for (const [word, n] of wordCounts) for (const c of word) charCounts.set(c, (charCounts.get(c) ?? 0) + n)
  const keepChar = (c: string): boolean => (charCounts.get(c) ?? 0) >= minChar

  const symbols: string[] = []
  const symbolId = new Map<string, number>()
  const intern = (s: string): number => {
    let id = symbolId.get(s)
    if (id === undefined) {
      id = symbols.length
      symbols.push(s)
      symbolId.set(s, id)
    }
    return id
  }
  // Words holding a character outside the alphabet would only ever be [UNK]: leave them out.
  const entries = [...wordCounts].filter(([w]) => [...w].every(keepChar)).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  const alphabet = new Set<string>()
  for (const [word] of entries) [...word].forEach((c, i) => alphabet.add(i === 0 ? c : PREFIX + c))
  const vocab: string[] = [...SPECIAL_TOKENS, ...[...alphabet].sort()]
  const inVocab = new Set(vocab)
  const words = entries.map(([word, freq]) => ({ freq, parts: [...word].map((c, i) => intern(i === 0 ? c : PREFIX + c)) }))

  // Pair keys pack two symbol ids; 2^21 symbols is far more than any vocabulary here.
  const SHIFT = 2 ** 21
  const pairCount = new Map<number, number>()
  const pairWords = new Map<number, Set<number>>()
  const touch = (w: number, delta: number, changed: Set<number>): void => {
    const { parts, freq } = words[w] as { parts: number[]; freq: number }
    for (let i = 0; i + 1 < parts.length; i++) {
      const key = (parts[i] as number) * SHIFT + (parts[i + 1] as number)
      pairCount.set(key, (pairCount.get(key) ?? 0) + delta * freq)
      if (delta > 0) {
        let set = pairWords.get(key)
        if (set === undefined) pairWords.set(key, set = new Set())
        set.add(w)
      }
      changed.add(key)
    }
  }
  const initial = new Set<number>()
  words.forEach((_, w) => touch(w, 1, initial))
  const heap = new PairHeap()
  for (const key of initial) heap.push([pairCount.get(key) ?? 0, key])

  while (vocab.length < options.vocabSize && heap.size > 0) {
    const [count, key] = heap.pop() as [number, number]
    if (count !== pairCount.get(key)) continue // stale entry
    if (count < minFrequency) break
    const a = Math.floor(key / SHIFT)
    const b = key % SHIFT
    const merged = (symbols[a] as string) + (symbols[b] as string).slice(PREFIX.length)
    const m = intern(merged)
    if (!inVocab.has(merged)) {
      vocab.push(merged)
      inVocab.add(merged)
    }
    const changed = new Set<number>()
    for (const w of pairWords.get(key) ?? []) {
      const word = words[w] as { parts: number[]; freq: number }
      touch(w, -1, changed)
      const next: number[] = []
      for (let i = 0; i < word.parts.length; i++) {
        if (word.parts[i] === a && word.parts[i + 1] === b) {
          next.push(m)
          i++
        } else {
          next.push(word.parts[i] as number)
        }
      }
      word.parts = next
      touch(w, 1, changed)
    }
    pairWords.delete(key)
    pairCount.delete(key)
    changed.delete(key)
    for (const k of changed) {
      const n = pairCount.get(k) ?? 0
      if (n > 0) heap.push([n, k])
    }
  }
  return vocab
}
