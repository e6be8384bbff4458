import { describe, expect, it } from 'vitest'
import { checkOutputs, type OutputExpectation } from './output-check.js'

const expectation = (over: Partial<OutputExpectation> = {}): OutputExpectation => ({
  declared: [
    { name: 'y', datatype: 'FP32', dims: [2] },
    { name: 'ids', datatype: 'INT64', dims: [-1] },
    { name: 'flag', datatype: 'BOOL', dims: [] },
    { name: 'text', datatype: 'BYTES', dims: [1] },
    { name: 'half', datatype: 'FP16', dims: [1] },
  ],
  outputNames: ['y'],
  maxBatchSize: 4,
  batchSize: 2,
  ...over,
})

describe('checkOutputs', () => {
  it('passes a typed array of the declared type through as it is, in the order asked', () => {
    const y = new Float32Array([1, 2, 3, 4])
    const [out] = checkOutputs({ y: { datatype: 'FP32', shape: [2, 2], data: y } }, expectation())
    expect(out).toEqual({ name: 'y', datatype: 'FP32', shape: [2, 2], data: y })
    expect(out?.data).toBe(y)
  })

  it('converts plain arrays and fills in a shape the dims fix', () => {
    const outs = checkOutputs({
      y: { data: [0.5, 1, 2, 3] },
      ids: { shape: [2, 3], data: [1, 2n, 3, 4, 5, 2 ** 53] },
      flag: { data: [true, 0] },
      text: { data: ['hé', new Uint8Array([104, 105])] },
    }, expectation({ outputNames: ['text', 'flag', 'ids', 'y'] }))
    expect(outs.map((t) => [t.name, t.shape])).toEqual([['text', [2, 1]], ['flag', [2]], ['ids', [2, 3]], ['y', [2, 2]]])
    expect(outs[0]?.data).toEqual([new TextEncoder().encode('hé'), new Uint8Array([104, 105])])
    expect(outs[1]?.data).toEqual(new Uint8Array([1, 0]))
    expect(outs[2]?.data).toEqual(new BigInt64Array([1n, 2n, 3n, 4n, 5n, 2n ** 53n]))
    expect(outs[3]?.data).toEqual(new Float32Array([0.5, 1, 2, 3]))
  })

  it('takes an unbatched model\'s dims as the whole shape', () => {
    const [out] = checkOutputs({ y: { data: [1, 2] } }, expectation({ maxBatchSize: 0, batchSize: 1 }))
    expect(out?.shape).toEqual([2])
  })

  it.each([
    ['a non-object', 42, /must return an object of outputs by name, got number 42/],
    ['an array', [{ data: [] }], /got an array/],
    ['a missing output', { ids: { shape: [2, 0], data: [] } }, /returned no output 'y' \(it returned: ids\)/],
    ['an undeclared output', { y: { data: [1, 2, 3, 4] }, z: { data: [] } }, /output 'z', which config.yaml does not declare \(outputs: y, ids, flag, text, half\)/],
    ['a different datatype', { y: { datatype: 'FP64', data: [1, 2, 3, 4] } }, /datatype FP64; config.yaml declares FP32/],
    ['a wrong rank', { y: { shape: [4], data: [1, 2, 3, 4] } }, /shape \[4\]; config.yaml allows \[2, 2\] \(2 rows in this batch/],
    ['rows that are not the batch\'s', { y: { shape: [1, 2], data: [1, 2] } }, /shape \[1, 2\]; config.yaml allows \[2, 2\]/],
    ['too few elements', { y: { data: [1, 2, 3] } }, /with 3 elements; shape \[2, 2\] needs 4/],
    ['a string where numbers belong', { y: { data: [1, 2, 'x', 4] } }, /element 2 a string "x"; FP32 elements are numbers/],
    ['no data', { y: { shape: [2, 2] } }, /expected \{ datatype\?, shape\?, data \}/],
  ])('refuses %s, saying what is wrong', (_, returned, message) => {
    expect(() => checkOutputs(returned, expectation())).toThrow(message)
  })

  it('needs a shape where the dims leave a size open, and a Uint16Array for FP16', () => {
    expect(() => checkOutputs({ ids: { data: [1] } }, expectation({ outputNames: ['ids'] }))).toThrow(/without a shape, which its dims \[-1\] do not fix/)
    expect(() => checkOutputs({ ids: { shape: [2, 1], data: [1.5, 2] } }, expectation({ outputNames: ['ids'] }))).toThrow(/element 0 number 1.5; INT64 elements are bigints or whole numbers/)
    expect(() => checkOutputs({ half: { data: [1, 2] } }, expectation({ outputNames: ['half'] }))).toThrow(/FP16 data is a Uint16Array of raw bits/)
    expect(() => checkOutputs({ text: { data: [1, 2] } }, expectation({ outputNames: ['text'] }))).toThrow(/element 0 number 1; BYTES elements are strings or Uint8Arrays/)
  })
})
