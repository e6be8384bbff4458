import onnxProto from 'onnx-proto'
import type { DataType } from '../../src/core/dtype.js'
import { toAttributeProto, type AttributeValue } from './attribute.js'
import { ONNX_ELEM_TYPE } from './element-type.js'
import { writeFileIfChanged } from './write-file.js'

const { onnx } = onnxProto

/** One dimension of a graph input or output: a fixed size, or a symbolic name such as `'batch'`. */
export type Dim = number | string

/** The ONNX-ML operator domain (TreeEnsembleClassifier, LinearClassifier, Scaler, ...). */
export const ONNX_ML_DOMAIN = 'ai.onnx.ml'

export interface ModelBuilderOptions {
  /** Graph name, recorded in the model. Default `'graph'`. */
  name?: string
  /** Default-domain opset version. Default 17 (ONNX 1.12, IR version 8). */
  opset?: number
  /**
   * Also import the `ai.onnx.ml` domain at this version. It is added at version 3 anyway as soon as a
   * node uses that domain; set it to pin another version.
   */
  mlOpset?: number
  /** Free text stored as the model's doc_string. */
  docString?: string
}

export interface NodeOptions {
  /** Operator domain; default the ONNX default domain (`''`). */
  domain?: string
  /** Node name; default `<OpType>_<index>`. */
  name?: string
}

// IR version 8 is what ONNX 1.10–1.13 write; it covers opsets up to 18.
const IR_VERSION = 8
const DEFAULT_ML_OPSET = 3

function valueInfo (name: string, datatype: DataType, shape: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  const dim = shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }))
  return { name, type: { tensorType: { elemType: ONNX_ELEM_TYPE[datatype], shape: { dim } } } }
}

/**
 * Builds a single-graph ONNX model from typed pieces: graph inputs and outputs with OIP datatypes
 * and symbolic or fixed dims, constant initializers, and operator nodes with tagged attributes.
 * Methods chain; nothing is validated here beyond what the types enforce: onnxruntime is the
 * judge of whether a graph is well formed.
 *
 * @example
 * const bytes = new ModelBuilder()
 *   .input('x', 'FP32', ['batch', 2])
 *   .output('y', 'FP32', ['batch', 2])
 *   .initializer(float32Tensor('two', [], [2]))
 *   .node('Mul', ['x', 'two'], ['y'])
 *   .toBytes()
 */
export class ModelBuilder {
  #inputs: onnxProto.onnx.IValueInfoProto[] = []
  #outputs: onnxProto.onnx.IValueInfoProto[] = []
  #initializers: onnxProto.onnx.ITensorProto[] = []
  #nodes: onnxProto.onnx.INodeProto[] = []
  #options: ModelBuilderOptions

  constructor (options: ModelBuilderOptions = {}) {
    this.#options = options
  }

  /** Declares a graph input. */
  input (name: string, datatype: DataType, shape: readonly Dim[]): this {
    this.#inputs.push(valueInfo(name, datatype, shape))
    return this
  }

  /** Declares a graph output; some node must produce a value of this name. */
  output (name: string, datatype: DataType, shape: readonly Dim[]): this {
    this.#outputs.push(valueInfo(name, datatype, shape))
    return this
  }

  /** Adds a constant (see tensor-proto.ts); nodes refer to it by its name. */
  initializer (tensor: onnxProto.onnx.ITensorProto): this {
    this.#initializers.push(tensor)
    return this
  }

  /** Appends an operator node. Nodes must be added in topological order, as ONNX requires. */
  node (
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attributes: Readonly<Record<string, AttributeValue>> = {},
    options: NodeOptions = {},
  ): this {
    this.#nodes.push({
      opType,
      input: [...inputs],
      output: [...outputs],
      name: options.name ?? `${opType}_${this.#nodes.length}`,
      domain: options.domain ?? '',
      attribute: Object.entries(attributes).map(([k, v]) => toAttributeProto(k, v)),
    })
    return this
  }

  /** The ModelProto as plain protobuf properties. */
  toModelProto (): onnxProto.onnx.IModelProto {
    const opsetImport: onnxProto.onnx.IOperatorSetIdProto[] = [{ domain: '', version: this.#options.opset ?? 17 }]
    const usesMl = this.#nodes.some((n) => n.domain === ONNX_ML_DOMAIN)
    if (this.#options.mlOpset !== undefined || usesMl) {
      opsetImport.push({ domain: ONNX_ML_DOMAIN, version: this.#options.mlOpset ?? DEFAULT_ML_OPSET })
    }
    return {
      irVersion: IR_VERSION,
      producerName: 'inferd-scripts',
      opsetImport,
      docString: this.#options.docString ?? '',
      graph: {
        name: this.#options.name ?? 'graph',
        input: this.#inputs,
        output: this.#outputs,
        initializer: this.#initializers,
        node: this.#nodes,
      },
    }
  }

  /** The serialized model, ready for `InferenceSession.create(bytes)` or a file. */
  toBytes (): Uint8Array {
    return onnx.ModelProto.encode(onnx.ModelProto.create(this.toModelProto())).finish()
  }

  /**
   * Writes the model to `path`, creating folders as needed; an identical file is left untouched.
   *
   * @returns true when the file was (re)written
   */
  async save (path: string): Promise<boolean> {
    return writeFileIfChanged(path, this.toBytes())
  }
}
