import { describe, expect, it } from 'vitest'
import { catchInferdError } from '../../../test/helpers/catch-inferd-error.js'
import type { Tensor } from '../../core/tensor.js'
import { type ClassesOptions, type ClassesValue, classesStage } from './classes.js'

/**
 * The classes stage on real tensors: activations, argmax, top-k, decision thresholds, labels, and
 * the /v2 form ("score:index:label", as Triton's classification extension writes it).
 */

const LABELS = ['cat', 'dog', 'bird']
const text = new TextDecoder()

function stage (o: Partial<ClassesOptions> = {}) {
  return classesStage({ name: 'animal', model: 'm', tensor: 'scores', activation: 'none', topK: 1, labels: LABELS, ...o })
}

/** `rows` as the FP32 output `scores` [n, width]. */
function outputs (rows: number[][], datatype: 'FP32' | 'FP64' = 'FP32'): Map<string, Tensor> {
  const flat = rows.flat()
  const data = datatype === 'FP32' ? Float32Array.from(flat) : Float64Array.from(flat)
  return new Map([['scores', { name: 'scores', datatype, shape: [rows.length, rows[0]?.length ?? 0], data }]])
}

const decode = (o: Partial<ClassesOptions>, rows: number[][]): ClassesValue[] => stage(o).decode(outputs(rows), rows.length) as ClassesValue[]
const softmax = (xs: number[]): number[] => {
  const e = xs.map((x) => Math.exp(x - Math.max(...xs)))
  const s = e.reduce((a, b) => a + b, 0)
  return e.map((x) => x / s)
}
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x))

