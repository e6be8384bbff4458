import { expect } from 'vitest'
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

/** Runs `fn`, which must refuse a model config (INFERD_ERR_MODEL_CONFIG_INVALID), and returns the message. */
export function configProblem (fn: () => unknown): string {
  const err = catchInferdError(fn)
  expect(err.code).toBe('INFERD_ERR_MODEL_CONFIG_INVALID')
  return err.message
}
