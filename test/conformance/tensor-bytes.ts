/**
 * The little-endian byte layout shared by REST's binary extension and gRPC's raw contents, for
 * the datatypes the parity table uses. Written from the spec, independent of the server's codec.
 */
import type { CaseTensor } from './protocol.cases.js'

/** A case tensor's data as raw bytes. An unknown datatype is laid out as FP32 (the server must refuse it by name first). */
export function tensorBytes (t: CaseTensor): Buffer {
  switch (t.datatype) {
    case 'INT32': return fromView(Int32Array.from(t.data as number[]))
    case 'BYTES': return Buffer.concat((t.data as string[]).flatMap((s) => {
      const b = Buffer.from(s, 'utf8')
      const len = Buffer.alloc(4)
      len.writeUInt32LE(b.length)
      return [len, b]
    }))
    default: return fromView(Float32Array.from(t.data as number[]))
  }
}

/** Raw output bytes back into flat JS values. */
export function bytesToData (datatype: string, buf: Uint8Array): Array<number | string> {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  switch (datatype) {
    case 'INT32': return Array.from({ length: b.length / 4 }, (_, i) => b.readInt32LE(i * 4))
    case 'FP32': return Array.from({ length: b.length / 4 }, (_, i) => b.readFloatLE(i * 4))
    case 'BYTES': {
      const out: string[] = []
      for (let pos = 0; pos < b.length;) {
        const len = b.readUInt32LE(pos)
        out.push(b.toString('utf8', pos + 4, pos + 4 + len))
        pos += 4 + len
      }
      return out
    }
    default: throw new Error(`no decoder for ${datatype} in the parity tests`)
  }
}

function fromView (v: ArrayBufferView): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
}
