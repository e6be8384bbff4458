/**
 * Held-out figures for the tabular examples. Binary classification on an imbalanced class is
 * judged by precision, recall and F1 of the positive class at the chosen threshold (accuracy
 * alone flatters a model that never says "positive"), plus ROC AUC, which needs no threshold.
 */

export interface BinaryMetrics {
  readonly threshold: number
  readonly truePositives: number
  readonly falsePositives: number
  readonly trueNegatives: number
  readonly falseNegatives: number
  /** Of the rows called positive, the share that are (0 when none is called positive). */
  readonly precision: number
  /** Of the positive rows, the share called positive. */
  readonly recall: number
  /** Harmonic mean of precision and recall. */
  readonly f1: number
  readonly accuracy: number
  /** Accuracy of always answering the most common class in these rows. */
  readonly majorityAccuracy: number
}

/** Scores `probabilities` against 0/1 `labels`: a row is called positive when p >= threshold. */
export function binaryMetrics (probabilities: ArrayLike<number>, labels: readonly number[], threshold: number): BinaryMetrics {
  let tp = 0; let fp = 0; let tn = 0; let fn = 0
  labels.forEach((y, i) => {
    const positive = (probabilities[i] as number) >= threshold
    if (positive && y === 1) tp++
    else if (positive) fp++
    else if (y === 1) fn++
    else tn++
  })
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp)
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn)
  const positives = tp + fn
  return {
    threshold,
    truePositives: tp,
    falsePositives: fp,
    trueNegatives: tn,
    falseNegatives: fn,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    accuracy: (tp + tn) / labels.length,
    majorityAccuracy: Math.max(positives, labels.length - positives) / labels.length,
  }
}

/**
 * The threshold with the best F1 on these rows (the lowest such, on ties), chosen among the
 * midpoints between consecutive distinct probabilities, so it does not sit exactly on a row.
 */
export function bestF1Threshold (probabilities: ArrayLike<number>, labels: readonly number[]): number {
  const distinct = [...new Set(Array.from(probabilities))].sort((a, b) => a - b)
  let best = { threshold: 0.5, f1: -1 }
  for (let i = 1; i < distinct.length; i++) {
    const threshold = ((distinct[i - 1] as number) + (distinct[i] as number)) / 2
    const { f1 } = binaryMetrics(probabilities, labels, threshold)
    if (f1 > best.f1) best = { threshold, f1 }
  }
  return best.threshold
}

/**
 * Area under the ROC curve: the chance that a random positive row scores above a random
 * negative one (ties count half). 0.5 is guessing.
 */
export function rocAuc (scores: ArrayLike<number>, labels: readonly number[]): number {
  const order = labels.map((y, i) => ({ y, s: scores[i] as number })).sort((a, b) => a.s - b.s)
  // Rank-sum (Mann–Whitney U) with average ranks for tied scores.
  let rankSum = 0
  let positives = 0
  for (let i = 0; i < order.length;) {
    let j = i
    while (j < order.length && order[j]?.s === order[i]?.s) j++
    const rank = (i + 1 + j) / 2
    for (let k = i; k < j; k++) if (order[k]?.y === 1) { rankSum += rank; positives++ }
    i = j
  }
  const negatives = order.length - positives
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives)
}

export interface RegressionMetrics {
  /** Root mean squared error, in the target's units. */
  readonly rmse: number
  /** Mean absolute error, in the target's units. */
  readonly mae: number
}

/** Errors of `predicted` against `actual`. */
export function regressionMetrics (predicted: ArrayLike<number>, actual: readonly number[]): RegressionMetrics {
  let squared = 0
  let absolute = 0
  actual.forEach((y, i) => {
    const e = (predicted[i] as number) - y
    squared += e * e
    absolute += Math.abs(e)
  })
  return { rmse: Math.sqrt(squared / actual.length), mae: absolute / actual.length }
}
