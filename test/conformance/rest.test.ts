import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InferdServer } from '../../src/server.js'
import { postBinary, postJson } from '../helpers/oip-client.js'
import { startServer } from '../helpers/server.js'
import { CASES, type CaseTensor, type Expectation, type ProtocolCase, REPOS } from './protocol.cases.js'
import { bytesToData, tensorBytes } from './tensor-bytes.js'

/**
 * The parity table over REST, in both of its data forms: JSON `data`, and Triton's binary tensor
 * extension (inputs and outputs as bytes after the JSON header).
 */
const servers: Partial<Record<keyof typeof REPOS, InferdServer>> = {}
beforeAll(async () => {
  for (const repo of Object.keys(REPOS) as Array<keyof typeof REPOS>) servers[repo] = await startServer(REPOS[repo])
})
afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()))
})

function inferUrl (c: ProtocolCase): string {
  const version = c.version === undefined ? '' : `/versions/${c.version}`
  return `${servers[c.repo]!.httpUrl}/v2/models/${c.model}${version}/infer`
}

function envelope (c: ProtocolCase): Record<string, unknown> {
  return {
    ...(c.outputs === undefined ? {} : { outputs: c.outputs }),
    ...(c.parameters === undefined ? {} : { parameters: c.parameters }),
  }
}

function checkAnswer (expected: Expectation, status: number, json: any, outputs: () => Record<string, CaseTensor>): void {
  expect(status, JSON.stringify(json)).toBe(expected.httpStatus)
  if ('errorCode' in expected) {
    expect(json.code).toBe(expected.errorCode)
    expect(typeof json.error).toBe('string')
    return
  }
  expect(outputs()).toEqual(expected.outputs)
}

describe.each(CASES)('REST: $name', (c) => {
  it('JSON', async () => {
    const body = { inputs: c.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: t.data })), ...envelope(c) }
    const res = await postJson(inferUrl(c), body)
    checkAnswer(c.expect, res.status, res.json, () => Object.fromEntries(
      (res.json.outputs as any[]).map((o) => [o.name, { name: o.name, datatype: o.datatype, shape: o.shape, data: o.data }]),
    ))
  })

  it('binary extension', async () => {
    const chunks = c.inputs.map(tensorBytes)
    const header = {
      inputs: c.inputs.map((t, i) => ({ name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: chunks[i]!.length } })),
      ...envelope(c),
      parameters: { ...c.parameters, binary_data_output: true },
    }
    const res = await postBinary(inferUrl(c), header, chunks)
    checkAnswer(c.binary ?? c.expect, res.status, res.json, () => Object.fromEntries(
      (res.json.outputs as any[]).map((o) => [o.name, { name: o.name, datatype: o.datatype, shape: o.shape, data: bytesToData(o.datatype, res.binary.get(o.name)!) }]),
    ))
  })
})
