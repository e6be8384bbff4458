import { createRequire } from 'node:module'

/** The package version, read once from package.json (one folder up from both src/ and dist/). */
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version

export const SERVER_NAME = 'inferd'
