import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Errors } from './codes.js'
import { grpcStatusOf } from './grpc-status.js'
import { httpStatusOf } from './http-status.js'
import { InferdError, toInferdError } from './inferd-error.js'

describe('error registry', () => {
  const defs = Object.entries(Errors)

  it('keys equal codes without the prefix, and codes are unique', () => {
    for (const [key, def] of defs) expect(def.code).toBe(`INFERD_ERR_${key}`)
    expect(new Set(defs.map(([, d]) => d.code)).size).toBe(defs.length)
  })

  it('maps every code to an HTTP status and a gRPC code', () => {
    for (const [, def] of defs) {
      const e = new InferdError(def, ['a', 'b', 'c'])
      expect(httpStatusOf(e)).toBeGreaterThanOrEqual(400)
      expect(grpcStatusOf(e)).toBeGreaterThan(0)
    }
  })

  it('docs/errors.md lists exactly the registry codes', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
    const documented = [...doc.matchAll(/^\| `(INFERD_ERR_\w+)` \| (\w+) \| (\d+) \|/gm)]
    expect(documented.map((m) => m[1]).sort()).toEqual(defs.map(([, d]) => d.code).sort())
    for (const m of documented) {
      const def = defs.find(([, d]) => d.code === m[1])![1]
      expect(m[2], `${m[1]} canonical`).toBe(def.canonical)
      expect(Number(m[3]), `${m[1]} HTTP status`).toBe(httpStatusOf(new InferdError(def, [])))
    }
  })

  it('formats messages and keeps instanceof across a serialisation boundary', () => {
    const e = new InferdError(Errors.MODEL_NOT_FOUND, ['resnet'])
    expect(e.message).toBe("model 'resnet' not found")
    const copy = InferdError.fromJSON(JSON.parse(JSON.stringify(e)) as { code: string; message: string })
    expect(copy).toBeInstanceOf(InferdError)
    expect(copy.code).toBe('INFERD_ERR_MODEL_NOT_FOUND')
    expect(copy.message).toBe(e.message)
    expect({ code: 'INFERD_ERR_MODEL_NOT_FOUND' }).not.toBeInstanceOf(InferdError)
  })

  it('wraps foreign errors with their cause', () => {
    const cause = new TypeError('boom')
    const e = toInferdError(cause, Errors.INTERNAL)
    expect(e.code).toBe('INFERD_ERR_INTERNAL')
    expect(e.message).toBe('internal error: boom')
    expect(e.cause).toBe(cause)
    expect(httpStatusOf(new InferdError(Errors.REQ_BODY_TOO_LARGE, [10]))).toBe(413)
  })
})
