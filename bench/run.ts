/**
 * inferd's performance bench: in ONE run, on the same model and machine,
 *
 *   (a) raw onnxruntime-node in this process at batch sizes 1…256 and at the sizes inferd formed
 *       at each level, read from its statistics (the limit),
 *   (b) the naive server (bench/servers/naive.ts: fastify + one session.run per request),
 *   (c) the HTTP/JSON ceiling (bench/servers/ceiling.ts: the same fastify, no inference),
 *   (d) inferd (`node dist/cli/bin.js serve`),
 *
 * each server driven by inferd's own load generator (src/bench) at concurrency 1, 16, 64 and 256
 * with the MLP 32→256→256→10 and 1-row JSON requests: at each level, in several rounds (default 3),
 * the three servers in turn within a round; then binary against JSON requests to inferd on a
 * 1×3×224×224 FP32 input. Prints the tables (medians over the rounds, and each server's CPU per
 * request) and the target ratios (median of the per-round ratios: met / missed), and writes
 * everything to bench/results/latest.json.
 *
 * The load generator runs on the same cores as the server it drives (on a 2-core machine it takes
 * roughly one of them), so absolute numbers understate what a server does with the machine to
 * itself; one server is measured at a time (the others idle), and ratios from one run are what to
 * compare.
 *
 *   npm run bench                  (builds dist first)
 *   npx tsx bench/run.ts [--quick] [--rounds n] [--interval ms] [--out file]
 */
import { rmSync } from 'node:fs'
import { mkdtemp, mkdir, readdir, stat, writeFile } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { Tensor } from '../src/core/tensor.js'
import { BENCH_DEFAULTS, runBench, syntheticTensor, terminalProgress, type BenchOptions, type LevelResult, type ProgressSink } from '../src/bench/index.js'
import { ServerProcesses } from './children.js'
import { IMAGE_HEAD, MLP, writeBenchRepository } from './models.js'
import { measureRawOrt } from './raw-ort.js'
import { batchCounters, meanBatch } from './formed-batches.js'
import { CpuPerRequest } from './server-cpu.js'
import { formatProtocols, formatRatios, formatRawOrt, formatServers, formedBatches, targetRatios, type Measured, type ServerLevel } from './summary.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const RAW_BATCHES = [1, 8, 32, 64, 128, 256]

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    interval: { type: 'string' },
    rounds: { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'bench', 'results', 'latest.json') },
  },
})
const quick = args.quick === true
const intervalMs = args.interval === undefined ? (quick ? 400 : 1000) : Number(args.interval)
const rounds = args.rounds === undefined ? (quick ? 1 : 3) : Number(args.rounds)
if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`--rounds must be a whole number ≥ 1, got ${args.rounds}`)
const CONCURRENCY = [1, 16, 64, 256]
const log = (text: string): void => { process.stderr.write(text) }

const servers = new ServerProcesses()
const repo = await mkdtemp(join(tmpdir(), 'inferd-bench-'))
// Also on Ctrl-C, where ServerProcesses exits the process before `finally` could run.
process.on('exit', () => rmSync(repo, { recursive: true, force: true }))
try {
  await main()
} finally {
  await servers.stopAll()
}

