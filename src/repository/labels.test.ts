import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readOutputLabels, splitLabels } from './labels.js'

describe('labels', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inferd-labels-'))
    await mkdir(join(dir, 'model', 'meta'), { recursive: true })
    await writeFile(join(dir, 'model', 'meta', 'labels.txt'), 'a\r\nb\n\nd')
    await writeFile(join(dir, 'secret.txt'), 'x')
  })
  afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

  it('splits one label a line, without a label for the final newline', () => {
    expect(splitLabels('a\nb\n')).toEqual(['a', 'b'])
    expect(splitLabels('a\r\n\r\nc')).toEqual(['a', '', 'c'])
    expect(splitLabels('')).toEqual([])
  })

  it('reads label files relative to the model folder', async () => {
    const labels = await readOutputLabels('m', join(dir, 'model'), [
      { name: 'probs', data_type: 'FP32', dims: [4], label_filename: 'meta/labels.txt' },
      { name: 'other', data_type: 'FP32', dims: [4] },
    ])
    expect([...labels]).toEqual([['probs', ['a', 'b', '', 'd']]])
  })

  it('refuses files outside the model folder and missing files', async () => {
    const out = (file: string) => [{ name: 'p', data_type: 'FP32' as const, dims: [1], label_filename: file }]
    await expect(readOutputLabels('m', join(dir, 'model'), out('../secret.txt'))).rejects.toThrow(/is outside the model folder/)
    await expect(readOutputLabels('m', join(dir, 'model'), out(join(dir, 'secret.txt')))).rejects.toThrow(/is outside the model folder/)
    await expect(readOutputLabels('m', join(dir, 'model'), out('nope.txt'))).rejects.toThrow(/label_filename: 'nope.txt' not found/)
  })
})
