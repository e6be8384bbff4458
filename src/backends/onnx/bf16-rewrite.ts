import onnxProto from 'onnx-proto'

const { onnx } = onnxProto

/** ONNX TensorProto.DataType numbers used here. */
const BFLOAT16 = 16
const FLOAT = 1

/** Names of the graph inputs and outputs whose element type was BF16 before the rewrite. */
export interface Bf16Rewrite {
  readonly model: Uint8Array
  readonly inputs: ReadonlySet<string>
  readonly outputs: ReadonlySet<string>
}

/**
 * onnxruntime-node cannot open a model whose graph inputs or outputs are bfloat16 (its JS tensor
 * type list has no bfloat16, and session creation fails with "Unsupported data type: 16"), although
 * the CPU provider computes in bfloat16 fine. So the graph's BF16 boundary is moved inside it:
 *
 *     before:  x:bf16 ──► [model] ──► y:bf16
 *     after:   x:f32 ──► Cast(bf16) ──► [model] ──► Cast(f32) ──► y:f32
 *
 * Both casts are exact for values that are bfloat16 to begin with (bf16 is the top half of an
 * f32), so the backend converts the client's BF16 bits to f32 by a 16-bit shift, and the f32
 * outputs back to BF16 by taking their top half, with no rounding anywhere.
 *
 * Returns undefined when the model has no BF16 input or output (nothing to rewrite).
 */
export function rewriteBf16Boundary (bytes: Uint8Array): Bf16Rewrite | undefined {
  const model = onnx.ModelProto.decode(bytes)
  const graph = model.graph
  if (graph == null) return undefined
  const isBf16 = (vi: onnxProto.onnx.IValueInfoProto): boolean => vi.type?.tensorType?.elemType === BFLOAT16
  const initializerNames = new Set((graph.initializer ?? []).map((t) => t.name))
  const inputs = new Set<string>()
  const outputs = new Set<string>()
  const nodes: onnxProto.onnx.INodeProto[] = []

  const renameEverywhere = (from: string, to: string, where: 'input' | 'output' | 'both'): void => {
    for (const node of graph.node ?? []) {
      if (where !== 'output') node.input = (node.input ?? []).map((n) => (n === from ? to : n))
      if (where !== 'input') node.output = (node.output ?? []).map((n) => (n === from ? to : n))
    }
  }

  for (const vi of graph.input ?? []) {
    if (!isBf16(vi) || initializerNames.has(vi.name ?? '')) continue
    const name = vi.name ?? ''
    const inner = `${name}__inferd_bf16`
    renameEverywhere(name, inner, 'input')
    nodes.push(castNode(name, inner, BFLOAT16))
    vi.type!.tensorType!.elemType = FLOAT
    inputs.add(name)
  }
  const tail: onnxProto.onnx.INodeProto[] = []
  for (const vo of graph.output ?? []) {
    if (!isBf16(vo)) continue
    const name = vo.name ?? ''
    vo.type!.tensorType!.elemType = FLOAT
    outputs.add(name)
    // A graph input passed straight through is already the exact f32 copy: nothing to cast.
    if (inputs.has(name)) continue
    const inner = `${name}__inferd_bf16_out`
    renameEverywhere(name, inner, 'both')
    // A constant output (an initializer listed as a graph output) moves with its consumers, or the
    // Cast below would define the name a second time.
    for (const t of graph.initializer ?? []) if (t.name === name) t.name = inner
    tail.push(castNode(inner, name, FLOAT))
  }
  if (inputs.size === 0 && outputs.size === 0) return undefined
  graph.node = [...nodes, ...(graph.node ?? []), ...tail]
  return { model: onnx.ModelProto.encode(model).finish(), inputs, outputs }
}

function castNode (input: string, output: string, to: number): onnxProto.onnx.INodeProto {
  return onnx.NodeProto.create({
    opType: 'Cast',
    input: [input],
    output: [output],
    name: `inferd_cast_${output}`,
    attribute: [onnx.AttributeProto.create({ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: to })],
  })
}
