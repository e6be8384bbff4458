import { type ModelConfig, parseModelConfig } from './model-config.js'

/**
 * The load API's `config` parameter (Triton: "a JSON representation of the model configuration")
 * as a model config. It is checked exactly as a config.yaml is (JSON is YAML), so its errors name
 * the field and the problem; a `name` in it must be the model's.
 *
 * @throws InferdError MODEL_CONFIG_INVALID
 * @example
 * await repository.load('add_sub', parseConfigOverride('add_sub', '{"max_batch_size": 4}'))
 */
export function parseConfigOverride (modelName: string, text: string): ModelConfig {
  return parseModelConfig(text, { modelName, file: "the load request's config parameter" })
}
