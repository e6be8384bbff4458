/**
 * The body of the thread that hosts one custom model module (module-thread.ts starts it; the
 * exchange is drawn in messages.ts). It imports the module, runs `initialize`, then answers one
 * `execute` at a time and checks what it returns. Whatever the module does outside those calls
 * (a timer that throws, a rejection nobody handles, process.exit) ends this thread, which the
 * main thread sees as a crash.
 */
import { basename } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parentPort, workerData } from 'node:worker_threads'
import type { Tensor } from '../../core/tensor.js'
import { postable } from '../../core/transfer.js'
import { Errors } from '../../errors/codes.js'
import type { HostData, HostReply, HostRequest } from './messages.js'
import { checkOutputs } from './output-check.js'
import type { InitializeContext, ModelModule, ModuleLogger } from './types.js'

const port = parentPort
if (port === null) throw new Error('module-host must run in a worker thread')
const data = workerData as HostData
const send = (reply: HostReply, transfer: ArrayBuffer[] = []): void => port.postMessage(reply, transfer)

const log = (level: 'info' | 'warn') => (msg: string, fields?: Record<string, unknown>): void => {
  try {
    send({ type: 'log', level, msg: String(msg), ...(fields === undefined ? {} : { fields }) })
  } catch {
    send({ type: 'log', level, msg: `${String(msg)} (its fields could not be passed on: they do not survive structured clone)` })
  }
}
const logger: ModuleLogger = { info: log('info'), warn: log('warn') }

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err))
/** The module's own stack, for the server's log (the client sees the message only). */
const stackOf = (err: unknown): { stack?: string } => (err instanceof Error && err.stack !== undefined ? { stack: err.stack } : {})

/** Imports the module file; `.ts` files go through tsx, when it is installed. */
async function importModule (file: string): Promise<ModelModule> {
  const url = pathToFileURL(file).href
  let ns: Record<string, unknown>
  if (/\.[mc]?ts$/.test(file)) {
    let tsx: { tsImport: (specifier: string, parent: string) => Promise<Record<string, unknown>> }
    try {
      tsx = await import('tsx/esm/api')
    } catch {
      throw new Error(`${basename(file)} is TypeScript, which needs the tsx package installed beside inferd; or compile it to model.mjs`)
    }
    ns = await tsx.tsImport(url, import.meta.url)
  } else {
    ns = await import(url) as Record<string, unknown>
  }
  // Named exports, else a default export object (CommonJS module.exports arrives as default).
  const candidate = (typeof ns.execute === 'function' ? ns : ns.default) as Partial<ModelModule> | undefined
  if (typeof candidate?.execute !== 'function') {
    throw new Error(`${basename(file)} exports no execute function (export async function execute (inputs, ctx) { … }, or a default export object with one)`)
  }
  for (const hook of ['initialize', 'finalize'] as const) {
    if (candidate[hook] !== undefined && typeof candidate[hook] !== 'function') throw new Error(`${basename(file)} exports '${hook}', which is not a function`)
  }
  return candidate as ModelModule
}

async function execute (module: ModelModule, m: Extract<HostRequest, { type: 'execute' }>): Promise<void> {
  try {
    const inputs: Record<string, Tensor> = {}
    for (const t of m.inputs) inputs[t.name] = t
    const batchSize = data.maxBatchSize > 0 ? (m.inputs[0]?.shape[0] ?? 0) : 1
    const returned = await module.execute(inputs, { outputNames: m.outputNames, batchSize })
    const outputs = checkOutputs(returned, { declared: data.outputs, outputNames: m.outputNames, maxBatchSize: data.maxBatchSize, batchSize })
    const { tensors, transfer } = postable(outputs)
    send({ type: 'result', id: m.id, outputs: tensors }, transfer)
  } catch (err) {
    send({ type: 'error', id: m.id, message: messageOf(err), ...stackOf(err), ...(isBadInput(err) ? { badInput: true } : {}) })
  }
}

/**
 * An error a module throws to say the request's data is at fault (a 400, not a 500): its `code`
 * is `INVALID_ARGUMENT`, or an inferd code for bad input (`INFERD_ERR_TENSOR_DATA_INVALID` …).
 */
function isBadInput (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'INVALID_ARGUMENT') return true
  return typeof code === 'string' && Object.values(Errors).some((d) => d.code === code && d.canonical === 'INVALID_ARGUMENT')
}

async function finalize (module: ModelModule): Promise<void> {
  try {
    await module.finalize?.()
    send({ type: 'finalized' })
  } catch (err) {
    send({ type: 'finalized', message: messageOf(err) })
  }
}

let loaded: ModelModule | undefined
let phase = `importing ${basename(data.modelFile)}`
try {
  loaded = await importModule(data.modelFile)
  phase = 'initialize'
  const ctx: InitializeContext = { ...data, logger }
  await loaded.initialize?.(ctx)
} catch (err) {
  loaded = undefined
  send({ type: 'init-failed', message: `${phase} failed: ${messageOf(err)}`, ...stackOf(err) })
}
if (loaded !== undefined) {
  const ready = loaded
  port.on('message', (m: HostRequest) => {
    if (m.type === 'execute') void execute(ready, m)
    else void finalize(ready)
  })
  send({ type: 'ready' })
}
