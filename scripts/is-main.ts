import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * True when the module at `moduleUrl` is the script node (or tsx) was asked to run, so a script
 * can both export its function for tests and act as a CLI.
 *
 * @param moduleUrl - the caller's `import.meta.url`
 */
export function isMain (moduleUrl: string): boolean {
  const entry = process.argv[1]
  if (entry === undefined) return false
  try {
    // realpath on both sides: symlinked checkouts and relative argv paths must still match.
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl))
  } catch {
    return false
  }
}
