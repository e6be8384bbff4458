import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InferdServer } from '../../src/server.js'
import { call, connect, type GrpcClients } from '../helpers/grpc-client.js'
import { startServer } from '../helpers/server.js'
import { type CaseParameters, CASES, type CaseTensor, type Expectation, type ProtocolCase, REPOS } from './protocol.cases.js'
import { bytesToData, tensorBytes } from './tensor-bytes.js'

/**
 * The parity table over gRPC, with a real @grpc/grpc-js client loaded from proto/grpc_service.proto,
 * in both of its data forms: typed `contents` (answered with typed contents, asked for with
 * binary_data_output=false) and `raw_input_contents` (answered with raw_output_contents, the default).
 */
const servers: Partial<Record<keyof typeof REPOS, InferdServer>> = {}
const clients: Partial<Record<keyof typeof REPOS, GrpcClients>> = {}
beforeAll(async () => {
  for (const repo of Object.keys(REPOS) as Array<keyof typeof REPOS>) {
    servers[repo] = await startServer(REPOS[repo])
    clients[repo] = connect(servers[repo].grpcUrl)
  }
})
afterAll(async () => {
  for (const c of Object.values(clients)) c.close()
  await Promise.all(Object.values(servers).map((s) => s.close()))
})

const CONTENTS_FIELD: Record<string, string> = { INT32: 'int_contents', FP32: 'fp32_contents', BYTES: 'bytes_contents' }

function parameterMap (params: CaseParameters | undefined): Record<string, unknown> | undefined {
  if (params === undefined) return undefined
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k,
    typeof v === 'boolean' ? { bool_param: v } : typeof v === 'string' ? { string_param: v } : Number.isInteger(v) ? { int64_param: v } : { double_param: v },
  ]))
}

function request (c: ProtocolCase, form: 'typed' | 'raw'): Record<string, unknown> {
  const parameters = form === 'typed' ? { ...c.parameters, binary_data_output: false } : c.parameters
  return {
    model_name: c.model,
    ...(c.version === undefined ? {} : { model_version: c.version }),
    id: `case-${form}`,
    inputs: c.inputs.map((t) => ({
      name: t.name,
      datatype: t.datatype,
      shape: t.shape,
      // an unknown datatype has no field of its own: send its numbers as FP32, the server must refuse the name first
      ...(form === 'typed' ? { contents: { [CONTENTS_FIELD[t.datatype] ?? 'fp32_contents']: t.datatype === 'BYTES' ? t.data.map((s) => Buffer.from(String(s))) : t.data } } : {}),
    })),
    ...(form === 'raw' ? { raw_input_contents: c.inputs.map(tensorBytes) } : {}),
    ...(c.outputs === undefined ? {} : { outputs: c.outputs.map((o) => ({ name: o.name, parameters: parameterMap(o.parameters) ?? {} })) }),
    ...(parameters === undefined ? {} : { parameters: parameterMap(parameters) }),
  }
}

function outputsOf (res: any, form: 'typed' | 'raw'): Record<string, CaseTensor> {
  return Object.fromEntries((res.outputs as any[]).map((o, i) => {
    const data = form === 'raw'
      ? bytesToData(o.datatype, res.raw_output_contents[i])
      : (o.contents[CONTENTS_FIELD[o.datatype]!] as any[]).map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v))
    return [o.name, { name: o.name, datatype: o.datatype, shape: (o.shape as string[]).map(Number), data }]
  }))
}

async function run (c: ProtocolCase, form: 'typed' | 'raw', expected: Expectation): Promise<void> {
  const res = await call(clients[c.repo]!.inference, 'ModelInfer', request(c, form))
  if ('errorCode' in expected) {
    expect(res.ok, JSON.stringify(res)).toBe(false)
    if (res.ok) return
    expect({ code: res.code, errorCode: res.errorCode }).toEqual({ code: expected.grpcCode, errorCode: expected.errorCode })
    expect(res.details.length).toBeGreaterThan(0)
    return
  }
  if (!res.ok) throw new Error(`expected success, got code ${res.code} ${res.errorCode}: ${res.details}`)
  expect(res.response.id).toBe(`case-${form}`)
  expect(res.response.model_name).toBe(c.model)
  if (form === 'raw') expect(res.response.raw_output_contents).toHaveLength(res.response.outputs.length)
  else expect(res.response.raw_output_contents).toEqual([])
  expect(outputsOf(res.response, form)).toEqual(expected.outputs)
}

describe.each(CASES)('gRPC: $name', (c) => {
  it('typed contents', async () => { await run(c, 'typed', c.expect) })
  it('raw contents', async () => { await run(c, 'raw', c.binary ?? c.expect) })
})
