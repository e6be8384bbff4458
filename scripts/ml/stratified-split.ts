import { seededRandom, shuffleInPlace } from './random.js'

export interface Split {
  /** Row indices for training, ascending. */
  readonly train: number[]
  /** Row indices held out for evaluation, ascending. */
  readonly test: number[]
}

/**
 * Splits rows into train and test so that each class keeps its share in both (a stratified split).
 * Each class's rows are shuffled with a seeded generator and the first `round(n * testFraction)`
 * are held out, so the split is the same on every run for a given seed.
 *
 * @param labels - the class index of every row
 * @param testFraction - share of each class to hold out, in (0, 1)
 * @param seed - seed for the shuffle
 */
export function stratifiedSplit (labels: readonly number[], testFraction: number, seed: number): Split {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`)
  const random = seededRandom(seed)
  const byClass = new Map<number, number[]>()
  labels.forEach((label, row) => {
    const rows = byClass.get(label) ?? []
    rows.push(row)
    byClass.set(label, rows)
  })
  const train: number[] = []
  const test: number[] = []
  // Visit classes in a fixed order so the generator's sequence does not depend on row order.
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = shuffleInPlace(byClass.get(label) ?? [], random)
    const held = Math.round(rows.length * testFraction)
    test.push(...rows.slice(0, held))
    train.push(...rows.slice(held))
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) }
}
