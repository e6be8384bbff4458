/**
 * A real, labelled, offline text corpus for the language-identification example: TypeScript's
 * compiler messages, which the `typescript` npm package ships in English (inside lib/typescript.js)
 * and translated by people into 13 languages (lib/<locale>/diagnosticMessages.generated.json).
 * Each message key gives up to 14 parallel sentences, one per language, so the label is where the
 * text comes from, not a guess by another model.
 *
 * The split is by message key: every translation of a held-out message is held out, so the test
 * measures recognising a language in sentences never seen in any language.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { seededRandom, shuffleInPlace } from '../ml/random.js'

/** Labels in model order, BCP 47 tags; `folder` is the locale folder under typescript/lib. */
export const LANGUAGES: readonly { readonly label: string; readonly folder: string | null }[] = [
  { label: 'en', folder: null },
  { label: 'cs', folder: 'cs' },
  { label: 'de', folder: 'de' },
  { label: 'es', folder: 'es' },
  { label: 'fr', folder: 'fr' },
  { label: 'it', folder: 'it' },
  { label: 'ja', folder: 'ja' },
  { label: 'ko', folder: 'ko' },
  { label: 'pl', folder: 'pl' },
  { label: 'pt-BR', folder: 'pt-br' },
  { label: 'ru', folder: 'ru' },
  { label: 'tr', folder: 'tr' },
  { label: 'zh-CN', folder: 'zh-cn' },
  { label: 'zh-TW', folder: 'zh-tw' },
]

export const LANGUAGE_LABELS: readonly string[] = LANGUAGES.map((l) => l.label)

/** One sentence: its text, its language (index into {@link LANGUAGE_LABELS}) and its message key. */
export interface LabelledText {
  readonly text: string
  readonly label: number
  readonly key: string
}

export interface LanguageCorpus {
  readonly train: readonly LabelledText[]
  readonly test: readonly LabelledText[]
  /** typescript's version: the corpus changes with it. */
  readonly source: string
}

// `Unterminated_string_literal: diag(1002, 1 /* Error */, "Unterminated_string_literal_1002", "Unterminated string literal."),`
const DIAG = /diag\(\d+, \d+ \/\* \w+ \*\/, "(\w+)", "((?:[^"\\]|\\.)*)"/g

function typescriptLib (): string {
  return join(dirname(createRequire(import.meta.url).resolve('typescript')))
}

/** The English source messages, keyed like the translations. */
async function englishMessages (lib: string): Promise<Map<string, string>> {
  const source = await readFile(join(lib, 'typescript.js'), 'utf8')
  const out = new Map<string, string>()
  for (const m of source.matchAll(DIAG)) {
    const key = m[1] as string
    // The literal is a JS string; \' is its only escape that JSON lacks.
    out.set(key, JSON.parse(`"${(m[2] as string).replace(/\\'/g, "'")}"`) as string)
  }
  return out
}

/** Something to read: at least two letters once `{0}`-style placeholders are gone. */
function hasWords (text: string): boolean {
  return (text.replace(/\{\d+\}/g, '').match(/\p{L}/gu)?.length ?? 0) >= 2
}

/**
 * Reads the corpus and splits it by message key.
 *
 * Dropped, so that every label is true: a translation identical to the English message (left
 * untranslated, so it is English), a text with fewer than two letters, and any text that occurs
 * under two languages (short messages such as `'{0}'` or product names). A text repeated in one
 * language is kept once.
 *
 * @param testFraction share of message keys held out.
 * @param seed seed of the key shuffle.
 */
export async function loadLanguageCorpus (testFraction = 0.2, seed = 42): Promise<LanguageCorpus> {
  const lib = typescriptLib()
  const english = await englishMessages(lib)
  if (english.size < 1000) throw new Error(`found only ${english.size} English messages in typescript/lib/typescript.js; its format changed`)
  const all: LabelledText[] = []
  for (const [label, lang] of LANGUAGES.entries()) {
    const messages = lang.folder === null
      ? english
      : new Map(Object.entries(JSON.parse(await readFile(join(lib, lang.folder, 'diagnosticMessages.generated.json'), 'utf8')) as Record<string, string>))
    for (const [key, text] of messages) {
      if (lang.folder !== null && english.get(key) === text) continue
      if (!hasWords(text)) continue
      all.push({ text, label, key })
    }
  }
  const labelsOf = new Map<string, Set<number>>()
  for (const t of all) {
    const set = labelsOf.get(t.text) ?? new Set<number>()
    set.add(t.label)
    labelsOf.set(t.text, set)
  }
  const seen = new Set<string>()
  const kept = all.filter((t) => {
    if ((labelsOf.get(t.text)?.size ?? 0) > 1 || seen.has(t.text)) return false
    seen.add(t.text)
    return true
  })

  const keys = shuffleInPlace([...new Set(kept.map((t) => t.key))].sort(), seededRandom(seed))
  const testKeys = new Set(keys.slice(0, Math.round(keys.length * testFraction)))
  const version = (JSON.parse(await readFile(join(lib, '..', 'package.json'), 'utf8')) as { version: string }).version
  return {
    train: kept.filter((t) => !testKeys.has(t.key)),
    test: kept.filter((t) => testKeys.has(t.key)),
    source: `typescript@${version} diagnostic messages`,
  }
}
