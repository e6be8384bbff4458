export { seededRandom } from '../../src/core/random.js'

/** Shuffles `items` in place (Fisher–Yates) with the given generator, and returns it. */
export function shuffleInPlace<T> (items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const tmp = items[i] as T
    items[i] = items[j] as T
    items[j] = tmp
  }
  return items
}
