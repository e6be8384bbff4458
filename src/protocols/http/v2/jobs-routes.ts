import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { JobRequest } from '../../../batch/jobs/job-manager.js'
import type { ScheduleStatus } from '../../../batch/jobs/job-schedules.js'
import type { JobsService } from '../../../batch/jobs/jobs-service.js'
import { JOB_STATES, type JobRecord, type JobState } from '../../../batch/jobs/job.js'
import { Errors, InferdError } from '../../../errors/index.js'
import type { HttpContext } from '../context.js'

interface IdParams { id: string }
interface ListQuery { limit?: string; state?: string; schedule?: string }

const DEFAULT_LIST_LIMIT = 100
const MAX_LIST_LIMIT = 1000

/**
 * The jobs API: batch jobs over files the server may read and write (its `--batch-allow-dir`
 * folders), run by the same engine as online requests, below them in priority.
 *
 *   POST   /v2/jobs          {model, version?, input, output, rejects?, format?, batch_size?, max_rejects?, keep?} → 201 job
 *   GET    /v2/jobs          ?limit=&state=&schedule=   → {jobs: [job, …]} newest first
 *   GET    /v2/jobs/{id}     → job (state, progress, rows/s, rejects, error, model version, input mtime)
 *   DELETE /v2/jobs/{id}     → job, once stopped (cancelled at a micro-batch boundary; checkpoint kept)
 *   GET    /v2/schedules     → {schedules: [schedule, …]} with last run, last success and staleness
 *
 * Paths are absolute paths on the server; anything outside the allowed folders (after `..` and
 * symbolic links) is refused with 403 JOB_PATH_FORBIDDEN. Without allowed folders every route
 * answers JOBS_DISABLED. JSON is snake_case, times ISO 8601.
 *
 * SECURITY: like the repository routes, these are management endpoints with no authentication
 * yet: keep the port on loopback or behind a proxy that restricts `/v2/jobs`.
 */
export function jobsRoutes (ctx: HttpContext) {
  const jobs = (): JobsService => {
    if (ctx.jobs === undefined) throw new InferdError(Errors.JOBS_DISABLED)
    return ctx.jobs
  }
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/v2/jobs', async (req, reply) => {
      const job = await jobs().manager.submit(readJobRequest(req))
      return await reply.code(201).send(jobJson(job))
    })
    app.get<{ Querystring: ListQuery }>('/v2/jobs', async (req) => {
      const { limit, state, schedule } = req.query
      const manager = jobs().manager
      return {
        jobs: manager.list({
          limit: readLimit(limit),
          ...(state === undefined ? {} : { state: readState(state) }),
          ...(schedule === undefined ? {} : { schedule }),
        }).map(jobJson),
      }
    })
    app.get<{ Params: IdParams }>('/v2/jobs/:id', async (req) => jobJson(jobs().manager.get(req.params.id)))
    app.delete<{ Params: IdParams }>('/v2/jobs/:id', async (req) => jobJson(await jobs().manager.cancel(req.params.id)))
    app.get('/v2/schedules', async () => ({ schedules: (await jobs().schedules.status()).map(scheduleJson) }))
  }
}

