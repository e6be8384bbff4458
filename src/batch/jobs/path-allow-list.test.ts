import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InferdError } from '../../errors/index.js'
import { PathAllowList } from './path-allow-list.js'

// A real folder tree: root/allowed (data.csv, sub/), root/outside (secret.csv), and links from
// inside the allowed folder to both sides.
let root: string
let allowed: string
let outside: string
let list: PathAllowList
beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'inferd-allow-')))
  allowed = join(root, 'allowed')
  outside = join(root, 'outside')
  await mkdir(join(allowed, 'sub'), { recursive: true })
  await mkdir(outside)
  await writeFile(join(allowed, 'data.csv'), 'a\n1\n')
  await writeFile(join(outside, 'secret.csv'), 'a\n1\n')
  await symlink(join(outside, 'secret.csv'), join(allowed, 'link-out.csv'))
  await symlink(join(allowed, 'data.csv'), join(allowed, 'sub', 'link-in.csv'))
  await symlink(outside, join(allowed, 'dir-out'))
  await symlink(join(outside, 'nothing-yet.csv'), join(allowed, 'dangling.csv'))
  list = await PathAllowList.create([allowed])
})
afterAll(async () => { await rm(root, { recursive: true, force: true }) })

async function rejection (p: Promise<unknown>): Promise<InferdError> {
  const err: unknown = await p.then(() => new Error('expected a rejection'), (e: unknown) => e)
  if (!(err instanceof InferdError)) throw err
  return err
}
const code = async (p: Promise<unknown>): Promise<string> => (await rejection(p)).code

describe('PathAllowList', () => {
  it('gives back the real path of files inside', async () => {
    expect(await list.readable('input', join(allowed, 'data.csv'))).toBe(join(allowed, 'data.csv'))
    expect(await list.readable('input', join(allowed, 'sub', '..', 'data.csv'))).toBe(join(allowed, 'data.csv'))
    expect(await list.readable('input', join(allowed, 'sub', 'link-in.csv'))).toBe(join(allowed, 'data.csv'))
    expect(await list.writable('output', join(allowed, 'sub', 'new.csv'))).toBe(join(allowed, 'sub', 'new.csv'))
    expect(await list.writable('output', join(allowed, 'data.csv'))).toBe(join(allowed, 'data.csv'))
  })

  it('refuses what is outside, after resolving .. and symbolic links', async () => {
    expect(await code(list.readable('input', join(outside, 'secret.csv')))).toBe('INFERD_ERR_JOB_PATH_FORBIDDEN')
    expect(await code(list.readable('input', join(allowed, '..', 'outside', 'secret.csv')))).toBe('INFERD_ERR_JOB_PATH_FORBIDDEN')
    expect(await code(list.readable('input', join(allowed, 'link-out.csv')))).toBe('INFERD_ERR_JOB_PATH_FORBIDDEN')
    expect(await code(list.readable('input', join(allowed, 'dir-out', 'secret.csv')))).toBe('INFERD_ERR_JOB_PATH_FORBIDDEN')
    expect(await code(list.readable('input', '/etc/passwd'))).toBe('INFERD_ERR_JOB_PATH_FORBIDDEN')
    expect(await code(list.writable('output', join(outside, 'out.csv')))).toBe('INFERD_ERR_JOB_PATH_FORBIDDEN')
    expect(await code(list.writable('output', join(allowed, 'dir-out', 'out.csv')))).toBe('INFERD_ERR_JOB_PATH_FORBIDDEN')
    expect(await code(list.writable('output', join(allowed, 'link-out.csv')))).toBe('INFERD_ERR_JOB_PATH_FORBIDDEN')
    expect(await code(list.writable('output', join(allowed, 'dangling.csv')))).toBe('INFERD_ERR_JOB_PATH_FORBIDDEN')
    // The allowed folder itself is not a file inside it; a missing file outside is refused as outside.
    expect(await code(list.writable('output', allowed))).toBe('INFERD_ERR_JOB_PATH_FORBIDDEN')
    expect(await code(list.readable('input', join(outside, 'missing.csv')))).toBe('INFERD_ERR_JOB_PATH_FORBIDDEN')
  })

  it('says what is wrong with a path inside that cannot be used', async () => {
    expect(await code(list.readable('input', 'data.csv'))).toBe('INFERD_ERR_JOB_PATH_INVALID')
    expect(await code(list.readable('input', join(allowed, 'missing.csv')))).toBe('INFERD_ERR_JOB_PATH_INVALID')
    expect(await code(list.readable('input', join(allowed, 'sub')))).toBe('INFERD_ERR_JOB_PATH_INVALID')
    expect(await code(list.writable('output', join(allowed, 'no-such-dir', 'out.csv')))).toBe('INFERD_ERR_JOB_PATH_INVALID')
    expect(await code(list.writable('output', join(allowed, 'sub')))).toBe('INFERD_ERR_JOB_PATH_INVALID')
    expect((await rejection(list.readable('input', join(allowed, 'missing.csv')))).message).toMatch(/does not exist/)
  })

  it('fails at start-up on a configured folder that does not exist', async () => {
    expect(await code(PathAllowList.create([join(root, 'nope')]))).toBe('INFERD_ERR_CONFIG_INVALID')
    expect((await PathAllowList.create([])).enabled).toBe(false)
  })
})
