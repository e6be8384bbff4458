import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InferdServer } from '../../server.js'
import { getJson, postJson } from '../../../test/helpers/oip-client.js'
import { EXAMPLES_REPO } from '../../../test/helpers/paths.js'
import { startServer } from '../../../test/helpers/server.js'

/**
 * examples/models/sentiment: the custom-backend example (wink-nlp's pre-trained English model in
 * 1/model.mjs), served from the examples repository over /v2 with BYTES in.
 */

let server: InferdServer
let url: string
beforeAll(async () => {
  server = await startServer(EXAMPLES_REPO, { modelControlMode: 'explicit', loadModels: ['sentiment'] })
  url = server.httpUrl
})
afterAll(async () => { await server?.close() })

describe('sentiment example', () => {
  it('labels a batch of texts positive, negative and neutral, with scores in [-1, 1]', async () => {
    const texts = ['I love this wonderful product', 'This is a terrible, awful experience', 'The box is blue.']
    const res = await postJson(`${url}/v2/models/sentiment/infer`, {
      inputs: [{ name: 'text', datatype: 'BYTES', shape: [3, 1], data: texts }],
    })
    expect(res.status, res.text).toBe(200)
    const out = Object.fromEntries(res.json.outputs.map((o: { name: string }) => [o.name, o]))
    expect(out.label).toEqual({ name: 'label', datatype: 'BYTES', shape: [3, 1], data: ['positive', 'negative', 'neutral'] })
    expect(out.sentiment).toMatchObject({ datatype: 'FP32', shape: [3, 1] })
    const [pos, neg, neutral] = out.sentiment.data as number[]
    expect(pos).toBeGreaterThan(0.05)
    expect(pos).toBeLessThanOrEqual(1)
    expect(neg).toBeLessThan(-0.05)
    expect(neg).toBeGreaterThanOrEqual(-1)
    expect(neutral).toBe(0)
  })

  it('answers requests sent together, each with its own label', async () => {
    const texts = ['What a great day', 'I hate this horrible food', 'Absolutely fantastic service', 'The food was bad']
    const all = await Promise.all(texts.map((t) => postJson(`${url}/v2/models/sentiment/infer`, {
      inputs: [{ name: 'text', datatype: 'BYTES', shape: [1, 1], data: [t] }],
      outputs: [{ name: 'label' }],
    })))
    expect(all.map((r) => r.json.outputs[0].data[0])).toEqual(['positive', 'negative', 'positive', 'negative'])
  })

  it('describes itself as a typescript model with a BYTES input', async () => {
    const res = await getJson(`${url}/v2/models/sentiment`)
    expect(res.json).toMatchObject({ name: 'sentiment', platform: 'typescript', inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1, 1] }] })
  })
})
