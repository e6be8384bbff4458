import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readInputFile, type InputDims } from './input-file.js'

const dir = mkdtempSync(join(tmpdir(), 'inferd-input-file-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function file (doc: unknown): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(path, typeof doc === 'string' ? doc : JSON.stringify(doc))
  return path
}

const inputs: InputDims[] = [
  { name: 'A', datatype: 'INT32', dims: [2, 2] },
  { name: 'S', datatype: 'BYTES', dims: [-1] },
]

describe('readInputFile (perf_analyzer data format)', () => {
  it('reads flat, nested, content/shape and b64 forms, one request per entry', () => {
    const bytes = Buffer.alloc(16)
    for (let i = 0; i < 4; i++) bytes.writeInt32LE(10 + i, i * 4)
    const strings = Buffer.concat([Buffer.from([2, 0, 0, 0]), Buffer.from('hi')])
    const path = file({
      data: [
        { A: [1, 2, 3, 4], S: { content: ['x', 'yz'], shape: [2] } },
        { A: [[5, 6], [7, 8]], S: { content: { b64: strings.toString('base64') }, shape: [1] } },
        { A: { b64: bytes.toString('base64') }, S: { content: ['only'], shape: [1] } },
      ],
    })
    const requests = readInputFile(path, inputs, { batchSize: undefined })
    expect(requests).toHaveLength(3)
    expect(requests[0]![0]).toEqual({ name: 'A', datatype: 'INT32', shape: [2, 2], data: Int32Array.from([1, 2, 3, 4]) })
    expect((requests[0]![1]!.data as Uint8Array[]).map((b) => Buffer.from(b).toString())).toEqual(['x', 'yz'])
    expect(requests[1]![0]!.data).toEqual(Int32Array.from([5, 6, 7, 8]))
    expect((requests[1]![1]!.data as Uint8Array[]).map((b) => Buffer.from(b).toString())).toEqual(['hi'])
    expect(requests[2]![0]!.data).toEqual(Int32Array.from([10, 11, 12, 13]))
  })

  it('repeats each entry along the batch dimension for a batching model', () => {
    const path = file({ data: [{ A: [1, 2, 3, 4], S: { content: ['s'], shape: [1] } }] })
    const [[a, s]] = readInputFile(path, inputs, { batchSize: 3 }) as [[any, any]]
    expect(a.shape).toEqual([3, 2, 2])
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4])
    expect(s.shape).toEqual([3, 1])
    expect(s.data).toHaveLength(3)
  })

  it('says which entry and input are wrong', () => {
    expect(() => readInputFile(file('{nope'), inputs, { batchSize: undefined })).toThrow(/--input-data/)
    expect(() => readInputFile(file({ data: [] }), inputs, { batchSize: undefined })).toThrow(/expected \{"data"/)
    expect(() => readInputFile(file({ data: [{ A: [1, 2, 3, 4] }] }), inputs, { batchSize: undefined })).toThrow(/data\[0\]: input 'S' is missing/)
    expect(() => readInputFile(file({ data: [{ A: [1, 2, 3], S: { content: ['a'], shape: [1] } }] }), inputs, { batchSize: undefined }))
      .toThrow(/data\[0\]\.A: shape \[2,2\] needs 4 elements, got 3/)
    expect(() => readInputFile(file({ data: [{ A: [1, 2, 3, 4], S: ['a'] }] }), inputs, { batchSize: undefined }))
      .toThrow(/data\[0\]\.S: .*variable dimensions/)
    expect(() => readInputFile(file({ data: [{ A: ['x', 2, 3, 4], S: { content: ['a'], shape: [1] } }] }), inputs, { batchSize: undefined }))
      .toThrow(/element 0 \("x"\) is not a INT32 value/)
    expect(() => readInputFile(file({ data: [{ A: { content: [1, 2, 3, 4], shape: [4] }, S: { content: ['a'], shape: [1] } }] }), inputs, { batchSize: undefined }))
      .toThrow(/does not fit the model's \[2,2\]/)
    expect(() => readInputFile(file({ data: [[{ A: [1] }]] }), inputs, { batchSize: undefined })).toThrow(/sequence streams/)
  })
})
