/**
 * IEEE 754 half precision (FP16) and bfloat16 (BF16) ↔ JS numbers.
 *
 * inferd holds FP16/BF16 elements as raw 16-bit patterns (see dtype.ts); these helpers convert at
 * the protocol edge, where clients speak JSON numbers.
 *
 * Encoding rounds the *exact* double value once, to nearest with ties to even. Going through a
 * Float32 first (`Math.fround`, then the usual f32→f16 bit trick) would round twice and can be
 * off by one unit in the last place on rare ties; rounding the double directly cannot. For any
 * input that already is a float32 the result equals the textbook f32→f16 / f32→bf16 conversion.
 *
 *   FP16: 1 sign | 5 exponent (bias 15)  | 10 mantissa    max 65504,   min subnormal 2^-24
 *   BF16: 1 sign | 8 exponent (bias 127) |  7 mantissa    max ≈3.39e38, min subnormal 2^-133
 *
 * NaN encodes as the positive canonical quiet NaN (0x7E00 / 0x7FC0): a JS NaN carries no payload
 * worth keeping.
 */

// Scratch views to read a double's exponent field without Math.log2 (exact, and fast).
const F64 = new Float64Array(1)
const F64_WORDS = new Uint32Array(F64.buffer)
/** Index of the high 32-bit word of a double in host byte order. */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0

const F32 = new Float32Array(1)
const F32_BITS = new Uint32Array(F32.buffer)

// Exact powers of two for the scaling below (built by repeated doubling/halving: no Math.pow doubt).
const POW2_MIN = -160
const POW2 = new Float64Array(321)
{
  let p = 1
  for (let e = 0; e <= 160; e++) { POW2[e - POW2_MIN] = p; p *= 2 }
  p = 1
  for (let e = 0; e >= POW2_MIN; e--) { POW2[e - POW2_MIN] = p; p /= 2 }
}
function pow2 (e: number): number {
  return POW2[e - POW2_MIN] as number
}

/** Rounds a non-negative number to an integer, ties to even. */
function roundHalfEven (m: number): number {
  const f = Math.floor(m)
  const d = m - f // exact: m < 2^53 here
  if (d > 0.5) return f + 1
  if (d < 0.5) return f
  return f % 2 === 0 ? f : f + 1
}

/**
 * Rounds a double to a binary format with `expBits` exponent and `mantBits` mantissa bits and
 * returns its bit pattern. Shared by FP16 and BF16, which differ only in those widths.
 */
function encode (x: number, expBits: number, mantBits: number): number {
  const bias = (1 << (expBits - 1)) - 1
  const expAllOnes = (1 << expBits) - 1
  const signBit = 1 << (expBits + mantBits)
  const infBits = expAllOnes << mantBits
  if (x !== x) return infBits | (1 << (mantBits - 1)) // canonical quiet NaN
  F64[0] = x
  const hi = F64_WORDS[HI] as number
  const sign = (hi >>> 31) === 1 ? signBit : 0 // from the bits, so -0 keeps its sign
  const a = Math.abs(x)
  // Unbiased exponent of the double; a double subnormal reads as -1023, far below any target.
  const e = ((hi >>> 20) & 0x7ff) - 1023
  if (e > bias) return sign | infBits // ≥ 2^(bias+1): beyond the largest finite value
  if (e < 1 - bias) {
    // Target subnormal: count units of 2^(1-bias-mantBits). A result of 2^mantBits is the
    // smallest normal, whose encoding happens to be exactly that integer.
    return sign | roundHalfEven(a * pow2(bias - 1 + mantBits))
  }
  // Normal: mantissa with its implicit bit, scaled to [2^mantBits, 2^(mantBits+1)).
  let m = roundHalfEven(a * pow2(mantBits - e))
  let be = e + bias
  if (m === 1 << (mantBits + 1)) { m >>>= 1; be++ } // rounding carried into the exponent
  if (be >= expAllOnes) return sign | infBits
  return sign | (be << mantBits) | (m - (1 << mantBits))
}

/** The FP16 bit pattern nearest to `x` (ties to even; overflow to ±Infinity). */
export function toFloat16Bits (x: number): number {
  return encode(x, 5, 10)
}

/** The number an FP16 bit pattern holds (exact: every FP16 value is a double). */
export function fromFloat16Bits (bits: number): number {
  const e = (bits >>> 10) & 0x1f
  const m = bits & 0x3ff
  const s = (bits & 0x8000) === 0 ? 1 : -1
  if (e === 0) return s * m * pow2(-24)
  if (e === 0x1f) return m === 0 ? s * Infinity : NaN
  return s * (m + 1024) * pow2(e - 25)
}

/** The BF16 bit pattern nearest to `x` (ties to even; overflow to ±Infinity). */
export function toBFloat16Bits (x: number): number {
  return encode(x, 8, 7)
}

/** The number a BF16 bit pattern holds (its bits are the top half of a float32). */
export function fromBFloat16Bits (bits: number): number {
  F32_BITS[0] = (bits & 0xffff) << 16
  return F32[0] as number
}
