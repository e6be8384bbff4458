import type { DataType } from '../../core/dtype.js'
import type { DeclaredSignature, DeclaredTensor } from '../backend.js'
import type { TensorDeclaration } from './types.js'

/**
 * The part of a parsed model config (repository/model-config.ts `ModelConfig`) this backend
 * reads. Restated here rather than imported, so backends keep depending on core only; the
 * repository hands the parsed config over as `SessionOptions.modelConfig`.
 */
export interface ConfigView {
  readonly max_batch_size?: number
  readonly input?: readonly ConfigTensorView[]
  readonly output?: readonly ConfigTensorView[]
  readonly parameters?: Readonly<Record<string, string>>
}

interface ConfigTensorView {
  readonly name: string
  readonly data_type?: DataType
  readonly dims?: readonly number[]
  readonly reshape?: { readonly shape: readonly number[] }
}

/** The signature as config.yaml states it, in both forms the backend needs. */
export interface ConfigSignature {
  /** For the repository: what the "model file" declares, so that completing the config agrees with itself. */
  readonly declared: DeclaredSignature
  readonly maxBatchSize: number
  /** For the module: the config's own dims (without the batch dimension). */
  readonly inputs: readonly TensorDeclaration[]
  readonly outputs: readonly TensorDeclaration[]
}

/**
 * A module declares no signature (unlike an ONNX file), so the config's `input` and `output` are
 * the signature: each tensor needs `data_type` and `dims`. The declared shape is what the model
 * itself takes: `reshape.shape` where given, else `dims`, behind a -1 batch dimension when
 * max_batch_size > 0, so the repository's completion (complete-config.ts) finds nothing to
 * contradict and keeps the config as written.
 *
 * @throws Error naming the first tensor that lacks something (the repository reports it as the
 *   load failure)
 */
export function signatureFromConfig (config: ConfigView | undefined): ConfigSignature {
  const where = 'the typescript backend takes the signature from config.yaml'
  if (config === undefined) throw new Error(`${where}, and none was given`)
  const maxBatchSize = config.max_batch_size ?? 0
  const read = (kind: 'input' | 'output'): { declared: DeclaredTensor[]; own: TensorDeclaration[] } => {
    const list = config[kind] ?? []
    if (list.length === 0) throw new Error(`${where}: list the model's ${kind}s under '${kind}:' (name, data_type, dims)`)
    const declared: DeclaredTensor[] = []
    const own: TensorDeclaration[] = []
    for (const t of list) {
      if (t.data_type === undefined || t.dims === undefined) {
        throw new Error(`${where}: ${kind} '${t.name}' needs data_type and dims`)
      }
      const modelFacing = t.reshape?.shape ?? t.dims
      declared.push({ name: t.name, datatype: t.data_type, shape: maxBatchSize > 0 ? [-1, ...modelFacing] : [...modelFacing] })
      own.push({ name: t.name, datatype: t.data_type, dims: [...modelFacing] })
    }
    return { declared, own }
  }
  const inputs = read('input')
  const outputs = read('output')
  return {
    declared: { inputs: inputs.declared, outputs: outputs.declared },
    maxBatchSize,
    inputs: inputs.own,
    outputs: outputs.own,
  }
}