describe('classesStage', () => {
  it('argmax with activation none: the label of the highest score, and that score', () => {
    const [a, b] = decode({}, [[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]])
    expect(a).toEqual({ label: 'dog', score: expect.closeTo(0.7, 6) })
    expect(b).toEqual({ label: 'cat', score: expect.closeTo(0.6, 6) })
    expect(a).not.toHaveProperty('top_k')
  })

  it('softmax turns logits into probabilities that sum to 1; top_k lists them best first', () => {
    const logits = [1, 3, -2]
    const [v] = decode({ activation: 'softmax', topK: 3 }, [logits])
    const p = softmax(logits)
    expect(v?.label).toBe('dog')
    expect(v?.score).toBeCloseTo(p[1] as number, 6)
    expect(v?.top_k?.map((c) => c.label)).toEqual(['dog', 'cat', 'bird'])
    expect(v?.top_k?.map((c) => c.index)).toEqual([1, 0, 2])
    v?.top_k?.forEach((c) => expect(c.score).toBeCloseTo(p[c.index] as number, 6))
    expect(v?.top_k?.reduce((s, c) => s + c.score, 0)).toBeCloseTo(1, 6)
  })

  it('softmax stays finite for large logits (no overflow)', () => {
    const [v] = decode({ activation: 'softmax', topK: 2 }, [[1000, 999, -1000]])
    expect(v?.score).toBeCloseTo(softmax([0, -1, -2000])[0] as number, 6)
    expect(Number.isFinite(v?.top_k?.[1]?.score)).toBe(true)
  })

  it('sigmoid scores each class on its own (multi-label logits)', () => {
    const [v] = decode({ activation: 'sigmoid', topK: 3 }, [[-1, 2, 0]])
    expect(v?.label).toBe('dog')
    expect(v?.score).toBeCloseTo(sigmoid(2), 6)
    expect(v?.top_k?.map((c) => [c.label, c.score])).toEqual([
      ['dog', expect.closeTo(sigmoid(2), 6)],
      ['bird', expect.closeTo(0.5, 6)],
      ['cat', expect.closeTo(sigmoid(-1), 6)],
    ])
  })

  it('top_k larger than the number of classes lists every class', () => {
    const [v] = decode({ topK: 10 }, [[0.2, 0.5, 0.3]])
    expect(v?.top_k?.map((c) => c.label)).toEqual(['dog', 'bird', 'cat'])
  })

  it('ties rank the lower index first', () => {
    const [v] = decode({ topK: 3 }, [[0.25, 0.25, 0.5]])
    expect(v?.top_k?.map((c) => c.index)).toEqual([2, 0, 1])
  })

  it('a class without a label is named by its index', () => {
    const [v] = decode({ labels: ['cat'], topK: 3 }, [[0.1, 0.2, 0.7]])
    expect(v?.label).toBe('2')
    expect(v?.top_k?.map((c) => c.label)).toEqual(['2', '1', 'cat'])
    const [none] = decode({ labels: [] }, [[0.9, 0.1, 0]])
    expect(none?.label).toBe('0')
  })

  describe('threshold', () => {
    const binary = ['no_damage', 'damage']

    it('two scores: the positive class (index 1) once its probability reaches the threshold, even when it is lower than the other', () => {
      const rows = [[0.75, 0.25], [0.85, 0.15], [0.2, 0.8], [0.8, 0.2]]
      const got = decode({ labels: binary, threshold: 0.2 }, rows)
      expect(got.map((v) => v.label)).toEqual(['damage', 'no_damage', 'damage', 'damage'])
      // The score is the chosen class's probability.
      expect(got.map((v) => v.score)).toEqual([0.25, 0.85, 0.8, 0.2].map((x) => expect.closeTo(x, 6)))
    })

    it('one score: the probability of the positive class; the negative class gets 1 − p', () => {
      const got = decode({ labels: binary, threshold: 0.3, topK: 2 }, [[0.4], [0.1]])
      expect(got[0]).toEqual({ label: 'damage', score: expect.closeTo(0.4, 6), top_k: [
        { label: 'damage', index: 1, score: expect.closeTo(0.4, 6) },
        { label: 'no_damage', index: 0, score: expect.closeTo(0.6, 6) },
      ] })
      expect(got[1]).toMatchObject({ label: 'no_damage', score: expect.closeTo(0.9, 6) })
    })

    it('one score without a threshold: the more likely of p and 1 − p', () => {
      const got = decode({ labels: binary }, [[0.7], [0.3]])
      expect(got.map((v) => v.label)).toEqual(['damage', 'no_damage'])
      expect(got.map((v) => v.score)).toEqual([expect.closeTo(0.7, 6), expect.closeTo(0.7, 6)])
    })

    it('one logit with sigmoid, then the threshold', () => {
      const got = decode({ labels: binary, activation: 'sigmoid', threshold: 0.5 }, [[0.2], [-0.2]])
      expect(got[0]).toEqual({ label: 'damage', score: expect.closeTo(sigmoid(0.2), 6) })
      expect(got[1]).toEqual({ label: 'no_damage', score: expect.closeTo(1 - sigmoid(-0.2), 6) })
    })

    it('a probability exactly at the threshold is positive', () => {
      const [v] = decode({ labels: binary, threshold: 0.5 }, [[0.5, 0.5]])
      expect(v?.label).toBe('damage')
    })

    it('more than two classes: the best label when its score reaches the threshold, else null (unsure)', () => {
      const got = decode({ threshold: 0.6, topK: 2 }, [[0.1, 0.7, 0.2], [0.4, 0.35, 0.25]])
      expect(got[0]).toMatchObject({ label: 'dog', score: expect.closeTo(0.7, 6) })
      expect(got[1]?.label).toBeNull()
      // Unsure still says what the model leans to.
      expect(got[1]?.score).toBeCloseTo(0.4, 6)
      expect(got[1]?.top_k?.map((c) => c.label)).toEqual(['cat', 'dog'])
    })
  })

  describe('the /v2 tensor', () => {
    it('is BYTES [n, k] of "score:index:label", best first', () => {
      const t = stage({ topK: 2 }).toTensor(outputs([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]]), 2)
      expect(t).toMatchObject({ name: 'animal', datatype: 'BYTES', shape: [2, 2] })
      const strings = (t.data as Uint8Array[]).map((b) => text.decode(b))
      expect(strings).toHaveLength(4)
      const parsed = strings.map((s) => s.split(':'))
      expect(parsed.map((p) => [p[1], p[2]])).toEqual([['1', 'dog'], ['2', 'bird'], ['0', 'cat'], ['1', 'dog']])
      expect(parsed.map((p) => Number(p[0]))).toEqual([0.7, 0.2, 0.6, 0.3].map((x) => expect.closeTo(x, 6)))
    })

    it('agrees with the JSON answer (same ranking, same scores)', () => {
      const rows = [[2, -1, 0.5]]
      const s = stage({ activation: 'softmax', topK: 3 })
      const json = s.decode(outputs(rows), 1)[0] as ClassesValue
      const t = s.toTensor(outputs(rows), 1)
      const strings = (t.data as Uint8Array[]).map((b) => text.decode(b))
      expect(strings).toEqual(json.top_k?.map((c) => `${c.score}:${c.index}:${c.label}`))
    })

    it('is as wide as the classes when top_k asks for more', () => {
      const t = stage({ topK: 5 }).toTensor(outputs([[0.2, 0.8]]), 1)
      expect(t.shape).toEqual([1, 2])
    })

    it('a label containing ":" is kept whole after the index', () => {
      const t = stage({ labels: ['a:b', 'c'] }).toTensor(outputs([[0.75, 0.25]]), 1)
      expect(text.decode((t.data as Uint8Array[])[0])).toBe('0.75:0:a:b')
    })
  })

  it('reads FP64 outputs as well', () => {
    const [v] = stage().decode(outputs([[0.1, 0.2, 0.7]], 'FP64'), 1) as ClassesValue[]
    expect(v).toEqual({ label: 'bird', score: 0.7 })
  })

  it('a missing or BYTES output is a server fault (BACKEND_FAILED), not the client’s', () => {
    expect(catchInferdError(() => stage().decode(new Map(), 1)).code).toBe('INFERD_ERR_BACKEND_FAILED')
    const bytes = new Map([['scores', { name: 'scores', datatype: 'BYTES', shape: [1, 1], data: [new Uint8Array([1])] } as Tensor]])
    expect(catchInferdError(() => stage().decode(bytes, 1)).message).toMatch(/BYTES/)
    expect(catchInferdError(() => stage().decode(outputs([[0.1, 0.2, 0.7]]), 2)).message).toMatch(/does not split into 2 items/)
  })

  it('the best class alone (top_k 1) is chosen and scored exactly as the full ranking would (ties, NaN, every activation)', () => {
    // top_k 1 takes a one-pass path (batch inference calls it per row); top_k 2 ranks everything.
    let seed = 3
    const random = (): number => { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
    for (const activation of ['none', 'softmax', 'sigmoid'] as const) {
      for (let trial = 0; trial < 60; trial++) {
        const width = 2 + (trial % 6)
        const rows = Array.from({ length: 20 }, () => Array.from({ length: width }, () =>
          trial % 3 === 0 ? Math.round(random() * 2) // many ties
            : trial % 3 === 1 ? (random() - 0.5) * 200 // large logits: sigmoid saturates to equal probabilities
              : (random() - 0.5) * 6))
        if (trial === 5) (rows[0] as number[])[1] = NaN
        const best = decode({ activation, topK: 1 }, rows)
        const ranked = decode({ activation, topK: 2 }, rows)
        expect(best.map((b) => [b.label, b.score])).toEqual(ranked.map((r) => [r.label, r.score]))
      }
    }
  })
})
