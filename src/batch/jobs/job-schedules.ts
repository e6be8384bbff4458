import { stat } from 'node:fs/promises'
import { Cron } from 'croner'
import type { Logger } from '../../observability/logger.js'
import type { ModelRepository } from '../../repository/repository.js'
import type { JobManager } from './job-manager.js'
import type { JobStore, ScheduleRun } from './job-store.js'
import { isActive, type JobRecord } from './job.js'
import type { PathAllowList } from './path-allow-list.js'
import type { ScheduleEntry } from './schedule-file.js'

export interface JobSchedulesOptions {
  readonly entries: readonly ScheduleEntry[]
  readonly manager: JobManager
  readonly store: JobStore
  readonly allow: PathAllowList
  readonly repository: Pick<ModelRepository, 'get'>
  readonly logger: Logger
}

/** A schedule as `GET /v2/schedules` shows it: its last runs, and whether its output is stale. */
export interface ScheduleStatus {
  readonly entry: ScheduleEntry
  /** ms since the epoch; undefined once stopped. */
  readonly nextRun?: number
  /** The input as it is now (undefined: missing). */
  readonly inputMtime?: number
  readonly inputSize?: number
  /** The model version the server serves now for the schedule (undefined: not ready). */
  readonly servedVersion?: string
  readonly lastRun?: ScheduleRun
  /** The newest job of the schedule that succeeded: what its output holds. */
  readonly lastSuccess?: JobRecord
  /** Why the output does not reflect the current input and model, if it does not. */
  readonly stale?: string
}

interface InputNow { readonly mtime: number; readonly size: number }

/**
 * Recurring scoring from the `--job-schedules` file: each firing of a schedule's cron expression
 * submits a job (tagged with the schedule's name) to the job manager, and records the firing with
 * the input's modification time and size and the model version served at that moment.
 *
 * A firing is skipped (and recorded as such, with the reason) when the schedule's previous job is
 * still queued or running, or, unless `skip_unchanged: false`, when nothing changed since the
 * last successful run: same input mtime and size, same model version, output still there. Data
 * freshness is then visible in `status()`: a schedule whose input changed after its last success
 * (or whose model moved on) is reported stale, with the reason.
 */
export class JobSchedules {
  readonly #o: JobSchedulesOptions
  readonly #crons = new Map<string, Cron>()

