import { Errors } from '../../errors/codes.js'
import { InferdError } from '../../errors/inferd-error.js'
import type { CtcSpec } from './ctc-spec.js'

export type { CtcSpec } from './ctc-spec.js'
export { validateCtcSpec } from './ctc-spec.js'

/** The text of every class of a CTC output, built once when the model loads. */
export interface CtcVocabulary {
  /** The model it belongs to, for error messages. */
  readonly model: string
  /** `classes[c]` is the text class `c` stands for; the blank's entry is ''. */
  readonly classes: readonly string[]
  readonly blank: number
  /** Spaces read at either end are dropped (CtcSpec.trim). */
  readonly trim: boolean
}

/** One decoded sequence. */
export interface CtcResult {
  readonly text: string
  /**
   * Mean, over the characters kept, of the winning class's score at the step it was read
   * (PaddleOCR's recognition score). 0 when nothing was read.
   */
  readonly confidence: number
}

export interface CtcDecodeOptions {
  /**
   * What the output holds: `none` (default) for probabilities (a softmax inside the model, as
   * PaddleOCR's recognisers have), `softmax` for logits, turned into the probability of the
   * winning class for the confidence. The text is the same either way (argmax).
   */
  readonly activation?: 'none' | 'softmax'
}

/**
 * Lays out the classes of a CTC output from the labels file's lines and the spec (see
 * {@link CtcSpec} for the convention).
 *
 * @param labels the labels file's lines (repository/labels.ts splitLabels)
 * @param classCount the output's class count C when known at load time, to fail early on the
 *   wrong dictionary rather than on the first request
 * @throws InferdError MODEL_CONFIG_INVALID when the blank index is out of range or the class
 *   count does not match
 */
export function ctcVocabulary (labels: readonly string[], spec: CtcSpec, model: string, classCount?: number): CtcVocabulary {
  const blank = spec.blank ?? 0
  const text = labels.map((l) => (spec.word_delimiter !== undefined && l === spec.word_delimiter ? ' ' : l))
  if (spec.append_space === true) text.push(' ')
  if (blank > text.length) {
    throw new InferdError(Errors.MODEL_CONFIG_INVALID, [model, `ctc decoding: 'blank' is ${blank}, but there are only ${text.length + 1} classes (${labels.length} labels${spec.append_space === true ? ' + space' : ''} + blank)`])
  }
  text.splice(blank, 0, '')
  const vocabulary: CtcVocabulary = { model, classes: text, blank, trim: spec.trim === true }
  if (classCount !== undefined) checkClassCount(vocabulary, classCount)
  return vocabulary
}

function checkClassCount (vocabulary: CtcVocabulary, classCount: number): void {
  if (classCount !== vocabulary.classes.length) {
    throw new InferdError(Errors.MODEL_CONFIG_INVALID, [vocabulary.model, `ctc decoding: the output has ${classCount} classes, the labels make ${vocabulary.classes.length} (labels, blank and any appended space); wrong labels file, or 'append_space' / 'blank' not as the model was trained`])
  }
}

/**
 * Greedy (best path) CTC decoding of a `[N, T, C]` output, N sequences of T steps over C
 * classes: take the best class at each step, merge runs of the same class, drop blanks. That is
 * what PaddleOCR and most CTC recognisers do at inference; beam search buys little without a
 * language model.
 *
 * @example
 * const vocab = ctcVocabulary(splitLabels(dict), { labels: 'ppocr_keys_v1.txt', append_space: true }, 'ocr_rec')
 * decodeCtc(probs, [1, 60, 6625], vocab) // [{ text: 'Hello inference server 42', confidence: 0.98 }]
 *
 * @throws InferdError MODEL_CONFIG_INVALID when the output is not [N, T, C] with C matching the vocabulary
 */
export function decodeCtc (data: ArrayLike<number>, shape: readonly number[], vocabulary: CtcVocabulary, options: CtcDecodeOptions = {}): CtcResult[] {
  if (shape.length !== 3) {
    throw new InferdError(Errors.MODEL_CONFIG_INVALID, [vocabulary.model, `ctc decoding: expects an output of shape [N, T, C], got [${shape.join(', ')}]`])
  }
  const [n, steps, classes] = shape as [number, number, number]
  checkClassCount(vocabulary, classes)
  const softmax = options.activation === 'softmax'
  const results: CtcResult[] = []
  for (let row = 0; row < n; row++) {
    const chars: string[] = []
    const scores: number[] = []
    let previous = -1
    for (let t = 0; t < steps; t++) {
      const base = (row * steps + t) * classes
      let best = 0
      let bestValue = data[base] as number
      for (let c = 1; c < classes; c++) {
        const value = data[base + c] as number
        if (value > bestValue) { best = c; bestValue = value }
      }
      if (best !== vocabulary.blank && best !== previous) {
        chars.push(vocabulary.classes[best] as string)
        scores.push(softmax ? winnerProbability(data, base, classes, bestValue) : bestValue)
      }
      previous = best
    }
    let from = 0
    let to = chars.length
    if (vocabulary.trim) {
      while (from < to && (chars[from] as string).trim() === '') from++
      while (to > from && (chars[to - 1] as string).trim() === '') to--
    }
    let sum = 0
    for (let i = from; i < to; i++) sum += scores[i] as number
    results.push({ text: chars.slice(from, to).join(''), confidence: to === from ? 0 : sum / (to - from) })
  }
  return results
}

/** softmax(logits)[argmax] = 1 / Σ exp(l − l_max), computed without overflow. */
function winnerProbability (data: ArrayLike<number>, base: number, classes: number, max: number): number {
  let sum = 0
  for (let c = 0; c < classes; c++) sum += Math.exp((data[base + c] as number) - max)
  return 1 / sum
}