async function main (): Promise<void> {
  await warnIfStale()
  const { mlpPath } = await writeBenchRepository(repo)
  const startedAt = new Date().toISOString()

  const mlpInput = [syntheticTensor({ name: MLP.input, datatype: 'FP32', shape: [1, MLP.inputWidth] }, 'random')]
  const names = ['naive', 'ceiling', 'inferd'] as const
  const starts = {
    naive: () => servers.start('naive', ['--import', 'tsx', join(ROOT, 'bench/servers/naive.ts'), mlpPath], { portFrom: jsonPort }),
    ceiling: () => servers.start('ceiling', ['--import', 'tsx', join(ROOT, 'bench/servers/ceiling.ts'), String(MLP.outputWidth), MLP.output], { portFrom: jsonPort }),
    inferd: () => servers.start('inferd', [join(ROOT, 'dist/cli/bin.js'), 'serve', repo, '--http-port', '0', '--grpc-port', '0'], { portFrom: inferdPort, readyPath: '/v2/health/ready' }),
  }
  // All three servers run for the whole bench, idle but for the one being measured. At each
  // concurrency level they are measured in turn, and that in several rounds: on a shared 2-core
  // machine the speed available drifts by tens of percent over seconds to minutes (the same
  // server measured twice in a row: 14k then 22k req/s). Within a round a level's three figures
  // come from the same minute, so each round gives its own ratios, and their median over the
  // rounds is the one judged.
  const running = { naive: await starts.naive(), ceiling: await starts.ceiling(), inferd: await starts.inferd() }
  const levels: ServerLevel[] = []
  for (const level of CONCURRENCY) {
    const measured = { naive: [] as Measured[], ceiling: [] as Measured[], inferd: [] as Measured[] }
    for (let round = 1; round <= rounds; round++) {
      for (const name of names) {
        log(`\n${name} server, MLP, 1-row JSON requests, concurrency ${level}${rounds > 1 ? `, round ${round}/${rounds}` : ''}\n`)
        const cpu = new CpuPerRequest(running[name].pid)
        // Long enough the first time for V8 to optimise each server's request path: inferd's
        // (codec, validation, scheduler) is longer than the naive server's and measured ~1.8x
        // slower at c=1 for its first few seconds, then level with it.
        const warmupMs = quick ? 300 : round === 1 ? 3000 : 1000
        const counters = name === 'inferd' ? await batchCounters(running[name].port, MLP.name) : undefined
        const [result] = await load(running[name].port, MLP.name, [level], [mlpInput], 'json', warmupMs, cpu)
        const mean = counters === undefined ? undefined : meanBatch(counters, await batchCounters(running[name].port, MLP.name))
        measured[name].push({ result: result!, cpuUsPerRequest: cpu.usPerRequest(result!.reportedWindows), meanBatch: mean })
      }
    }
    for (const name of names) levels.push({ server: name, level, rounds: measured[name] })
  }
  // Table order: by server, then level.
  levels.sort((a, b) => names.indexOf(a.server) - names.indexOf(b.server) || a.level - b.level)
  const protocols = await compareProtocols(running.inferd.port)
  await Promise.all(names.map((n) => running[n].stop()))

  // The limit, measured once the servers are gone: the standard sizes and those inferd formed.
  const formed = formedBatches(levels)
  const rawBatches = [...new Set([...RAW_BATCHES, ...formed.values()])].sort((a, b) => a - b)
  log(`\nraw onnxruntime-node, in-process, MLP ${MLP.inputWidth}→${MLP.hidden}→${MLP.hidden}→${MLP.outputWidth}, batches ${rawBatches.join(', ')}\n`)
  const raw = await measureRawOrt(mlpPath, MLP.input, MLP.inputWidth, rawBatches, quick ? 300 : 1000)

  const ratios = targetRatios(levels, protocols.binary, protocols.json)
  const out = [
    '',
    `inferd bench — MLP ${MLP.inputWidth}→${MLP.hidden}→${MLP.hidden}→${MLP.outputWidth} FP32, ${cpus().length} cores (load generator on the same cores), ${intervalMs} ms windows, ${rounds} round(s)`,
    '',
    'raw onnxruntime-node, in-process (the limit):',
    formatRawOrt(raw, formed),
    `servers, 1-row JSON requests${rounds > 1 ? `, medians of ${rounds} rounds` : ''} (CPU: the server process's, all threads, per request):`,
    formatServers(levels),
    `inferd, ${IMAGE_HEAD.name} 1×${IMAGE_HEAD.shape.join('×')} FP32, c=16:`,
    formatProtocols(protocols.binary, protocols.json),
    'targets:',
    formatRatios(ratios),
  ]
  process.stdout.write(out.join('\n'))
  await mkdir(dirname(args.out as string), { recursive: true })
  await writeFile(args.out as string, JSON.stringify({
    startedAt,
    machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, platform: process.platform },
    model: { ...MLP },
    measurementIntervalMs: intervalMs,
    rounds,
    rawOnnxruntime: raw,
    formedBatches: Object.fromEntries(formed),
    servers: levels,
    protocols: { model: IMAGE_HEAD.name, shape: [1, ...IMAGE_HEAD.shape], concurrency: 16, ...protocols },
    ratios,
  }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n')
  log(`\nresults written to ${args.out as string}\n`)
}

/**
 * One server at the given concurrency levels, with inferd's load generator; `cpu`, when given,
 * reads the server's CPU time at the end of every window.
 */
async function load (port: number, model: string, levels: readonly number[], inputs: Tensor[][], format: 'json' | 'binary', warmupMs: number, cpu?: CpuPerRequest): Promise<readonly LevelResult[]> {
  const terminal = terminalProgress(process.stderr)
  const progress: ProgressSink = cpu === undefined ? terminal : { window: (p) => { cpu.window(p); terminal.window(p) }, level: (r) => terminal.level(r) }
  const options: BenchOptions = {
    ...BENCH_DEFAULTS,
    url: `127.0.0.1:${port}`,
    model,
    inputTensorFormat: format,
    outputTensorFormat: format,
    mode: 'concurrency',
    levels,
    measurementIntervalMs: intervalMs,
    warmupMs,
    maxTrials: quick ? 3 : 6,
    inputs,
    progress,
  }
  return (await runBench(options)).results
}

/** The same inferd, the image input, JSON requests against binary ones at c=16. */
async function compareProtocols (port: number): Promise<{ json: LevelResult; binary: LevelResult }> {
  const image = [[syntheticTensor({ name: IMAGE_HEAD.input, datatype: 'FP32', shape: [1, ...IMAGE_HEAD.shape] }, 'random')]]
  log(`\ninferd, ${IMAGE_HEAD.name} 1×${IMAGE_HEAD.shape.join('×')}: JSON requests\n`)
  const warmupMs = quick ? 300 : 3000
  const [json] = await load(port, IMAGE_HEAD.name, [16], image, 'json', warmupMs)
  log('inferd, binary requests\n')
  const [binary] = await load(port, IMAGE_HEAD.name, [16], image, 'binary', warmupMs)
  return { json: json!, binary: binary! }
}

function jsonPort (line: string): number | undefined {
  try {
    const port = (JSON.parse(line) as { port?: unknown }).port
    return typeof port === 'number' ? port : undefined
  } catch {
    return undefined
  }
}

/** inferd logs `{"port": N, "msg": "HTTP service listening on …"}` (pino JSON) once it listens. */
function inferdPort (line: string): number | undefined {
  return line.includes('HTTP service listening') ? jsonPort(line) : undefined
}

/** dist/ is what the bench runs as inferd: say so when src/ has changed since the last build. */
async function warnIfStale (): Promise<void> {
  const built = await stat(join(ROOT, 'dist/cli/bin.js')).catch(() => undefined)
  if (built === undefined) throw new Error('dist/cli/bin.js is missing: run `npm run build` first (or `npm run bench`, which builds)')
  const files = await readdir(join(ROOT, 'src'), { recursive: true })
  let newest = 0
  for (const f of files) {
    if (!f.endsWith('.ts') || f.endsWith('.test.ts')) continue
    newest = Math.max(newest, (await stat(join(ROOT, 'src', f))).mtimeMs)
  }
  if (newest > built.mtimeMs) log('warning: src/ is newer than dist/: inferd is measured as last built (npm run bench builds first)\n')
}