function readJobRequest (req: FastifyRequest): JobRequest {
  const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : ''
  let body: unknown
  try {
    body = JSON.parse(raw)
  } catch (err) {
    throw invalid(`the body must be a JSON object: ${(err as Error).message}`)
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be a JSON object')
  const b = body as Record<string, unknown>
  const known = new Set(['model', 'version', 'input', 'output', 'rejects', 'format', 'batch_size', 'max_rejects', 'keep'])
  const unknown = Object.keys(b).find((k) => !known.has(k))
  if (unknown !== undefined) throw invalid(`unknown field '${unknown}' (fields: ${[...known].join(', ')})`)
  const version = optionalString(b, 'version')
  const rejects = optionalString(b, 'rejects')
  const format = optionalString(b, 'format')
  const batchSize = optionalInteger(b, 'batch_size', 1)
  const maxRejects = optionalInteger(b, 'max_rejects', 0)
  const keep = readKeep(b.keep)
  return {
    model: requiredString(b, 'model'),
    input: requiredString(b, 'input'),
    output: requiredString(b, 'output'),
    ...(version === undefined ? {} : { version }),
    ...(rejects === undefined ? {} : { rejects }),
    ...(format === undefined ? {} : { format }),
    ...(batchSize === undefined ? {} : { batchSize }),
    ...(maxRejects === undefined ? {} : { maxRejects }),
    ...(keep === undefined ? {} : { keep }),
  }
}

function requiredString (b: Record<string, unknown>, key: string): string {
  const v = b[key]
  if (typeof v !== 'string' || v === '') throw invalid(`'${key}' is required: a non-empty string`)
  return v
}

function optionalString (b: Record<string, unknown>, key: string): string | undefined {
  const v = b[key]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string' || v === '') throw invalid(`'${key}' must be a non-empty string`)
  return v
}

function optionalInteger (b: Record<string, unknown>, key: string, min: number): number | undefined {
  const v = b[key]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw invalid(`'${key}' must be an integer ≥ ${min}`)
  return v
}

/** Columns to copy from input to output: a list, or one comma-separated string as on the CLI. */
function readKeep (v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined
  const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v
  if (!Array.isArray(list) || list.some((c) => typeof c !== 'string' || c === '')) throw invalid("'keep' must be a list of column names")
  return list as string[]
}

function readLimit (raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIST_LIMIT
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n < 1) throw new InferdError(Errors.PARAMETER_INVALID, ['limit', `expected a positive integer, got '${raw}'`])
  return Math.min(n, MAX_LIST_LIMIT)
}

function readState (raw: string): JobState {
  if (!(JOB_STATES as readonly string[]).includes(raw)) throw new InferdError(Errors.PARAMETER_INVALID, ['state', `expected one of ${JOB_STATES.join(', ')}, got '${raw}'`])
  return raw as JobState
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString())

/** A job as the API shows it. */
export function jobJson (j: JobRecord): Record<string, unknown> {
  const fraction = j.state === 'succeeded' ? 1 : j.totalBytes > 0 ? Math.min(1, j.bytesRead / j.totalBytes) : 0
  return {
    id: j.id,
    state: j.state,
    model: j.model,
    version: j.version ?? null,
    model_version: j.modelVersion ?? null,
    input: j.input,
    output: j.output,
    rejects: j.rejects ?? null,
    format: j.format ?? null,
    batch_size: j.batchSize ?? null,
    max_rejects: j.maxRejects ?? null,
    keep: j.keep ?? null,
    schedule: j.schedule ?? null,
    progress: { rows: j.rowsDone, written: j.written, rejected: j.rejected, bytes_read: j.bytesRead, total_bytes: j.totalBytes, fraction },
    rows_per_second: j.rowsPerSecond,
    resumed_from: j.resumedFrom ?? null,
    starts: j.starts,
    input_mtime: iso(j.inputMtime),
    input_size: j.inputSize ?? null,
    error: j.error ?? null,
    created_at: iso(j.createdAt),
    started_at: iso(j.startedAt),
    finished_at: iso(j.finishedAt),
    updated_at: iso(j.updatedAt),
  }
}

function scheduleJson (s: ScheduleStatus): Record<string, unknown> {
  const e = s.entry
  const run = s.lastRun
  const ok = s.lastSuccess
  return {
    name: e.name,
    cron: e.cron,
    timezone: e.timezone ?? null,
    model: e.model,
    version: e.version ?? null,
    input: e.input,
    output: e.output,
    skip_unchanged: e.skip_unchanged !== false,
    next_run: iso(s.nextRun),
    input_mtime: iso(s.inputMtime),
    input_size: s.inputSize ?? null,
    served_version: s.servedVersion ?? null,
    last_run: run === undefined
      ? null
      : {
          fired_at: iso(run.firedAt),
          outcome: run.outcome,
          reason: run.reason ?? null,
          job_id: run.jobId ?? null,
          input_mtime: iso(run.inputMtime),
          model_version: run.modelVersion ?? null,
        },
    last_success: ok === undefined
      ? null
      : { job_id: ok.id, finished_at: iso(ok.finishedAt), input_mtime: iso(ok.inputMtime), input_size: ok.inputSize ?? null, model_version: ok.modelVersion ?? null },
    stale: s.stale !== undefined,
    stale_reason: s.stale ?? null,
  }
}

function invalid (why: string): InferdError {
  return new InferdError(Errors.REQ_BODY_INVALID, [why])
}
