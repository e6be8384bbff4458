import { realpathSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import type { ServerConfig } from '../../config/schema.js'
import { Errors, InferdError } from '../../errors/index.js'
import type { Logger } from '../../observability/logger.js'
import type { ModelRepository } from '../../repository/repository.js'
import { JobManager } from './job-manager.js'
import type { RunJob } from './job-runner.js'
import { JobSchedules } from './job-schedules.js'
import type { JobStore } from './job-store.js'
import { PathAllowList } from './path-allow-list.js'
import { loadScheduleFile } from './schedule-file.js'
import { SqliteJobStore } from './sqlite-job-store.js'

/** The job store's file when `--jobs-db` is not given: in the first allowed folder, beside the data. */
export const DEFAULT_JOBS_DB = '.inferd-jobs.db'

export interface JobsServiceOptions {
  readonly config: ServerConfig
  readonly repository: ModelRepository
  /** Runs one job through the server's engine (batch-run-job.ts). */
  readonly run: RunJob
  readonly logger: Logger
}

/**
 * The jobs part of a server: allow-list, store, manager and schedules, opened and closed with it.
 * Off unless `batchAllowDirs` names at least one folder: a server must never read or write files
 * for clients by default; its routes then answer JOBS_DISABLED.
 *
 * Lifecycle, driven by server.ts: `open()` before anything listens (bad configuration fails
 * start-up; jobs may be submitted from then on), `begin()` once models are loaded (left-over jobs
 * resume, schedules start firing), `close()` before the engine drains (running jobs stop at a
 * micro-batch boundary and stay `running` in the store, to resume on the next start).
 */
export class JobsService {
  readonly #o: JobsServiceOptions
  #store: JobStore | undefined
  #manager: JobManager | undefined
  #schedules: JobSchedules | undefined
  #closed: Promise<void> | undefined

  constructor (options: JobsServiceOptions) { this.#o = options }

  get enabled (): boolean { return this.#manager !== undefined }

  /** @throws InferdError JOBS_DISABLED when the server has no batch allow-list */
  get manager (): JobManager {
    if (this.#manager === undefined) throw new InferdError(Errors.JOBS_DISABLED)
    return this.#manager
  }

  /** @throws InferdError JOBS_DISABLED when the server has no batch allow-list */
  get schedules (): JobSchedules {
    if (this.#schedules === undefined) throw new InferdError(Errors.JOBS_DISABLED)
    return this.#schedules
  }

  /** @throws InferdError CONFIG_INVALID (folders, store, schedule file), JOB_PATH_* (a schedule's paths) */
  async open (): Promise<void> {
    const { config, logger } = this.#o
    if (config.batchAllowDirs.length === 0) {
      if (config.jobSchedules !== '') throw new InferdError(Errors.CONFIG_INVALID, ['jobSchedules: scheduled jobs need batchAllowDirs (--batch-allow-dir), the folders they may read and write'])
      return
    }
    const allow = await PathAllowList.create(config.batchAllowDirs)
    const entries = config.jobSchedules === '' ? [] : await loadScheduleFile(config.jobSchedules)
    const file = resolve(config.jobsDb === '' ? join(allow.dirs[0] as string, DEFAULT_JOBS_DB) : config.jobsDb)
    let store: SqliteJobStore
    try {
      store = new SqliteJobStore(file)
    } catch (err) {
      throw new InferdError(Errors.CONFIG_INVALID, [`jobsDb '${file}': ${(err as Error).message}`], { cause: err })
    }
    const real = join(realpathSync(dirname(file)), basename(file))
    const manager = new JobManager({
      store, allow, repository: this.#o.repository, run: this.#o.run, logger,
      reserved: [real, `${real}-wal`, `${real}-journal`, `${real}-shm`, `${real}.owner`],
    })
    const schedules = new JobSchedules({ entries, manager, store, allow, repository: this.#o.repository, logger })
    try {
      await schedules.check()
    } catch (err) {
      store.close()
      throw err
    }
    this.#store = store
    this.#manager = manager
    this.#schedules = schedules
    logger.info({ allow: allow.dirs, store: file, schedules: schedules.names }, `jobs API on: ${allow.dirs.length} allowed folder(s), store ${file}, ${entries.length} schedule(s)`)
  }

  /** Resumes the jobs a previous server left, and starts the schedules. */
  begin (): void {
    this.#manager?.start()
    this.#schedules?.start()
  }

  /** Idempotent. */
  close (): Promise<void> {
    this.#closed ??= (async () => {
      this.#schedules?.stop()
      await this.#manager?.close()
      this.#store?.close()
    })()
    return this.#closed
  }
}
