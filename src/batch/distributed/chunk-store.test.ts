import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ChunkStore, type ChunkMeta } from './chunk-store.js'

let root: string
beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'inferd-chunks-')) })
afterEach(async () => { await rm(root, { recursive: true, force: true }) })

const meta = (index: number, worker: string): ChunkMeta => ({ index, rows: 2, written: 2, rejected: 0, modelVersion: '1', columns: ['row'], worker, seconds: 0 })

describe('ChunkStore', () => {
  it('commits a chunk once: a second attempt of the same chunk finds it committed and leaves the first copy', async () => {
    const store = new ChunkStore(join(root, 'work'))
    await store.create()
    const first = await store.begin(3)
    const second = await store.begin(3)
    await writeFile(first.rowsPath, '{"row":0}\n{"row":1}\n')
    await writeFile(second.rowsPath, '{"row":0}\n{"row":1}\n{"row":1}\n') // a different copy, to see which one stays
    expect(await store.committed(3)).toBeUndefined()
    expect(await first.commit(meta(3, 'a'))).toBe('committed')
    expect(await second.commit(meta(3, 'b'))).toBe('already')
    expect((await store.committed(3))?.worker).toBe('a')
    expect(await readFile(join(store.chunkDir(3), 'rows.jsonl'), 'utf8')).toBe('{"row":0}\n{"row":1}\n')
    expect(await readdir(store.dir)).toEqual(['chunk-000003']) // the losing attempt's folder is gone
    expect(await store.committedIndexes()).toEqual(new Set([3]))
  })

  it('lets one of many racing attempts win, the others report already', async () => {
    const store = new ChunkStore(join(root, 'work'))
    await store.create()
    const attempts = await Promise.all(Array.from({ length: 8 }, () => store.begin(0)))
    await Promise.all(attempts.map((a, i) => writeFile(a.rowsPath, `{"attempt":${i}}\n`)))
    const results = await Promise.all(attempts.map((a, i) => a.commit(meta(0, String(i)))))
    expect(results.filter((r) => r === 'committed')).toHaveLength(1)
    const winner = results.indexOf('committed')
    expect(await readFile(join(store.chunkDir(0), 'rows.jsonl'), 'utf8')).toBe(`{"attempt":${winner}}\n`)
    expect((await store.committed(0))?.worker).toBe(String(winner))
  })

  it('refuses to begin an attempt when the run folder is gone (a finished run is never recreated)', async () => {
    const store = new ChunkStore(join(root, 'missing'))
    await expect(store.begin(0)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await store.committedIndexes()).toEqual(new Set())
  })
})
