import { Errors } from '../errors/codes.js'
import { InferdError } from '../errors/inferd-error.js'
import type { InferenceRequest } from './inference.js'
import { type ModelSignature, type TensorSpec, wireShape } from './signature.js'
import { dataLength, elementCount, type Tensor } from './tensor.js'

/**
 * Checks a decoded request against the signature of the model version that will serve it, so
 * that nothing malformed reaches a backend (which would fail with a far less helpful message, or
 * not at all). Protocol-independent: HTTP and gRPC decoders both end here.
 *
 * The rules follow Triton's `InferenceRequest::Normalize`:
 *   - every input must be declared by the model; every declared input must be present unless the
 *     spec marks it `optional`;
 *   - datatypes must match exactly (no implicit casts);
 *   - a non-batching model (`maxBatchSize` 0) takes the declared `dims` as the full shape;
 *     a batching one takes `[batch, ...dims]` with 1 ≤ batch ≤ maxBatchSize, the same batch for
 *     every input; -1 in `dims` accepts any size, and the request itself may not use -1;
 *   - `data` must hold exactly product(shape) elements;
 *   - every requested output must exist.
 * Batch 0 is refused (as a shape mismatch): an empty batch has nothing to schedule and some
 * backends reject zero-sized dimensions.
 *
 * @throws InferdError INPUT_UNKNOWN, INPUT_DUPLICATE, INPUT_MISSING, DTYPE_INVALID,
 *   TENSOR_SHAPE_INVALID, TENSOR_SHAPE_MISMATCH, BATCH_TOO_LARGE, TENSOR_SIZE_MISMATCH, OUTPUT_UNKNOWN
 */
export function validateRequest (req: InferenceRequest, modelName: string, sig: ModelSignature): void {
  const specs = inputSpecs(sig)
  const seen = new Set<string>()
  let batch: { readonly size: number; readonly input: string } | undefined
  for (const t of req.inputs) {
    const spec = specs.get(t.name)
    if (spec === undefined) throw new InferdError(Errors.INPUT_UNKNOWN, [modelName, t.name, listNames(sig.inputs)])
    if (seen.has(t.name)) throw new InferdError(Errors.INPUT_DUPLICATE, [t.name])
    seen.add(t.name)
    if (t.datatype !== spec.datatype) throw new InferdError(Errors.DTYPE_INVALID, [t.name, t.datatype, spec.datatype])
    if (!isShape(t.shape)) throw new InferdError(Errors.TENSOR_SHAPE_INVALID, [t.name, `${formatShape(t.shape)} (dimensions must be non-negative integers)`])
    const size = checkShape(t, spec, sig.maxBatchSize, batch)
    if (size !== undefined && batch === undefined) batch = { size, input: t.name }
    const count = elementCount(t.shape)
    const held = dataLength(t)
    if (held !== count) throw new InferdError(Errors.TENSOR_SIZE_MISMATCH, [t.name, formatShape(t.shape), count, held])
  }
  for (const spec of sig.inputs) {
    if (!seen.has(spec.name) && spec.optional !== true) throw new InferdError(Errors.INPUT_MISSING, [modelName, spec.name])
  }
  if (req.outputs !== undefined) {
    const outputs = new Set(sig.outputs.map((o) => o.name))
    for (const o of req.outputs) {
      if (!outputs.has(o.name)) throw new InferdError(Errors.OUTPUT_UNKNOWN, [modelName, o.name, listNames(sig.outputs)])
    }
  }
}

/** Checks one input's shape against its spec; returns its batch size for a batching model. */
function checkShape (
  t: Tensor,
  spec: TensorSpec,
  maxBatchSize: number,
  batch: { readonly size: number; readonly input: string } | undefined,
): number | undefined {
  // Messages are built only on the way out: this runs for every input of every request.
  const expected = (): string => formatShape(wireShape(spec, maxBatchSize))
  const mismatch = (what: string): InferdError => new InferdError(Errors.TENSOR_SHAPE_MISMATCH, [t.name, formatShape(t.shape), what])
  const offset = maxBatchSize > 0 ? 1 : 0
  if (t.shape.length !== spec.dims.length + offset) throw mismatch(expected())
  for (let i = 0; i < spec.dims.length; i++) {
    const want = spec.dims[i] as number
    if (want !== -1 && t.shape[i + offset] !== want) throw mismatch(expected())
  }
  if (offset === 0) return undefined
  const size = t.shape[0] as number
  if (size > maxBatchSize) throw new InferdError(Errors.BATCH_TOO_LARGE, [t.name, size, maxBatchSize])
  if (size < 1) throw mismatch(`${expected()} with a batch size from 1 to ${maxBatchSize}`)
  if (batch !== undefined && size !== batch.size) {
    throw mismatch(`${formatShape([batch.size, ...spec.dims])} (every input must have the batch size ${batch.size} of input '${batch.input}')`)
  }
  return size
}

const SPECS = new WeakMap<ModelSignature, ReadonlyMap<string, TensorSpec>>()

/** The signature's inputs by name, built once per signature (a signature never changes). */
function inputSpecs (sig: ModelSignature): ReadonlyMap<string, TensorSpec> {
  let specs = SPECS.get(sig)
  if (specs === undefined) {
    specs = new Map(sig.inputs.map((s) => [s.name, s]))
    SPECS.set(sig, specs)
  }
  return specs
}

function isShape (shape: readonly number[]): boolean {
  for (const d of shape) if (!Number.isSafeInteger(d) || d < 0) return false
  return true
}

function listNames (specs: readonly TensorSpec[]): string {
  return specs.length === 0 ? '(none)' : specs.map((s) => s.name).join(', ')
}

/**
 * A shape as Triton prints it in messages: `[2,3]`, `[-1,224,224,3]`, `[]` for a scalar.
 *
 * @example formatShape([-1, 3]) // '[-1,3]'
 */
export function formatShape (shape: readonly (number | bigint)[]): string {
  return `[${shape.join(',')}]`
}
