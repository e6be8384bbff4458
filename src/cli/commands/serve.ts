import type { Command } from 'commander'
import type { ServerConfigInput } from '../../config/resolve.js'
import { InferdError } from '../../errors/index.js'
import { createServer } from '../../server.js'
import { optionKey, SERVE_FLAGS } from '../options.js'
import { printBanner } from '../banner.js'

/** `inferd serve [repository]`: a thin shell over createServer(). */
export function registerServe (program: Command): void {
  const cmd = program
    .command('serve')
    .description('serve every model in a model repository (or one .onnx file)')
    .argument('[repository]', 'model repository folder or .onnx file (same as --model-repository)')
  for (const spec of Object.values(SERVE_FLAGS)) {
    if (spec === null) continue
    if (spec.repeatable === true) cmd.option(spec.flag, spec.description, (v: string, all: string[] = []) => [...all, v])
    else cmd.option(spec.flag, spec.description)
  }
  cmd.action(async (repository: string | undefined, opts: Record<string, string | string[] | undefined>) => {
    const input: Record<string, unknown> = {}
    for (const [key, spec] of Object.entries(SERVE_FLAGS)) {
      const raw = spec === null ? undefined : opts[optionKey(spec.flag)]
      if (spec === null || raw === undefined) continue
      try {
        input[key] = Array.isArray(raw) ? raw.flatMap((r) => spec.parse(r) as unknown[]) : spec.parse(raw)
      } catch (err) {
        cmd.error(`error: option '${spec.flag}': ${(err as Error).message}`)
      }
    }
    input.modelRepository ??= repository
    if (input.modelRepository === undefined) cmd.error('error: a model repository is required (argument or --model-repository)')
    await run(input as unknown as ServerConfigInput)
  })
}

async function run (input: ServerConfigInput): Promise<void> {
  let server
  try {
    server = createServer(input)
  } catch (err) {
    process.stderr.write(`inferd: ${describe(err)}\n`)
    process.exit(2)
  }
  const stop = (signal: string): void => {
    server.logger.info({ signal }, 'shutting down: finishing requests in flight')
    server.close().then(() => process.exit(0), (err: unknown) => {
      server.logger.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
  try {
    await server.start()
  } catch (err) {
    server.logger.fatal({ err }, 'failed to start')
    // The JSON log is for machines; a person at the terminal needs the reason on stderr too
    // (a missing repository used to leave stderr empty and only a stack trace in the log).
    process.stderr.write(`inferd: failed to start: ${describe(err)}\n`)
    await server.close().catch(() => {})
    // 2 for a usage mistake (bad repository path), as for bad flags; 1 for anything else.
    process.exit(err instanceof InferdError && err.canonical === 'INVALID_ARGUMENT' ? 2 : 1)
  }
  printBanner(server)
}

function describe (err: unknown): string {
  return err instanceof InferdError ? `${err.message} [${err.code}]` : err instanceof Error ? err.message : String(err)
}
