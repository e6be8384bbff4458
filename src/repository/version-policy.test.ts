import { describe, expect, it } from 'vitest'
import { parseVersionFolder, selectVersions, versionsFromFolders } from './version-policy.js'

describe('version folders', () => {
  it('counts only canonical positive integers', () => {
    expect(parseVersionFolder('1')).toBe(1)
    expect(parseVersionFolder('42')).toBe(42)
    for (const name of ['0', '01', '-1', '1.0', 'v1', '', ' 1', '1e3', '99999999999999999999']) {
      expect(parseVersionFolder(name), name).toBeUndefined()
    }
  })

  it('lists versions ascending, ignoring other names', () => {
    expect(versionsFromFolders(['10', '2', 'labels', '.git', '01', '3'])).toEqual([2, 3, 10])
  })
})

describe('selectVersions', () => {
  it('serves the highest version by default', () => {
    expect(selectVersions([3, 1, 2])).toEqual({ serve: [3], missing: [] })
  })

  it('serves the N highest for latest', () => {
    expect(selectVersions([1, 2, 3, 10], { latest: { num_versions: 2 } })).toEqual({ serve: [3, 10], missing: [] })
    expect(selectVersions([1], { latest: { num_versions: 5 } })).toEqual({ serve: [1], missing: [] })
  })

  it('serves every version for all', () => {
    expect(selectVersions([2, 1, 2], { all: {} })).toEqual({ serve: [1, 2], missing: [] })
  })

  it('serves the listed versions present and reports those missing', () => {
    expect(selectVersions([1, 3], { specific: { versions: [3, 2, 1] } })).toEqual({ serve: [1, 3], missing: [2] })
  })

  it('selects nothing from nothing', () => {
    expect(selectVersions([])).toEqual({ serve: [], missing: [] })
  })
})
