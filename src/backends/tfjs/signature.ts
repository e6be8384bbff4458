import type { DeclaredSignature, DeclaredTensor } from '../backend.js'
import type { GraphModelJson, GraphNode, ShapeJson } from './model-files.js'
import { datatypeFromTfjs, tfjsDtypeOfGraphType } from './tfjs-types.js'

interface SignatureEntry {
  readonly name?: string
  readonly dtype?: string
  readonly tensorShape?: ShapeJson
}

interface SignatureJson {
  readonly inputs?: Readonly<Record<string, SignatureEntry>>
  readonly outputs?: Readonly<Record<string, SignatureEntry>>
}

/** Node attributes that carry an op's output dtype, in the order they are trusted. */
const OUTPUT_TYPE_ATTRS = ['DstT', 'out_type', 'output_type', 'dtype', 'T'] as const

/** Ops whose `T` attribute is their input's type, not their output's. */
const OUTPUT_TYPE_OF_OP: Readonly<Record<string, string>> = {
  Equal: 'DT_BOOL', NotEqual: 'DT_BOOL', Less: 'DT_BOOL', LessEqual: 'DT_BOOL', Greater: 'DT_BOOL', GreaterEqual: 'DT_BOOL',
  LogicalAnd: 'DT_BOOL', LogicalOr: 'DT_BOOL', LogicalNot: 'DT_BOOL', IsNan: 'DT_BOOL', IsFinite: 'DT_BOOL', IsInf: 'DT_BOOL',
  Where: 'DT_INT64', NonMaxSuppressionV2: 'DT_INT32', NonMaxSuppressionV3: 'DT_INT32',
}

/**
 * The inputs and outputs a TF.js graph model declares, under the names TF.js executes them by
 * (`GraphModel.inputNodes` / `outputNodes`: the signature's keys when model.json has a
 * signature, as converted SavedModels do, otherwise the graph's node names).
 *
 * Each tensor's dtype and shape come from the signature entry of that name; failing that, from
 * the graph node (a Placeholder's `dtype` and `shape`; for an output, the op's known result type
 * or its type attribute). Converted SavedModels carry a signature, so the fallback matters only
 * for hand-made or older graphs. A shape the file does not give is left undefined, and -1 marks
 * a dimension of unknown size. Datatypes are those TF.js computes with (see tfjs-types.ts):
 * FP32, INT32, BOOL or BYTES.
 *
 * @throws Error when a tensor's dtype cannot be found or is one TF.js cannot serve (complex)
 */
export function declaredSignature (json: GraphModelJson, inputNames: readonly string[], outputNames: readonly string[]): DeclaredSignature {
  const signature = signatureOf(json)
  const nodes = new Map((json.modelTopology.node ?? []).map((n) => [n.name, n]))
  const declare = (kind: 'input' | 'output', name: string): DeclaredTensor => {
    const entry = (kind === 'input' ? signature?.inputs : signature?.outputs)?.[name]
    const node = nodes.get(nodeName(entry?.name ?? name))
    const graphType = entry?.dtype ?? graphTypeOf(node, kind)
    if (graphType === undefined) throw new Error(`${kind} '${name}': model.json gives no dtype for it`)
    const tfType = tfjsDtypeOfGraphType(graphType)
    const datatype = tfType === undefined ? undefined : datatypeFromTfjs(tfType)
    if (datatype === undefined) throw new Error(`${kind} '${name}' has type ${graphType}, which TF.js cannot serve`)
    const shapeJson = entry?.tensorShape ?? (kind === 'input' ? node?.attr?.shape?.shape : undefined)
    return { name, datatype, shape: shapeOf(shapeJson) }
  }
  return {
    inputs: inputNames.map((n) => declare('input', n)),
    outputs: outputNames.map((n) => declare('output', n)),
  }
}

/** Same precedence as TF.js's loader: userDefinedMetadata.signature wins over signature. */
function signatureOf (json: GraphModelJson): SignatureJson | undefined {
  const meta = json.userDefinedMetadata?.signature as SignatureJson | undefined
  return meta ?? (json.signature as SignatureJson | undefined)
}

/** `node:0` → `node` (TF tensor names are `<node>:<output index>`). */
function nodeName (tensorName: string): string {
  const colon = tensorName.lastIndexOf(':')
  return colon > 0 && /^\d+$/.test(tensorName.slice(colon + 1)) ? tensorName.slice(0, colon) : tensorName
}

function graphTypeOf (node: GraphNode | undefined, kind: 'input' | 'output'): string | undefined {
  if (node === undefined) return undefined
  if (kind === 'input') return node.attr?.dtype?.type
  const fixed = OUTPUT_TYPE_OF_OP[node.op]
  if (fixed !== undefined) return fixed
  for (const key of OUTPUT_TYPE_ATTRS) {
    const type = node.attr?.[key]?.type
    if (type !== undefined) return type
  }
  return undefined
}

function shapeOf (shape: ShapeJson | undefined): number[] | undefined {
  if (shape === undefined || shape.unknownRank === true) return undefined
  // Protobuf JSON leaves out a zero size, so `{}` is a dimension of size 0.
  return (shape.dim ?? []).map((d) => {
    const size = Number(d.size ?? 0)
    return size < 0 ? -1 : size
  })
}
