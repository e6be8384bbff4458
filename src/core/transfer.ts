import type { Tensor } from './tensor.js'

/**
 * Tensors made ready to post to another thread, and the buffers to transfer with them. In core
 * because both the scheduler's session threads and the typescript backend's module threads post
 * tensors, and backends do not depend on the scheduler.
 *
 * A tensor whose data owns its whole ArrayBuffer moves without a copy (the buffer is transferred
 * and detached here). A view into a larger buffer (a slab of small request arrays, core/data-slab.ts,
 * or a slice of an HTTP body) is copied first, just its own bytes, and the copy transferred:
 * structured clone would copy the whole underlying buffer, and transferring it would detach
 * memory that others still use. BYTES tensors are cloned (arrays of small Uint8Arrays).
 */
export function postable (tensors: readonly Tensor[]): { tensors: Tensor[]; transfer: ArrayBuffer[] } {
  const out: Tensor[] = []
  const transfer = new Set<ArrayBuffer>()
  for (const t of tensors) {
    if (t.datatype === 'BYTES') { out.push(t); continue }
    const view = t.data as ArrayBufferView & { slice: () => ArrayBufferView }
    if (!(view.buffer instanceof ArrayBuffer) || view.byteLength === 0) { out.push(t); continue }
    if (view.byteOffset === 0 && view.byteLength === view.buffer.byteLength) {
      transfer.add(view.buffer)
      out.push(t)
      continue
    }
    const copy = view.slice()
    transfer.add(copy.buffer as ArrayBuffer)
    out.push({ ...t, data: copy } as Tensor)
  }
  return { tensors: out, transfer: [...transfer] }
}
