/**
 * A small, independent Open Inference Protocol client for tests: it builds binary-extension
 * bodies and parses binary responses by the spec, without reusing the server's codec, so the
 * tests check the server against the protocol rather than against itself.
 */

export interface BinaryInput { header: Record<string, unknown>; bytes: Buffer }

export async function postJson (url: string, body: unknown): Promise<{ status: number; json: any; text: string; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })
  const text = await res.text()
  return { status: res.status, json: tryParse(text), text, headers: res.headers }
}

export async function getJson (url: string): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(url)
  const text = await res.text()
  return { status: res.status, json: tryParse(text), headers: res.headers }
}

/** POST a JSON header followed by raw tensor bytes, with Inference-Header-Content-Length. */
export async function postBinary (url: string, header: unknown, chunks: readonly Buffer[], headerLength?: number): Promise<BinaryResponse> {
  const json = Buffer.from(JSON.stringify(header))
  const body = Buffer.concat([json, ...chunks])
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength ?? json.length) },
    body,
  })
  return readBinaryResponse(res)
}

export interface BinaryResponse { status: number; json: any; binary: Map<string, Buffer>; headers: Headers }

export async function readBinaryResponse (res: Response): Promise<BinaryResponse> {
  const buf = Buffer.from(await res.arrayBuffer())
  const hlen = res.headers.get('inference-header-content-length')
  const jsonLen = hlen === null ? buf.length : Number(hlen)
  const json = tryParse(buf.subarray(0, jsonLen).toString('utf8'))
  const binary = new Map<string, Buffer>()
  let offset = jsonLen
  for (const out of json?.outputs ?? []) {
    const size = out.parameters?.binary_data_size
    if (typeof size === 'number') {
      binary.set(out.name, buf.subarray(offset, offset + size))
      offset += size
    }
  }
  return { status: res.status, json, binary, headers: res.headers }
}

/** Little-endian bytes of typed data; BYTES elements get 4-byte length prefixes. */
export function toBytes (data: ArrayBufferView | readonly string[]): Buffer {
  if (Array.isArray(data)) {
    return Buffer.concat((data as string[]).flatMap((s) => {
      const b = Buffer.from(s, 'utf8')
      const len = Buffer.alloc(4)
      len.writeUInt32LE(b.length)
      return [len, b]
    }))
  }
  const view = data as ArrayBufferView
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength)
}

function tryParse (text: string): any {
  try { return JSON.parse(text) } catch { return undefined }
}
