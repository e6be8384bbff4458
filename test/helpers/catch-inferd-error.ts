import { InferdError } from '../../src/errors/inferd-error.js'

/** Runs `fn`, which must throw an InferdError, and returns that error (anything else is rethrown). */
export function catchInferdError (fn: () => unknown): InferdError {
  try {
    fn()
  } catch (e) {
    if (e instanceof InferdError) return e
    throw e
  }
  throw new Error('expected an InferdError')
}
