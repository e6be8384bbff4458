import { describe, expect, it } from 'vitest'
import { bestF1Threshold, binaryMetrics, regressionMetrics, rocAuc } from './metrics.js'

describe('binaryMetrics', () => {
  it('counts the confusion matrix at the threshold (p >= t is positive)', () => {
    const m = binaryMetrics([0.9, 0.6, 0.6, 0.2, 0.1], [1, 0, 1, 1, 0], 0.6)
    expect(m).toMatchObject({ truePositives: 2, falsePositives: 1, trueNegatives: 1, falseNegatives: 1 })
    expect(m.precision).toBeCloseTo(2 / 3, 12)
    expect(m.recall).toBeCloseTo(2 / 3, 12)
    expect(m.f1).toBeCloseTo(2 / 3, 12)
    expect(m.accuracy).toBe(0.6)
    expect(m.majorityAccuracy).toBe(0.6)
  })

  it('gives precision, recall and F1 of 0 rather than NaN when nothing is called positive', () => {
    const m = binaryMetrics([0.1, 0.2], [1, 0], 0.5)
    expect([m.precision, m.recall, m.f1]).toEqual([0, 0, 0])
  })
})

describe('bestF1Threshold', () => {
  it('picks a midpoint that separates separable classes', () => {
    const t = bestF1Threshold([0.1, 0.3, 0.35, 0.8, 0.9], [0, 0, 1, 1, 1])
    expect(t).toBeCloseTo(0.325, 12)
    expect(binaryMetrics([0.1, 0.3, 0.35, 0.8, 0.9], [0, 0, 1, 1, 1], t).f1).toBe(1)
  })
})

describe('rocAuc', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one and counts ties half', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1)
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0)
    expect(rocAuc([0.5, 0.5], [0, 1])).toBe(0.5)
    // Pairs (pos, neg): (0.7, 0.2) win, (0.7, 0.8) lose, (0.9, both) win → 3 of 4.
    expect(rocAuc([0.2, 0.8, 0.7, 0.9], [0, 0, 1, 1])).toBe(0.75)
  })
})

describe('regressionMetrics', () => {
  it('gives RMSE and MAE in the target units', () => {
    const m = regressionMetrics([1, 2, 6], [1, 4, 3])
    expect(m.mae).toBeCloseTo(5 / 3, 12)
    expect(m.rmse).toBeCloseTo(Math.sqrt(13 / 3), 12)
  })
})
