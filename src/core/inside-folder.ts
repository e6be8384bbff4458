import { isAbsolute, relative } from 'node:path'

/**
 * True when `path` lies strictly inside `folder` (the folder itself does not count), both
 * resolved to absolute paths by the caller: the one check behind every "this file must stay in
 * its folder" rule (model files a config names, warmup data, TF.js weight shards, the jobs
 * allow-list).
 */
export function isInsideFolder (folder: string, path: string): boolean {
  const rel = relative(folder, path)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)
}