  constructor (options: JobSchedulesOptions) { this.#o = options }

  /**
   * Checks each schedule's paths against the allow-list (the input may not exist yet: an
   * upstream job may write it later), so a schedule that could never run fails start-up.
   * @throws InferdError JOB_PATH_FORBIDDEN, JOB_PATH_INVALID
   */
  async check (): Promise<void> {
    for (const e of this.#o.entries) {
      await this.#o.allow.writable(`schedule '${e.name}' input`, e.input)
      await this.#o.allow.writable(`schedule '${e.name}' output`, e.output)
      if (e.rejects !== undefined) await this.#o.allow.writable(`schedule '${e.name}' rejects`, e.rejects)
    }
  }

  start (): void {
    for (const e of this.#o.entries) {
      if (this.#crons.has(e.name)) continue
      const cron = new Cron(e.cron, {
        ...(e.timezone === undefined ? {} : { timezone: e.timezone }),
        unref: true,
      }, () => this.fire(e.name).then(() => {}, (err: unknown) => {
        this.#o.logger.error({ err, schedule: e.name }, `schedule '${e.name}' failed to fire`)
      }))
      this.#crons.set(e.name, cron)
    }
  }

  stop (): void {
    for (const cron of this.#crons.values()) cron.stop()
    this.#crons.clear()
  }

  get names (): string[] { return this.#o.entries.map((e) => e.name) }

  /** One firing of a schedule, now: a job submitted, or a recorded skip. */
  async fire (name: string): Promise<ScheduleRun> {
    const e = this.#entry(name)
    const firedAt = Date.now()
    const input = await inputNow(e.input)
    const served = this.#served(e)
    const seen = {
      ...(input === undefined ? {} : { inputMtime: input.mtime, inputSize: input.size }),
      ...(served === undefined ? {} : { modelVersion: served }),
    }
    const skip = (reason: string): ScheduleRun => {
      this.#o.logger.info({ schedule: name, reason }, `schedule '${name}': run skipped: ${reason}`)
      return this.#o.store.insertRun({ schedule: name, firedAt, outcome: 'skipped', reason, ...seen })
    }
    const previous = this.#o.store.list({ schedule: name, limit: 1 })[0]
    if (previous !== undefined && isActive(previous.state)) return skip(`the previous run (job ${previous.id}) is still ${previous.state}`)
    if (input === undefined) return skip(`input '${e.input}' does not exist`)
    if (e.skip_unchanged !== false) {
      const last = this.#lastSuccess(name)
      if (last !== undefined && (await this.#staleness(e, last, input, served)) === undefined) {
        return skip(`nothing changed since the last successful run (job ${last.id}): same input and model version`)
      }
    }
    try {
      const job = await this.#o.manager.submit({
        model: e.model,
        ...(e.version === undefined ? {} : { version: e.version }),
        input: e.input,
        output: e.output,
        ...(e.rejects === undefined ? {} : { rejects: e.rejects }),
        ...(e.format === undefined ? {} : { format: e.format }),
        ...(e.batch_size === undefined ? {} : { batchSize: e.batch_size }),
        ...(e.max_rejects === undefined ? {} : { maxRejects: e.max_rejects }),
        ...(e.keep === undefined ? {} : { keep: e.keep }),
        schedule: name,
      })
      return this.#o.store.insertRun({ schedule: name, firedAt, outcome: 'started', jobId: job.id, ...seen })
    } catch (err) {
      return skip(`the job was refused: ${(err as Error).message}`)
    }
  }

  async status (): Promise<ScheduleStatus[]> {
    const out: ScheduleStatus[] = []
    for (const e of this.#o.entries) {
      const next = this.#crons.get(e.name)?.nextRun()
      const input = await inputNow(e.input)
      const served = this.#served(e)
      const lastRun = this.#o.store.runs(e.name, 1)[0]
      const lastSuccess = this.#lastSuccess(e.name)
      const stale = lastSuccess === undefined ? 'no successful run yet' : await this.#staleness(e, lastSuccess, input, served)
      out.push({
        entry: e,
        ...(next === undefined || next === null ? {} : { nextRun: next.getTime() }),
        ...(input === undefined ? {} : { inputMtime: input.mtime, inputSize: input.size }),
        ...(served === undefined ? {} : { servedVersion: served }),
        ...(lastRun === undefined ? {} : { lastRun }),
        ...(lastSuccess === undefined ? {} : { lastSuccess }),
        ...(stale === undefined ? {} : { stale }),
      })
    }
    return out
  }

  /** Why `last`'s output no longer matches the input and model now; undefined when it does. */
  async #staleness (e: ScheduleEntry, last: JobRecord, input: InputNow | undefined, served: string | undefined): Promise<string | undefined> {
    if (input === undefined) return `input '${e.input}' does not exist`
    if (last.inputMtime !== input.mtime || last.inputSize !== input.size) {
      return `input modified (${new Date(input.mtime).toISOString()}) since the last successful run read it (${last.inputMtime === undefined ? 'unknown' : new Date(last.inputMtime).toISOString()})`
    }
    if (served !== undefined && last.modelVersion !== served) return `model version ${served} is served now; the output is from version ${last.modelVersion ?? 'unknown'}`
    if ((await stat(last.output).catch(() => undefined)) === undefined) return `output '${last.output}' is missing`
    return undefined
  }

  #lastSuccess (name: string): JobRecord | undefined {
    return this.#o.store.list({ schedule: name, state: 'succeeded', limit: 1 })[0]
  }

  #served (e: ScheduleEntry): string | undefined {
    try { return this.#o.repository.get(e.model, e.version).version } catch { return undefined }
  }

  #entry (name: string): ScheduleEntry {
    const e = this.#o.entries.find((x) => x.name === name)
    if (e === undefined) throw new Error(`no schedule '${name}'`)
    return e
  }
}

async function inputNow (path: string): Promise<InputNow | undefined> {
  const s = await stat(path).catch(() => undefined)
  return s === undefined ? undefined : { mtime: Math.round(s.mtimeMs), size: s.size }
}
