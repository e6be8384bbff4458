/**
 * The contract between inferd and a custom model module (backend `typescript`), what Triton's
 * Python backend `TritonPythonModel` is for Python. Authors may import these types to write the
 * module in TypeScript, then compile it to `model.mjs` (or serve `model.ts` directly where the
 * `tsx` package is installed, see typescript-backend.ts).
 *
 * A model folder:
 *
 * ```
 * <repository>/<model>/config.yaml      backend: typescript, input: [...], output: [...] (both required)
 * <repository>/<model>/1/model.mjs      the module (another name: default_model_filename)
 * ```
 *
 * Lifecycle, all inside one worker thread of its own (never on the server's event loop):
 *
 * ```
 * import module ─► initialize(ctx) ─► execute(inputs, ctx) … one at a time … ─► finalize()
 *                       │ throws: the load fails (model UNAVAILABLE, with the message)
 *                       ▼
 *   execute throws ─► that batch fails (BACKEND_FAILED, with the message); the module serves on
 *   the thread dies (process.exit, an uncaught error or rejection outside execute, out of
 *   memory) ─► the batch in flight fails (BACKEND_CRASHED); a fresh thread imports the module
 *   and runs initialize again; batches waiting meanwhile run there
 * ```
 *
 * @example
 * // 1/model.mjs
 * let factor
 * export async function initialize (ctx) { factor = Number(ctx.parameters.factor ?? '2') }
 * export async function execute (inputs, ctx) {
 *   const x = inputs.x
 *   return { y: { shape: x.shape, data: x.data.map((v) => v * factor) } }
 * }
 */
import type { DataType, DataTypeMap } from '../../core/dtype.js'
import type { Tensor } from '../../core/tensor.js'

export type { DataType, Tensor }

/** An input or output as config.yaml declares it. */
export interface TensorDeclaration {
  readonly name: string
  readonly datatype: DataType
  /**
   * The shape the module sees, without the batch dimension when the model batches: the config's
   * `reshape.shape` where given, else its `dims`; -1 for any size.
   */
  readonly dims: readonly number[]
}

/** Log lines from the module, written to the server's log with the model's name. */
export interface ModuleLogger {
  info (msg: string, fields?: Record<string, unknown>): void
  warn (msg: string, fields?: Record<string, unknown>): void
}

/** What `initialize` learns about the model it serves. */
export interface InitializeContext {
  /** The model's name (its folder in the repository). */
  readonly modelName: string
  /** The version being loaded, as its folder is named (`'1'`). */
  readonly version: string
  /** The model's folder: config.yaml, label files, shared assets. */
  readonly modelDir: string
  /** The version's folder: the module itself and per-version assets. */
  readonly versionDir: string
  /** The module file's path. */
  readonly modelFile: string
  /**
   * The model's config as inferd parsed and checked it (config.yaml, or the config given to the
   * load API): Triton field names, datatypes as protocol names (`FP32`, `BYTES`).
   */
  readonly config: Readonly<Record<string, unknown>>
  /** The config's `parameters`, values as strings (Triton's `parameters: { key: { string_value } }` flattened). */
  readonly parameters: Readonly<Record<string, string>>
  /** The config's max_batch_size: > 0 means inputs arrive batched along a leading dimension. */
  readonly maxBatchSize: number
  readonly inputs: readonly TensorDeclaration[]
  readonly outputs: readonly TensorDeclaration[]
  readonly logger: ModuleLogger
}

/** What `execute` learns about the batch besides its inputs. */
export interface ExecuteContext {
  /** The outputs to return, in the order asked; outputs not asked for may be left out. */
  readonly outputNames: readonly string[]
  /** Rows in this batch (the inputs' leading dimension) when max_batch_size > 0; 1 otherwise. */
  readonly batchSize: number
}

/**
 * The inputs of one batch by name, as inferd's core tensors: `shape` is the full shape (batch
 * dimension first when the model batches), `data` is flat and row-major, a typed array of the
 * datatype (FP32 → Float32Array, INT64 → BigInt64Array, FP16/BF16 → Uint16Array of raw bits,
 * BOOL → Uint8Array of 0/1) or, for BYTES, one Uint8Array per element (decode text with
 * TextDecoder). The module may keep or modify them: they are its own copies.
 */
export type InputTensors = Readonly<Record<string, Tensor>>

/**
 * One returned output. Checked against config.yaml before it leaves the thread:
 * - `datatype` may be left out (the declared one is used); given, it must equal the declared one;
 * - `shape` may be left out when the declared dims are all fixed (the batch's rows are put
 *   first when the model batches); given, it must have the declared rank, the declared fixed
 *   sizes and, when the model batches, the batch's rows first;
 * - `data` holds exactly `product(shape)` elements: a typed array of the datatype, or a plain
 *   array converted to it (numbers; bigints or whole numbers for INT64/UINT64; booleans or 0/1
 *   for BOOL); for BYTES, strings (encoded as UTF-8) or Uint8Arrays. FP16 and BF16 need a
 *   Uint16Array of raw bits.
 *
 * A typed array that owns its whole buffer moves to the server's thread rather than being
 * copied, so its buffer is empty (detached) in the module afterwards: return a fresh array (or a
 * `.slice()`) rather than one the module keeps reusing.
 */
export interface OutputTensor {
  readonly datatype?: DataType
  readonly shape?: readonly number[]
  readonly data: DataTypeMap[DataType] | ArrayLike<number | bigint | boolean | string | Uint8Array>
}

/** The outputs of one batch by name; names config.yaml does not declare are refused. */
export type OutputTensors = Readonly<Record<string, OutputTensor>>

/**
 * The module: named exports `initialize`, `execute`, `finalize`, or a default export object (or
 * CommonJS `module.exports`) with them. Only `execute` is required. Each may return a promise;
 * inferd waits for it. `execute` is never called again before the previous call settled.
 */
export interface ModelModule {
  /** Runs once per thread before any execute (again after a crash restarted the thread). Throwing fails the load. */
  initialize?: (ctx: InitializeContext) => void | Promise<void>
  /**
   * Computes one batch. Throwing fails this batch only (BACKEND_FAILED, a 500, with the message);
   * an error whose `code` is `INVALID_ARGUMENT` (or an inferd bad-input code such as
   * `INFERD_ERR_TENSOR_DATA_INVALID`) says the data is at fault: MODEL_INPUT_REJECTED, a 400.
   */
  execute: (inputs: InputTensors, ctx: ExecuteContext) => OutputTensors | Promise<OutputTensors>
  /** Runs once when the version is unloaded, after the last execute; then the thread ends. */
  finalize?: () => void | Promise<void>
}
