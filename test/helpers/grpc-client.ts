/**
 * A real @grpc/grpc-js client for tests, built the way a user would build one: from the shipped
 * proto/grpc_service.proto, loaded at run time with @grpc/proto-loader. It reuses nothing of the
 * server's gRPC code, so tests check the server against the proto rather than against itself.
 */
import { fileURLToPath } from 'node:url'
import { type Client, credentials, loadPackageDefinition, type Metadata, type ServiceError } from '@grpc/grpc-js'
import { loadSync } from '@grpc/proto-loader'

export const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url))

const definition = loadSync(['grpc_service.proto', 'health.proto'], {
  includeDirs: [PROTO_DIR],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
})
const packages = loadPackageDefinition(definition) as any

/** A client of `inference.GRPCInferenceService` and of the health service on one target. */
export interface GrpcClients {
  readonly inference: Client & Record<string, any>
  readonly health: Client & Record<string, any>
  close (): void
}

export function connect (target: string, options: Record<string, unknown> = {}): GrpcClients {
  const opts = { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1, ...options }
  const inference = new packages.inference.GRPCInferenceService(target, credentials.createInsecure(), opts)
  const health = new packages.grpc.health.v1.Health(target, credentials.createInsecure(), opts)
  return { inference, health, close () { inference.close(); health.close() } }
}

/** What a unary call ended with: its response, or its error status and trailer code. */
export type CallResult<T = any> =
  | { ok: true; response: T }
  | { ok: false; code: number; details: string; errorCode: string | undefined; metadata: Metadata }

/** Calls a unary RPC and never rejects: an error comes back as a value, with its `inferd-error-code`. */
export function call<T = any> (client: Record<string, any>, method: string, request: unknown, deadlineMs = 30_000): Promise<CallResult<T>> {
  return new Promise((resolve) => {
    client[method](request, { deadline: Date.now() + deadlineMs }, (err: ServiceError | null, response: T) => {
      if (err === null) resolve({ ok: true, response })
      else resolve({ ok: false, code: err.code, details: err.details, errorCode: err.metadata?.get('inferd-error-code')[0] as string | undefined, metadata: err.metadata })
    })
  })
}

/** Calls a unary RPC and returns the response; an error status fails the test with its details. */
export async function callOk<T = any> (client: Record<string, any>, method: string, request: unknown): Promise<T> {
  const res = await call<T>(client, method, request)
  if (!res.ok) throw new Error(`${method} failed: code ${res.code} (${res.errorCode ?? 'no inferd code'}): ${res.details}`)
  return res.response
}

/** Raw contents use the binary extension's layout: little-endian, BYTES with 4-byte length prefixes. */
export { toBytes as rawBytes } from './oip-client.js'

/** Splits raw BYTES contents into UTF-8 strings. */
export function rawStrings (buf: Buffer): string[] {
  const out: string[] = []
  for (let pos = 0; pos < buf.length;) {
    const len = buf.readUInt32LE(pos)
    out.push(buf.toString('utf8', pos + 4, pos + 4 + len))
    pos += 4 + len
  }
  return out
}

/** Raw little-endian FP32 contents as numbers. */
export function rawFloat32 (buf: Buffer): number[] {
  return Array.from({ length: buf.length / 4 }, (_, i) => buf.readFloatLE(i * 4))
}
