import { Value } from '@sinclair/typebox/value'
import { Errors, InferdError } from '../errors/index.js'
import { DEFAULTS } from './defaults.js'
import { type ServerConfig, ServerConfigSchema } from './schema.js'

export type ServerConfigInput = Partial<ServerConfig> & Pick<ServerConfig, 'modelRepository'>

/**
 * Applies defaults and validates. Fails fast with INFERD_ERR_CONFIG_INVALID naming the first bad
 * field, so a wrong flag or key stops start-up with an actionable message.
 */
export function resolveConfig (input: ServerConfigInput): ServerConfig {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined))
  const merged = { ...DEFAULTS, ...defined }
  const first = Value.Errors(ServerConfigSchema, merged).First()
  if (first !== undefined) {
    const field = first.path.replace(/^\//, '').replace(/\//g, '.') || '(root)'
    throw new InferdError(Errors.CONFIG_INVALID, [`${field}: ${first.message} (got ${JSON.stringify(first.value)})`])
  }
  return merged as ServerConfig
}
