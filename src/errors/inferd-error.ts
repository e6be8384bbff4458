import { format } from 'node:util'
import type { Canonical } from './canonical.js'
import { Errors, type ErrorCode, type ErrorDef } from './codes.js'

const BRAND = Symbol.for('inferd.error')

/**
 * The base of every client-visible failure. `code` is stable and documented in docs/errors.md;
 * `canonical` decides the status in each protocol. Branded with a global symbol so that
 * `instanceof` holds across duplicated package copies and worker boundaries (rebuilt by
 * {@link InferdError.fromJSON}).
 *
 * @example
 * throw new InferdError(Errors.MODEL_NOT_FOUND, ['resnet'])
 */
export class InferdError extends Error {
  readonly code: ErrorCode
  readonly canonical: Canonical
  readonly retryable: boolean
  readonly details: Readonly<Record<string, unknown>> | undefined
  readonly #http: number | undefined

  constructor (def: ErrorDef, args: readonly unknown[] = [], opts: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(format(def.message, ...args), opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'InferdError'
    this.code = def.code as ErrorCode
    this.canonical = def.canonical
    this.retryable = def.retryable
    this.details = opts.details
    this.#http = def.http
    Object.defineProperty(this, BRAND, { value: true })
  }

  /** The HTTP status this definition overrides the canonical mapping with, if any. */
  get httpOverride (): number | undefined { return this.#http }

  static override [Symbol.hasInstance] (value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
  }

  toJSON (): { code: ErrorCode; message: string; details?: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) }
  }

  /** Rebuilds an error serialized across a thread or process boundary, through the registry. */
  static fromJSON (value: { code: string; message: string; details?: Record<string, unknown> }): InferdError {
    const found = Object.values(Errors).find((d) => d.code === value.code)
    const err = new InferdError(found ?? Errors.UNKNOWN, [], value.details === undefined ? {} : { details: value.details })
    Object.defineProperty(err, 'message', { value: value.message, enumerable: false, writable: true, configurable: true })
    return err
  }
}

/** Wraps anything thrown into an {@link InferdError}, keeping the original as `cause`. */
export function toInferdError (err: unknown, fallback: ErrorDef = Errors.UNKNOWN, ...args: unknown[]): InferdError {
  if (err instanceof InferdError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new InferdError(fallback, args.length > 0 ? args : [message], { cause: err })
}
