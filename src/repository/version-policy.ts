/**
 * Which versions of a model to serve, following Triton's `ModelVersionPolicy`: a version is a
 * sub-folder of the model folder named with a positive integer; the policy picks among those.
 */

/**
 * A version policy as the config gives it, in Triton's field names. Exactly one branch is set.
 * The default is `{ latest: { num_versions: 1 } }`: serve only the highest version.
 */
export type VersionPolicy =
  | { readonly latest: { readonly num_versions: number } }
  | { readonly all: Readonly<Record<string, never>> }
  | { readonly specific: { readonly versions: readonly number[] } }

/** Triton's default: the single highest-numbered version. */
export const DEFAULT_VERSION_POLICY: VersionPolicy = Object.freeze({ latest: Object.freeze({ num_versions: 1 }) })

/** What a policy selects from the versions present. Both lists are ascending. */
export interface VersionSelection {
  /** Versions to load and serve. */
  readonly serve: readonly number[]
  /** Versions a `specific` policy names that have no folder; reported, never fatal to the others. */
  readonly missing: readonly number[]
}

// Triton ignores folders whose names are not numbers or start with 0 ("01", "0"): a version
// folder is a canonical positive integer, so "1" and "01" can never both name version 1.
const VERSION_FOLDER = /^[1-9][0-9]*$/

/**
 * The version number a folder name stands for, or undefined when the folder is not a version
 * folder (not a canonical positive integer, or beyond 2^53).
 */
export function parseVersionFolder (name: string): number | undefined {
  if (!VERSION_FOLDER.test(name)) return undefined
  const n = Number(name)
  return Number.isSafeInteger(n) ? n : undefined
}

/** The versions among a list of folder names, ascending, other names ignored. */
export function versionsFromFolders (names: Iterable<string>): number[] {
  const found = new Set<number>()
  for (const name of names) {
    const v = parseVersionFolder(name)
    if (v !== undefined) found.add(v)
  }
  return [...found].sort((a, b) => a - b)
}

/**
 * Applies a policy to the versions present.
 *
 * @param available - version numbers that have a folder (any order, duplicates ignored)
 * @param policy - the config's policy; the default serves the highest version only
 * @returns the versions to serve and, for `specific`, the named versions that are absent
 * @example
 * selectVersions([1, 2, 3], { latest: { num_versions: 2 } }) // { serve: [2, 3], missing: [] }
 * selectVersions([1, 3], { specific: { versions: [1, 2] } })  // { serve: [1], missing: [2] }
 */
export function selectVersions (available: Iterable<number>, policy: VersionPolicy = DEFAULT_VERSION_POLICY): VersionSelection {
  const present = [...new Set(available)].sort((a, b) => a - b)
  if ('all' in policy) return { serve: present, missing: [] }
  if ('latest' in policy) {
    const n = Math.max(0, policy.latest.num_versions)
    return { serve: n === 0 ? [] : present.slice(-n), missing: [] }
  }
  const wanted = [...new Set(policy.specific.versions)].sort((a, b) => a - b)
  const have = new Set(present)
  return {
    serve: wanted.filter((v) => have.has(v)),
    missing: wanted.filter((v) => !have.has(v)),
  }
}
