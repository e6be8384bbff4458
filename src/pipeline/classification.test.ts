import { describe, expect, it } from 'vitest'
import type { Tensor } from '../core/tensor.js'
import { toFloat16Bits } from '../core/half.js'
import { catchInferdError } from '../../test/helpers/catch-inferd-error.js'
import { applyClassification } from './classification.js'

const text = (t: Tensor): string[] => (t.data as Uint8Array[]).map((b) => new TextDecoder().decode(b))
const probs: Tensor = { name: 'p', datatype: 'FP32', shape: [2, 4], data: new Float32Array([1, 5, 10, 4, 0.5, 0.25, 0.25, 0]) }
const labels = new Map([['p', ['a', 'b', 'c', 'd']]])

describe('classification extension', () => {
  it('returns the top k of each row as value:index:label, highest first, ties by index', () => {
    const [out] = applyClassification([probs], [{ name: 'p', parameters: { classification: 2 } }], labels, true)
    expect(out).toMatchObject({ name: 'p', datatype: 'BYTES', shape: [2, 2] })
    expect(text(out!)).toEqual(['10:2:c', '5:1:b', '0.5:0:a', '0.25:1:b'])
  })

  it('omits labels when the output has none, clamps k, and handles unbatched models and FP16', () => {
    const [out] = applyClassification([probs], [{ name: 'p', parameters: { classification: 9 } }], new Map(), true)
    expect(out!.shape).toEqual([2, 4])
    expect(text(out!).slice(0, 4)).toEqual(['10:2', '5:1', '4:3', '1:0'])
    const half: Tensor = { name: 'h', datatype: 'FP16', shape: [3], data: new Uint16Array([0.5, 2, 1].map(toFloat16Bits)) }
    const [h] = applyClassification([half], [{ name: 'h', parameters: { classification: 1 } }], new Map(), false)
    expect(h!.shape).toEqual([1])
    expect(text(h!)).toEqual(['2:1'])
  })

  it('leaves outputs alone without the parameter, and refuses a bad k', () => {
    expect(applyClassification([probs], [{ name: 'p' }], labels, true)[0]).toBe(probs)
    expect(catchInferdError(() => applyClassification([probs], [{ name: 'p', parameters: { classification: 0 } }], labels, true)).code)
      .toBe('INFERD_ERR_PARAMETER_INVALID')
  })
})
