import { pino } from 'pino'
import type { ServerConfigInput } from '../../src/config/resolve.js'
import { createServer, type InferdServer } from '../../src/server.js'

/** Starts a real inferd on an ephemeral port on 127.0.0.1 (quiet logs), for one test file. */
export async function startServer (modelRepository: string, overrides: Partial<ServerConfigInput> = {}): Promise<InferdServer> {
  const server = createServer(
    { modelRepository, host: '127.0.0.1', httpPort: 0, grpcPort: 0, ...overrides },
    { logger: pino({ level: process.env.INFERD_TEST_LOG ?? 'silent' }) },
  )
  await server.start()
  return server
}
