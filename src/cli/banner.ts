import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { InferdServer } from '../server.js'
import { VERSION } from '../version.js'

/** File a model folder may hold: an OIP request body the banner offers as a ready-to-paste curl. */
export const EXAMPLE_REQUEST_FILENAME = 'example.json'

/**
 * The human summary printed once the server is ready (stderr, so stdout stays pure JSON logs):
 * the URL, each model's state, and a curl for the first ready model that ships an example request.
 */
export function printBanner (server: InferdServer): void {
  const lines = [`inferd ${VERSION} ready on ${server.httpUrl} (HTTP/REST) and ${server.grpcUrl} (gRPC)`]
  const models = server.repository.list()
  for (const m of models) {
    lines.push(`  ${m.name}${m.version === undefined ? '' : ` v${m.version}`}  ${m.state}${m.reason ? `  (${m.reason})` : ''}`)
  }
  if (models.length === 0) lines.push('  (no models found in the repository)')
  const ready = models.filter((m) => m.state === 'READY').map((m) => m.name)
  const examples = [findExample(server, ready, 'infer'), findExample(server, ready, 'predict')].filter((e) => e !== undefined)
  if (examples.length > 0) lines.push('', 'Try it:')
  for (const example of examples) {
    lines.push(`  curl -s ${server.httpUrl}/v2/models/${example.model}/${example.route} \\`,
      `    -H 'content-type: application/json' -d '${example.body}'`)
  }
  lines.push(`  curl -s ${server.httpUrl}/v2/models/${models[0]?.name ?? '<model>'}`, '')
  process.stderr.write(lines.join('\n') + '\n')
}

/**
 * The ready model whose folder has the shortest example request for the route (a curl to paste
 * should fit a terminal): an OIP body (with `inputs`) for /infer, a friendly one (fields) for /predict.
 */
function findExample (server: InferdServer, ready: readonly string[], route: 'infer' | 'predict'): { model: string; body: string; route: string } | undefined {
  const root = server.config.modelRepository
  if (!isDir(root)) return undefined
  let best: { model: string; body: string; route: string } | undefined
  for (const model of ready) {
    try {
      const json = JSON.parse(readFileSync(join(root, model, EXAMPLE_REQUEST_FILENAME), 'utf8')) as Record<string, unknown>
      const body = JSON.stringify(json)
      if (('inputs' in json) === (route === 'infer') && (best === undefined || body.length < best.body.length)) best = { model, body, route }
    } catch { /* no example for this model */ }
  }
  return best
}

function isDir (path: string): boolean {
  try { return statSync(path).isDirectory() } catch { return false }
}
