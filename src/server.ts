import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { engineRunJob } from './batch/jobs/engine-run-job.js'
import { JobsService } from './batch/jobs/jobs-service.js'
import { resolveConfig, type ServerConfigInput } from './config/resolve.js'
import type { ServerConfig } from './config/schema.js'
import { createLogger, type Logger } from './observability/logger.js'
import { Statistics } from './observability/statistics.js'
import { GrpcServer } from './protocols/grpc/server.js'
import { buildHttpApp } from './protocols/http/app.js'
import { checkControlConfig, loadAtStart } from './repository/control-mode.js'
import { createRuntime } from './runtime.js'
import { ModelRepository } from './repository/repository.js'

/** A running inferd: the composition of repository, engine and protocol adapters. */
export interface InferdServer {
  readonly config: ServerConfig
  readonly logger: Logger
  readonly repository: ModelRepository
  /** Per model version statistics (Triton's statistics extension), for every protocol adapter. */
  readonly statistics: Statistics
  /** `http://host:port` once started (the real port when 0 was asked). */
  readonly httpUrl: string
  /** The gRPC target `host:port` once started (the real port when 0 was asked; gRPC targets carry no scheme). */
  readonly grpcUrl: string
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
  checkControlConfig(config)
  const logger = options.logger ?? createLogger(config.logLevel)
  const runtime = createRuntime(config, logger)
  const { repository, engine } = runtime
  const statistics = new Statistics(repository)
  const jobs = new JobsService({ config, repository, run: engineRunJob(engine, repository), logger })
  const state = { started: false, closing: false }
  const app: FastifyInstance = buildHttpApp({ config, logger, repository, engine, statistics, state, jobs })
  const grpc = new GrpcServer({ config, logger, repository, engine, statistics, state })
  let httpUrl = ''
  let grpcUrl = ''
  let closed: Promise<void> | undefined

  return {
    config,
    logger,
    repository,
    statistics,
    get httpUrl () { return httpUrl },
    get grpcUrl () { return grpcUrl },
    async start () {
      await repository.scan() // a missing or unreadable repository fails here, before anything listens
      await jobs.open() // so do bad batch folders, job store or schedules
      await app.listen({ host: config.host, port: config.httpPort })
      const addr = app.server.address() as AddressInfo
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
      httpUrl = `http://${host}:${addr.port}`
      logger.info({ url: httpUrl, port: addr.port }, `HTTP service listening on ${httpUrl}`)
      const grpcPort = await grpc.listen(config.host, config.grpcPort)
      grpcUrl = grpc.address
      logger.info({ url: grpcUrl, port: grpcPort }, `gRPC service listening on ${grpcUrl}`)
      await loadAtStart(repository, config) // per model control mode; poll mode starts polling here
      jobs.begin() // jobs left by a previous server resume; schedules start
      state.started = true
    },
    close () {
      closed ??= (async () => {
        state.closing = true
        // HTTP owns intake: it stops accepting connections, answers what it already holds (each
        // response now says Connection: close) and resolves when they are done. Only then do the
        // engine and the models go, so no accepted request is refused on the way out.
        // gRPC likewise: no new calls, streams end once their requests are answered.
        // Jobs stop at a micro-batch boundary (left to resume on the next start) while the
        // engine still serves the micro-batches they have in flight.
        const drained = Promise.all([app.close(), grpc.close(), jobs.close()])
        const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, config.shutdownTimeoutMs, 'timeout').unref())
        if (await Promise.race([drained, timeout]) === 'timeout') {
          logger.warn({ inFlight: engine.inFlight }, 'shutdown timeout: closing connections with requests in flight')
          app.server.closeAllConnections()
          grpc.forceClose()
          await drained
        }
        await runtime.close() // the engine drains, then the models unload
        statistics.close()
        logger.info('inferd stopped')
      })()
      return closed
    },
  }
}
