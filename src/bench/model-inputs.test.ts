import { describe, expect, it } from 'vitest'
import { applyShapes, modelPath, parseShapeOption, requestSpecs, type ModelInputs } from './model-inputs.js'

const batched: ModelInputs = {
  batched: true,
  inputs: [
    { name: 'image', datatype: 'FP32', dims: [3, -1, -1] },
    { name: 'scale', datatype: 'FP32', dims: [1] },
  ],
}

describe('parseShapeOption', () => {
  it('splits name and dims at the last colon', () => {
    expect(parseShapeOption('image:3,224,224')).toEqual(['image', [3, 224, 224]])
    expect(parseShapeOption('ns:name:4')).toEqual(['ns:name', [4]])
    expect(() => parseShapeOption('image')).toThrow(/name:d1,d2/)
    expect(() => parseShapeOption('image:3,x')).toThrow(/name:d1,d2/)
  })
})

describe('applyShapes and requestSpecs', () => {
  it('fills variable dimensions from --shape and puts the batch dimension first', () => {
    const dims = applyShapes(batched, { batchSize: 4, shapes: new Map([['image', [3, 224, 224]]]) })
    expect(requestSpecs(dims, true, 4)).toEqual([
      { name: 'image', datatype: 'FP32', shape: [4, 3, 224, 224] },
      { name: 'scale', datatype: 'FP32', shape: [4, 1] },
    ])
  })

  it('asks for --shape when a variable dimension is left open', () => {
    const dims = applyShapes(batched, { batchSize: 1 })
    expect(() => requestSpecs(dims, true, 1)).toThrow("input 'image' has variable dimensions [3,-1,-1]: give its shape with --shape image:3,N,N")
  })

  it('refuses shapes that contradict the model, unknown inputs, and batching a model that does not batch', () => {
    expect(() => applyShapes(batched, { batchSize: 1, shapes: new Map([['image', [4, 224, 224]]]) })).toThrow(/does not fit/)
    expect(() => applyShapes(batched, { batchSize: 1, shapes: new Map([['nope', [1]]]) })).toThrow(/no input 'nope'/)
    const fixed: ModelInputs = { batched: false, inputs: [{ name: 'x', datatype: 'FP32', dims: [2, 3] }] }
    expect(() => applyShapes(fixed, { batchSize: 2 })).toThrow(/does not batch/)
    expect(requestSpecs(applyShapes(fixed, { batchSize: 1 }), false, 1)).toEqual([{ name: 'x', datatype: 'FP32', shape: [2, 3] }])
  })
})

describe('modelPath', () => {
  it('names the version when given, and escapes names', () => {
    expect(modelPath({ baseUrl: '', model: 'simple' })).toBe('/v2/models/simple')
    expect(modelPath({ baseUrl: '', model: 'a b', version: '2' })).toBe('/v2/models/a%20b/versions/2')
  })
})
