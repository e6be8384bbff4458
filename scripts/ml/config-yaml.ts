import YAML from 'yaml'

/**
 * Writes a model's config.yaml text from a plain object, in the compact style of the committed
 * examples: each `input`/`output` entry and each tabular feature on one line (`{ name: …, … }`),
 * small mappings of plain values (`scale`, `unscale`) inline, everything else as blocks.
 * `header` lines become `#` comments at the top. Numbers are written in JavaScript's shortest
 * round-trip form, so reading the file back gives the very numbers training used.
 *
 * @example
 * configYaml(['Trained by scripts/examples/fraud.ts'], { backend: 'onnxruntime', max_batch_size: 256, ... })
 */
export function configYaml (header: readonly string[], config: Record<string, unknown>): string {
  const doc = new YAML.Document(config)
  YAML.visit(doc, {
    Map (_, node, path) {
      const parent = path[path.length - 1]
      const key = path.length >= 2 ? path[path.length - 2] : undefined
      const inList = YAML.isSeq(parent) && YAML.isPair(key) && ['input', 'output', 'features'].includes(String((key.key as YAML.Scalar).value))
      const small = node.items.length <= 4 && node.items.every((p) => YAML.isScalar(p.value))
      if (inList || (path.length > 2 && small)) node.flow = true
    },
  })
  const comments = header.map((line) => `# ${line}`.trimEnd()).join('\n')
  return `${comments}\n${doc.toString({ lineWidth: 0, flowCollectionPadding: true })}`
}
