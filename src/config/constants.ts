/**
 * Well-known names, in one place (as Triton keeps them in `constants.h`), so that the repository,
 * the CLI and the docs cannot disagree about them.
 */

/** The per-model configuration file inside `<repository>/<model>/`. */
export const MODEL_CONFIG_FILENAME = 'config.yaml'

/** The backend a model uses when its config names neither `backend` nor `platform`. */
export const DEFAULT_BACKEND = 'onnxruntime'

/**
 * Triton `platform` strings and the backend that serves each. Triton accepts either field; a
 * config that names a platform we do not serve is refused rather than guessed.
 */
export const PLATFORM_BACKENDS: Readonly<Record<string, string>> = Object.freeze({
  onnxruntime_onnx: 'onnxruntime',
  ensemble: 'ensemble', // steps over other models, no backend of its own (src/pipeline/ensemble)
})

/** Model file extensions a single-file repository root may have. */
export const SINGLE_FILE_MODEL_EXTENSIONS: readonly string[] = Object.freeze(['.onnx'])
