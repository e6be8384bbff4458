import { readFile } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { ARRAY_CTOR, type DataType, ELEMENT_BYTES, type FixedDataType } from '../core/dtype.js'
import { toBFloat16Bits, toFloat16Bits } from '../core/half.js'
import { isInsideFolder } from '../core/inside-folder.js'
import { seededRandom } from '../core/random.js'
import { allocData, elementCount, type Tensor } from '../core/tensor.js'
import type { WarmupInputConfig } from '../repository/model-config.js'

/** The folder of a model that holds warmup data files (Triton: "a sub-directory 'warmup' under the model directory"). */
export const WARMUP_FOLDER = 'warmup'

/**
 * One input of a warmup sample as a tensor, following Triton's ModelWarmup.Input:
 *
 * - `zero_data`: zeros (empty strings for BYTES);
 * - `random_data`: pseudo-random values from a fixed seed, so every load warms up with the same
 *   data (floats in [0, 1), integers in [0, 100), booleans 0/1; BYTES falls back to zero data,
 *   as in Triton);
 * - `input_data_file`: the raw bytes of one sample in row-major order, little-endian (as the
 *   binary tensor extension lays them out), from `<model>/warmup/<file>`; for BYTES, each
 *   element is a 4-byte little-endian length followed by its bytes. The file must hold exactly
 *   one sample of `dims`: a size that does not fit is refused rather than padded or cut.
 *
 * `dims` exclude the batch dimension; with `batchSize` (a batching model) the sample is repeated
 * to `[batchSize, ...dims]` rows.
 *
 * @throws Error with a message naming the problem (the caller adds the sample and model)
 */
export async function warmupTensor (name: string, input: WarmupInputConfig, batchSize: number | undefined, modelDir: string, seed: number): Promise<Tensor> {
  if (input.dims.some((d) => d < 0)) throw new Error(`input '${name}': dims [${input.dims.join(', ')}] must be fixed sizes (no -1)`)
  const perSample = elementCount(input.dims)
  const rows = batchSize ?? 1
  const shape = batchSize === undefined ? [...input.dims] : [batchSize, ...input.dims]
  const dt = input.data_type
  let sample: Tensor['data']
  if (input.input_data_file !== undefined) sample = await fromFile(name, dt, perSample, modelDir, input.input_data_file)
  else if (input.random_data === true && dt !== 'BYTES') sample = randomData(dt, perSample, seed)
  else sample = allocData(dt, perSample)
  return { name, datatype: dt, shape, data: repeat(dt, sample, rows) }
}

async function fromFile (name: string, dt: DataType, count: number, modelDir: string, file: string): Promise<Tensor['data']> {
  const folder = resolve(modelDir, WARMUP_FOLDER)
  const path = resolve(folder, file)
  const rel = relative(folder, path)
  if (isAbsolute(file) || !isInsideFolder(folder, path)) {
    throw new Error(`input '${name}': input_data_file '${file}' must name a file inside the model's ${WARMUP_FOLDER}/ folder`)
  }
  const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`input '${name}': cannot read ${join(WARMUP_FOLDER, rel)}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`)
  })
  if (dt === 'BYTES') return parseBytesElements(name, bytes, count)
  const size = ELEMENT_BYTES[dt]
  if (bytes.length !== count * size) {
    throw new Error(`input '${name}': ${join(WARMUP_FOLDER, rel)} has ${bytes.length} bytes; one sample of ${count} ${dt} element(s) is ${count * size}`)
  }
  // Copied into a fresh, aligned buffer: the file's Buffer may sit at any offset of a shared pool.
  const out = new ARRAY_CTOR[dt](count)
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes)
  return out as unknown as Tensor['data']
}

function parseBytesElements (name: string, bytes: Buffer, count: number): Uint8Array[] {
  const out: Uint8Array[] = []
  let at = 0
  while (at < bytes.length) {
    if (at + 4 > bytes.length) throw new Error(`input '${name}': BYTES warmup file ends inside an element's 4-byte length`)
    const len = bytes.readUInt32LE(at)
    at += 4
    if (at + len > bytes.length) throw new Error(`input '${name}': BYTES warmup element ${out.length} claims ${len} bytes past the end of the file`)
    out.push(Uint8Array.from(bytes.subarray(at, at + len)))
    at += len
  }
  if (out.length !== count) throw new Error(`input '${name}': BYTES warmup file holds ${out.length} element(s); one sample of dims needs ${count}`)
  return out
}

function randomData (dt: FixedDataType, count: number, seed: number): Tensor['data'] {
  const next = seededRandom(seed)
  const out = allocData(dt, count)
  for (let i = 0; i < count; i++) {
    const r = next()
    switch (dt) {
      case 'FP32': case 'FP64': (out as Float32Array)[i] = r; break
      case 'FP16': (out as Uint16Array)[i] = toFloat16Bits(r); break
      case 'BF16': (out as Uint16Array)[i] = toBFloat16Bits(r); break
      case 'BOOL': (out as Uint8Array)[i] = r < 0.5 ? 0 : 1; break
      case 'INT64': (out as BigInt64Array)[i] = BigInt(Math.floor(r * 100)); break
      case 'UINT64': (out as BigUint64Array)[i] = BigInt(Math.floor(r * 100)); break
      default: (out as Int32Array)[i] = Math.floor(r * 100)
    }
  }
  return out
}

/** `rows` copies of one sample, end to end. */
function repeat (dt: DataType, sample: Tensor['data'], rows: number): Tensor['data'] {
  if (rows === 1) return sample
  if (dt === 'BYTES') return Array.from({ length: rows }, () => sample as Uint8Array[]).flat()
  const one = sample as Float32Array
  const out = new ARRAY_CTOR[dt as FixedDataType](one.length * rows) as unknown as Float32Array
  for (let r = 0; r < rows; r++) out.set(one, r * one.length)
  return out as unknown as Tensor['data']
}

/** A 32-bit FNV-1a hash of a string: a stable seed per model, sample and input. */
export function seedOf (text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}
