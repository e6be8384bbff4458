import type { Tensor } from './tensor.js'

/**
 * The ArrayBuffers that can move to another thread instead of being copied: those a tensor's data
 * owns entirely. A view into a larger buffer (a slice of a pooled HTTP body, say) is copied by
 * structured clone instead, since moving its buffer would detach memory others still use. In
 * core because both the scheduler's session threads and the typescript backend's module threads
 * post tensors, and backends do not depend on the scheduler.
 */
export function transferables (tensors: readonly Tensor[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>()
  for (const t of tensors) {
    if (t.datatype === 'BYTES') continue
    const view = t.data as ArrayBufferView
    const buffer = view.buffer
    if (buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === buffer.byteLength && buffer.byteLength > 0) out.add(buffer)
  }
  return [...out]
}
