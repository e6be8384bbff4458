import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { defaultBackends } from './backends/registry.js'
import { resolveConfig, type ServerConfigInput } from './config/resolve.js'
import type { ServerConfig } from './config/schema.js'
import { Errors, InferdError } from './errors/index.js'
import { createLogger, type Logger } from './observability/logger.js'
import { InferenceEngine } from './pipeline/inference-engine.js'
import { buildHttpApp } from './protocols/http/app.js'
import { ModelRepository } from './repository/repository.js'
import { SchedulerRegistry } from './scheduler/scheduler-registry.js'

/** A running inferd: the composition of repository, engine and protocol adapters. */
export interface InferdServer {
  readonly config: ServerConfig
  readonly logger: Logger
  readonly repository: ModelRepository
  /** `http://host:port` once started (the real port when 0 was asked). */
  readonly httpUrl: string
  /** Listens, then loads the repository. Resolves when every model has been tried. */
  start (): Promise<void>
  /** Stops intake, drains requests in flight, unloads models. Idempotent. */
  close (): Promise<void>
}

export interface CreateServerOptions {
  readonly logger?: Logger
}

/**
 * Builds a server from configuration. Invalid configuration fails here, before anything listens.
 *
 * Start order: the HTTP endpoint listens first, so liveness answers while models load and
 * readiness turns true once they are in; close order is the reverse of dependency: stop the
 * listener taking new connections, drain the engine, close the repository's sessions.
 */
export function createServer (input: ServerConfigInput, options: CreateServerOptions = {}): InferdServer {
  const config = resolveConfig(input)
  if (config.modelControlMode !== 'none') {
    // Refused rather than quietly treated as 'none': a user asking for polling must not believe it is on.
    throw new InferdError(Errors.CONFIG_INVALID, [`modelControlMode: '${config.modelControlMode}' is not available in this version; only 'none' (every model loads at start-up)`])
  }
  const logger = options.logger ?? createLogger(config.logLevel)
  const backends = defaultBackends()
  const schedulers = new SchedulerRegistry(logger, config.executionMode)
  const repository = new ModelRepository({
    root: config.modelRepository,
    backends: (name) => backends.get(name),
    defaultMaxBatchSize: config.defaultMaxBatchSize,
    logger,
    hooks: schedulers,
  })
  const engine = new InferenceEngine(repository, schedulers)
  const state = { started: false, closing: false }
  const app: FastifyInstance = buildHttpApp({ config, logger, repository, engine, state })
  let httpUrl = ''
  let closed: Promise<void> | undefined

  return {
    config,
    logger,
    repository,
    get httpUrl () { return httpUrl },
    async start () {
      await repository.scan() // a missing or unreadable repository fails here, before anything listens
      await app.listen({ host: config.host, port: config.httpPort })
      const addr = app.server.address() as AddressInfo
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
      httpUrl = `http://${host}:${addr.port}`
      logger.info({ url: httpUrl, port: addr.port }, `HTTP service listening on ${httpUrl}`)
      await repository.loadAll()
      state.started = true
    },
    close () {
      closed ??= (async () => {
        state.closing = true
        // HTTP owns intake: it stops accepting connections, answers what it already holds (each
        // response now says Connection: close) and resolves when they are done. Only then do the
        // engine and the models go, so no accepted request is refused on the way out.
        const drained = app.close()
        const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, config.shutdownTimeoutMs, 'timeout').unref())
        if (await Promise.race([drained, timeout]) === 'timeout') {
          logger.warn({ inFlight: engine.inFlight }, 'shutdown timeout: closing connections with requests in flight')
          app.server.closeAllConnections()
          await drained
        }
        await engine.close()
        await repository.close()
        logger.info('inferd stopped')
      })()
      return closed
    },
  }
}
