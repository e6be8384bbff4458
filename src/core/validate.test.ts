import { describe, expect, it } from 'vitest'
import { InferdError } from '../errors/inferd-error.js'
import type { InferenceRequest } from './inference.js'
import type { ModelSignature } from './signature.js'
import type { Tensor } from './tensor.js'
import { formatShape, validateRequest } from './validate.js'
import { catchInferdError as failure } from '../../test/helpers/catch-inferd-error.js'

const fp32 = (name: string, shape: number[], n = shape.reduce((a, b) => a * b, 1)): Tensor =>
  ({ name, datatype: 'FP32', shape, data: new Float32Array(n) })

const batched: ModelSignature = {
  maxBatchSize: 8,
  inputs: [
    { name: 'image', datatype: 'FP32', dims: [3, -1] },
    { name: 'mask', datatype: 'FP32', dims: [2] },
    { name: 'hint', datatype: 'INT64', dims: [1], optional: true },
  ],
  outputs: [{ name: 'probs', datatype: 'FP32', dims: [10] }, { name: 'label', datatype: 'BYTES', dims: [1] }],
}

const plain: ModelSignature = {
  maxBatchSize: 0,
  inputs: [{ name: 'x', datatype: 'FP32', dims: [-1, 4] }],
  outputs: [{ name: 'y', datatype: 'FP32', dims: [-1, 1] }],
}

function req (inputs: Tensor[], outputs?: string[]): InferenceRequest {
  return { modelName: 'm', inputs, ...(outputs === undefined ? {} : { outputs: outputs.map((name) => ({ name })) }) }
}


describe('validateRequest', () => {
  it('accepts matching requests, with -1 dims of any size and optional inputs absent', () => {
    expect(() => validateRequest(req([fp32('image', [2, 3, 5]), fp32('mask', [2, 2])]), 'm', batched)).not.toThrow()
    expect(() => validateRequest(req([fp32('image', [8, 3, 0]), fp32('mask', [8, 2])], ['label']), 'm', batched)).not.toThrow()
    expect(() => validateRequest(req([fp32('x', [7, 4])]), 'm', plain)).not.toThrow()
    const hint: Tensor = { name: 'hint', datatype: 'INT64', shape: [1, 1], data: new BigInt64Array(1) }
    expect(() => validateRequest(req([fp32('image', [1, 3, 1]), fp32('mask', [1, 2]), hint]), 'm', batched)).not.toThrow()
  })

  it('refuses an unknown input, listing the model\'s inputs', () => {
    const e = failure(() => validateRequest(req([fp32('imgae', [1, 3, 1]), fp32('mask', [1, 2])]), 'm', batched))
    expect(e.code).toBe('INFERD_ERR_INPUT_UNKNOWN')
    expect(e.message).toBe("model 'm' has no input named 'imgae' (inputs: image, mask, hint)")
  })

  it('refuses a missing required input', () => {
    const e = failure(() => validateRequest(req([fp32('image', [1, 3, 1])]), 'm', batched))
    expect(e.code).toBe('INFERD_ERR_INPUT_MISSING')
    expect(e.message).toBe("model 'm' expects input 'mask', which the request does not have")
  })

  it('refuses a duplicated input', () => {
    const e = failure(() => validateRequest(req([fp32('x', [1, 4]), fp32('x', [1, 4])]), 'm', plain))
    expect(e.code).toBe('INFERD_ERR_INPUT_DUPLICATE')
  })

  it('refuses a datatype mismatch, naming both', () => {
    const x: Tensor = { name: 'x', datatype: 'INT32', shape: [1, 4], data: new Int32Array(4) }
    const e = failure(() => validateRequest(req([x]), 'm', plain))
    expect(e.code).toBe('INFERD_ERR_DTYPE_INVALID')
    expect(e.message).toBe("input 'x': datatype INT32 does not match the model's FP32")
  })

  it('refuses rank and dimension mismatches, showing both shapes', () => {
    let e = failure(() => validateRequest(req([fp32('x', [4])]), 'm', plain))
    expect(e.code).toBe('INFERD_ERR_TENSOR_SHAPE_MISMATCH')
    expect(e.message).toBe("input 'x': shape [4] does not match the model's [-1,4]")
    e = failure(() => validateRequest(req([fp32('x', [2, 5])]), 'm', plain))
    expect(e.message).toBe("input 'x': shape [2,5] does not match the model's [-1,4]")
    // batching model: the batch dimension must be there
    e = failure(() => validateRequest(req([fp32('image', [3, 5]), fp32('mask', [1, 2])]), 'm', batched))
    expect(e.message).toBe("input 'image': shape [3,5] does not match the model's [-1,3,-1]")
  })

  it('refuses a batch above max_batch_size, and batch 0', () => {
    let e = failure(() => validateRequest(req([fp32('image', [9, 3, 1]), fp32('mask', [9, 2])]), 'm', batched))
    expect(e.code).toBe('INFERD_ERR_BATCH_TOO_LARGE')
    expect(e.message).toBe("input 'image': batch size 9 exceeds the model's max_batch_size 8")
    e = failure(() => validateRequest(req([fp32('image', [0, 3, 1]), fp32('mask', [0, 2])]), 'm', batched))
    expect(e.code).toBe('INFERD_ERR_TENSOR_SHAPE_MISMATCH')
    expect(e.message).toBe("input 'image': shape [0,3,1] does not match the model's [-1,3,-1] with a batch size from 1 to 8")
  })

  it('refuses inputs that disagree on the batch size', () => {
    const e = failure(() => validateRequest(req([fp32('image', [2, 3, 1]), fp32('mask', [3, 2])]), 'm', batched))
    expect(e.code).toBe('INFERD_ERR_TENSOR_SHAPE_MISMATCH')
    expect(e.message).toBe("input 'mask': shape [3,2] does not match the model's [2,2] (every input must have the batch size 2 of input 'image')")
  })

  it('refuses data whose length differs from the shape', () => {
    const e = failure(() => validateRequest(req([fp32('x', [2, 4], 7)]), 'm', plain))
    expect(e.code).toBe('INFERD_ERR_TENSOR_SIZE_MISMATCH')
    expect(e.message).toBe("tensor 'x': shape [2,4] needs 8 elements, got 7")
  })

  it('refuses negative or fractional request dimensions', () => {
    const e = failure(() => validateRequest(req([fp32('x', [-1, 4], 4)]), 'm', plain))
    expect(e.code).toBe('INFERD_ERR_TENSOR_SHAPE_INVALID')
    expect(e.message).toBe("tensor 'x': invalid shape [-1,4] (dimensions must be non-negative integers)")
  })

  it('refuses an unknown requested output, listing the outputs', () => {
    const e = failure(() => validateRequest(req([fp32('image', [1, 3, 1]), fp32('mask', [1, 2])], ['probs', 'logits']), 'm', batched))
    expect(e.code).toBe('INFERD_ERR_OUTPUT_UNKNOWN')
    expect(e.message).toBe("model 'm' has no output named 'logits' (outputs: probs, label)")
  })
})

describe('formatShape', () => {
  it('prints shapes as Triton does', () => {
    expect(formatShape([])).toBe('[]')
    expect(formatShape([-1, 3, 224])).toBe('[-1,3,224]')
  })
})
