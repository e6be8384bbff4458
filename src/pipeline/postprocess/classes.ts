import type { Tensor } from '../../core/tensor.js'
import type { OutputStage } from '../stages.js'
import { rowsOf } from './output-tensor.js'

const utf8 = new TextEncoder()

export interface ClassesOptions {
  readonly name: string
  readonly model: string
  readonly tensor: string
  /** Applied to each item's values before ranking; `none` when the model already outputs probabilities. */
  readonly activation: 'none' | 'softmax' | 'sigmoid'
  readonly topK: number
  /**
   * One or two scores per item (a binary model): the positive class (index 1) is chosen when its
   * probability reaches the threshold, else the negative one. More classes: the minimum score for
   * a label; below it the label is null (the model is unsure).
   */
  readonly threshold?: number
  /** Class names by index; an index without one is named by its number. */
  readonly labels: readonly string[]
}

/** One class in an answer. */
export interface ScoredClass {
  readonly label: string
  readonly index: number
  readonly score: number
}

/** The `classes` field of one item: the decision, its score, and the top k when more than one is asked. */
export interface ClassesValue {
  readonly label: string | null
  readonly score: number
  readonly top_k?: readonly ScoredClass[]
}

/**
 * Post-processing for classifiers: activation (softmax or sigmoid when the model emits logits),
 * argmax or a decision threshold, top-k with labels. In /v2 the answer is Triton's classification
 * form, a BYTES tensor `[n, k]` of `"score:index:label"`, best first, as the classification
 * extension returns it.
 */
export function classesStage (o: ClassesOptions): OutputStage {
  const name = (i: number): string => o.labels[i] ?? String(i)
  const rank = (outputs: ReadonlyMap<string, Tensor>, n: number): ScoredClass[][] => {
    const { values, perItem } = rowsOf(outputs, o.tensor, n, o.model)
    const rows: ScoredClass[][] = []
    if (o.topK === 1 && o.threshold === undefined && perItem > 1) {
      // The usual classifier answer (the best class only): one pass per item, nothing sorted.
      // Same choice as the ranking below, ties to the lower index; NaN scores take the full path.
      const best = bestOfEach(values, n, perItem, o.activation)
      if (best !== undefined) return best.map(([index, score]) => [{ label: name(index), index, score }])
    }
    const row = new Float64Array(perItem)
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < perItem; i++) row[i] = values[r * perItem + i] as number
      activate(row, o.activation)
      let scores = Array.from(row)
      if (scores.length === 1) scores = [1 - (scores[0] as number), scores[0] as number] // one probability: the positive class's
      const ranked = scores.map((score, index) => ({ label: name(index), index, score }))
      if (o.threshold !== undefined && ranked.length === 2) {
        const positive = ranked[1] as ScoredClass
        const negative = ranked[0] as ScoredClass
        rows.push(positive.score >= o.threshold ? [positive, negative] : [negative, positive])
      } else {
        rows.push(ranked.sort((a, b) => (b.score - a.score) || (a.index - b.index)))
      }
    }
    return rows
  }
  const k = o.topK
  return {
    name: o.name,
    kind: 'classes',
    tensors: [o.tensor],
    datatype: 'BYTES',
    dims: [k],
    describe: k > 1 ? '{ label, score, top_k: [{ label, index, score }] }' : '{ label, score }',
    decode (outputs, n) {
      return rank(outputs, n).map((ranked) => {
        const best = ranked[0] as ScoredClass
        const unsure = o.threshold !== undefined && ranked.length > 2 && best.score < o.threshold
        return {
          label: unsure ? null : best.label,
          score: best.score,
          ...(k > 1 ? { top_k: ranked.slice(0, k) } : {}),
        } satisfies ClassesValue
      })
    },
    toTensor (outputs, n) {
      const rows = rank(outputs, n)
      const width = Math.min(k, rows[0]?.length ?? k)
      const data = rows.flatMap((ranked) => ranked.slice(0, width).map((c) => utf8.encode(`${c.score}:${c.index}:${c.label}`)))
      return { name: o.name, datatype: 'BYTES', shape: [n, width], data }
    },
  }
}

/**
 * Applies the activation to one item's scores, in place. Both the ranking and the top-1 pass use
 * it, so they compute the same scores. `Math.max` keeps a NaN score's effect (every softmax score NaN).
 */
function activate (p: Float64Array, activation: ClassesOptions['activation']): void {
  if (activation === 'sigmoid') {
    for (let i = 0; i < p.length; i++) p[i] = 1 / (1 + Math.exp(-(p[i] as number)))
  } else if (activation === 'softmax') {
    let max = -Infinity
    for (let i = 0; i < p.length; i++) max = Math.max(max, p[i] as number)
    let sum = 0
    for (let i = 0; i < p.length; i++) { p[i] = Math.exp((p[i] as number) - max); sum += p[i] as number }
    for (let i = 0; i < p.length; i++) p[i] = (p[i] as number) / sum
  }
}

/**
 * Each item's best class after the activation: [index, score], ties to the lower index, exactly
 * as the ranking orders them (the same activation, so the same scores), or undefined when a score
 * is NaN (the ranking's own order then decides).
 */
function bestOfEach (values: ArrayLike<number>, n: number, perItem: number, activation: ClassesOptions['activation']): Array<[number, number]> | undefined {
  const out: Array<[number, number]> = []
  const p = new Float64Array(perItem)
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < perItem; i++) {
      const x = values[r * perItem + i] as number
      if (Number.isNaN(x)) return undefined
      p[i] = x
    }
    activate(p, activation)
    let index = 0
    for (let i = 1; i < perItem; i++) if ((p[i] as number) > (p[index] as number)) index = i
    out.push([index, p[index] as number])
  }
  return out
}
