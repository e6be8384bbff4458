import { describe, expect, it } from 'vitest'
import type { Tensor } from '../../core/tensor.js'
import { ctcVocabulary } from './ctc.js'
import { ctcStage } from './ctc-stage.js'

// blank 0, 'h' 1, 'i' 2; two items of 3 steps: "h _ i" and "i i _"
const probs: Tensor = {
  name: 'probs',
  datatype: 'FP32',
  shape: [2, 3, 3],
  data: new Float32Array([0.1, 0.8, 0.1, 0.9, 0.05, 0.05, 0.2, 0.1, 0.7, 0, 0.1, 0.9, 0, 0.2, 0.8, 1, 0, 0]),
}
const stage = ctcStage({ name: 'text', model: 'rec', tensor: 'probs', vocabulary: ctcVocabulary(['h', 'i'], { labels: 'l' }, 'rec', 3) })

describe('ctcStage', () => {
  it('answers { text, confidence } per item', () => {
    const [first, second] = stage.decode(new Map([['probs', probs]]), 2) as Array<{ text: string; confidence: number }>
    expect(first!.text).toBe('hi')
    expect(first!.confidence).toBeCloseTo((0.8 + 0.7) / 2, 6)
    expect(second).toEqual({ text: 'i', confidence: expect.closeTo(0.9, 6) })
  })

  it('gives /v2 a BYTES tensor [n] of the texts', () => {
    const t = stage.toTensor(new Map([['probs', probs]]), 2)
    expect(t).toMatchObject({ name: 'text', datatype: 'BYTES', shape: [2] })
    expect((t.data as Uint8Array[]).map((b) => new TextDecoder().decode(b))).toEqual(['hi', 'i'])
    expect([stage.datatype, stage.dims, stage.kind]).toEqual(['BYTES', [], 'ctc'])
  })

  it('fails as a server fault when the output is not [n, T, C]', () => {
    const flat: Tensor = { ...probs, shape: [2, 9] }
    expect(() => stage.decode(new Map([['probs', flat]]), 2)).toThrow(/is not \[2, T, C\]/)
  })
})
