import { readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import type { Backend } from '../backends/backend.js'
import { MODEL_CONFIG_FILENAME } from '../config/constants.js'
import { Errors } from '../errors/codes.js'
import { InferdError } from '../errors/inferd-error.js'
import { ensembleSession } from '../pipeline/ensemble/ensemble-session.js'
import { completeConfig } from './complete-config.js'
import { readOutputLabels } from './labels.js'
import { backendNameFor, sessionOptionsFor } from './load-options.js'
import { type ModelConfig, parseModelConfig } from './model-config.js'
import { REASONS } from './model-state.js'
import type { ModelVersion, RepositoryLogger, VersionHooks } from './model-version.js'
import { exists, listVersions, type ModelSource } from './scan.js'
import { selectVersions } from './version-policy.js'

/** What opening versions needs from the repository. */
export interface LoaderContext {
  readonly root: string
  readonly backends: (name: string) => Backend | undefined
  readonly defaultMaxBatchSize: number
  readonly gpuAvailable: boolean | undefined
  readonly hooks: VersionHooks | undefined
  readonly log: RepositoryLogger
  /** True once the repository is closing: a version that opens after that is closed again at once. */
  readonly closed: () => boolean
}

/** A model's config read and checked, its backend found and its versions selected: what to open. */
export interface LoadPlan {
  readonly config: ModelConfig
  readonly backend: Backend
  readonly gpu: boolean
  /** Versions to serve, ascending. */
  readonly serve: readonly number[]
  /** Versions a `specific` policy names that have no folder. */
  readonly missing: readonly number[]
}

/**
 * Reads the model's config (or takes the override), finds its backend and applies its version
 * policy to the version folders present.
 *
 * @throws InferdError MODEL_CONFIG_INVALID (config, backend, or nothing to serve)
 */
export async function planLoad (source: ModelSource, override: ModelConfig | undefined, ctx: LoaderContext): Promise<LoadPlan> {
  const { name } = source
  const config = override ?? await readConfig(source)
  const backendName = backendNameFor(name, config)
  const backend = ctx.backends(backendName) ?? failModel(name, `backend '${backendName}' is not available`)
  const present = source.kind === 'file' ? [1] : await listVersions(source.dir)
  const { serve, missing } = selectVersions(present, config.version_policy)
  if (serve.length === 0 && missing.length === 0) {
    failModel(name, present.length === 0 ? 'no version folder (a folder named 1, 2, ...) holds a model' : 'the version policy selects no version')
  }
  const groupKind = config.instance_group?.[0]?.kind
  const gpu = groupKind === 'KIND_GPU' || ((groupKind === undefined || groupKind === 'KIND_AUTO') && ctx.gpuAvailable === true)
  return { config, backend, gpu, serve, missing }
}

/**
 * Opens one version, completes its config, reads its labels and runs the `prepare` hook (the
 * scheduler, warmup). Whatever fails after the session opened closes the session again.
 *
 * @throws InferdError MODEL_LOAD_FAILED, MODEL_CONFIG_INVALID, or the hook's error; an Error
 *   with REASONS.CLOSED when the repository closed meanwhile
 */
export async function openVersion (source: ModelSource, version: number, plan: LoadPlan, ctx: LoaderContext): Promise<ModelVersion> {
  const { name } = source
  const { config, backend } = plan
  const filename = config.default_model_filename ?? backend.defaultModelFilename
  const path = source.kind === 'file' ? source.file : join(source.dir, String(version), filename)
  // An ensemble has no model file (its version folder may be empty): its config declares it.
  const ensemble = config.ensemble_scheduling !== undefined
  if (!ensemble && !await exists(path)) {
    throw new InferdError(Errors.MODEL_LOAD_FAILED, [name, version, `model file ${relative(ctx.root, path) || path} not found`])
  }
  const sessionOptions = { ...sessionOptionsFor(name, config, plan.gpu), modelConfig: config }
  const session = ensemble ? ensembleSession(config) : await backend.open(path, sessionOptions, ctx.log).catch((err: unknown) => {
    throw new InferdError(Errors.MODEL_LOAD_FAILED, [name, version, (err as Error).message], { cause: err })
  })
  try {
    const completed = completeConfig(config, session.declared, {
      modelName: name,
      backend,
      defaultMaxBatchSize: ctx.defaultMaxBatchSize,
      ...(ctx.gpuAvailable === undefined ? {} : { gpuAvailable: ctx.gpuAvailable }),
    })
    const labels = await readOutputLabels(name, source.dir, completed.config.output)
    if (ctx.closed()) throw new Error(REASONS.CLOSED)
    const served: ModelVersion = {
      name, version: String(version), state: 'READY', ...completed, labels, session, path, dir: source.dir, backend: backend.name, sessionOptions,
    }
    await ctx.hooks?.prepare(served)
    if (ctx.closed()) {
      // close() won while prepare ran: the hooks hold a runtime for it that nobody else will retire.
      await ctx.hooks?.retire(served).catch(() => {})
      throw new Error(REASONS.CLOSED)
    }
    return served
  } catch (err) {
    await session.close().catch((closeErr: unknown) => ctx.log.warn({ model: name, version, err: closeErr }, 'closing a failed session failed'))
    throw err
  }
}

/**
 * Takes a served version out of service: the hooks drain its requests, then its session closes.
 * Failures are logged, never thrown: a version on its way out must not keep a model from moving on.
 */
export async function retireVersion (served: ModelVersion, ctx: Pick<LoaderContext, 'hooks' | 'log'>): Promise<void> {
  const at = { model: served.name, version: served.version }
  await ctx.hooks?.retire(served).catch((err: unknown) => ctx.log.warn({ ...at, err }, 'retiring a version failed'))
  await served.session.close().catch((err: unknown) => ctx.log.warn({ ...at, err }, 'closing a session failed'))
}

async function readConfig (source: ModelSource): Promise<ModelConfig> {
  if (source.kind === 'file') return {}
  const file = join(source.dir, MODEL_CONFIG_FILENAME)
  if (!await exists(file)) return {}
  return parseModelConfig(await readFile(file, 'utf8'), { modelName: source.name, file })
}

function failModel (name: string, reason: string): never {
  throw new InferdError(Errors.MODEL_CONFIG_INVALID, [name, reason])
}
