/**
 * Batch inference bench: in ONE run, on the same model and the same CSV file, rows per second of
 *
 *   (1) inferd batch: runBatch in this process (reader → row mapping → engine.predict through the
 *       model's pipeline and scheduler → writer, checkpointed), as `inferd batch` runs it;
 *   (2) raw onnxruntime-node at the same batch size with the same reader and writer: features
 *       copied from the rows into a Float32Array, session.run (two in flight, so reading overlaps
 *       inference as in (1)), softmax + argmax by hand, the same output rows;
 *   (3) the bare read → parse → write pass: the same reader and writer, no inference.
 *
 * Target (issue #6): (1) ≥ 0.8 × the slower of (2) and (3).
 *
 * The model is the bench's MLP (bench/models.ts, 32 → 256 → 256 → 10) behind a `pipeline:` that
 * takes each CSV row as a record of 32 numeric columns and answers a class with its score, so
 * (1) does real pre- and post-processing. Each pass runs `--repeat` times, interleaved; the best
 * run of each counts (the others were disturbed by something else on the machine).
 *
 *   npm run bench:batch
 *   npx tsx bench/batch.ts [--rows 200000] [--repeat 3] [--quick] [--out file]
 */
import { once } from 'node:events'
import { createWriteStream, rmSync } from 'node:fs'
import { mkdir, mkdtemp, stat, writeFile } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import ort from 'onnxruntime-node'
import { pino } from 'pino'
import { openRowReader, openRowWriter, type Row } from '../src/batch/formats/index.js'
import { runBatch } from '../src/batch/runner.js'
import { resolveConfig } from '../src/config/resolve.js'
import { createRuntime } from '../src/runtime.js'
import { seededRandom } from '../scripts/ml/random.js'
import { writeFileIfChanged } from '../scripts/onnx/write-file.js'
import { MLP, mlpModel } from './models.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const MODEL = 'mlp_records'
const BATCH = 256
const FEATURES = Array.from({ length: MLP.inputWidth }, (_, i) => `f${i}`)
const COLUMNS = ['row', 'class', 'class_score']

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string' },
    repeat: { type: 'string' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench', 'results', 'batch-latest.json') },
  },
})
const quick = args.quick === true
const ROWS = Number(args.rows ?? (quick ? 20_000 : 200_000))
const REPEAT = Number(args.repeat ?? (quick ? 1 : 3))
const log = (text: string): void => { process.stderr.write(text) }

const dir = await mkdtemp(join(tmpdir(), 'inferd-bench-batch-'))
process.on('exit', () => rmSync(dir, { recursive: true, force: true }))

/** The MLP as a model repository entry with a records pipeline (the same ONNX bytes as bench/run.ts). */
async function writeRepository (root: string): Promise<string> {
  const modelPath = join(root, MODEL, '1', 'model.onnx')
  await writeFileIfChanged(modelPath, mlpModel())
  const features = FEATURES.map((f) => `          - { name: ${f}, kind: numeric }`).join('\n')
  await writeFile(join(root, MODEL, 'config.yaml'), `backend: onnxruntime
max_batch_size: ${BATCH}
dynamic_batching: {}
pipeline:
  inputs:
    - name: records
      kind: record
      tensor: ${MLP.input}
      record:
        features:
${features}
  outputs:
    - { name: class, kind: classes, tensor: ${MLP.output}, activation: softmax, top_k: 1 }
`)
  return modelPath
}

/** A CSV of `rows` rows of 32 features in [-1, 1) with 4 decimals, seeded. */
async function writeInput (path: string, rows: number): Promise<void> {
  const random = seededRandom(11)
  const stream = createWriteStream(path)
  let text = FEATURES.join(',') + '\n'
  for (let i = 0; i < rows; i++) {
    let line = ''
    for (let f = 0; f < FEATURES.length; f++) line += (f === 0 ? '' : ',') + (random() * 2 - 1).toFixed(4)
    text += line + '\n'
    if (text.length > 1 << 16) {
      if (!stream.write(text)) await once(stream, 'drain')
      text = ''
    }
  }
  stream.end(text)
  await once(stream, 'finish')
}

interface PassResult { readonly rows: number; readonly seconds: number; readonly rowsPerSecond: number }

/** (1) inferd: the batch runner in this process. */
async function inferdPass (runtime: ReturnType<typeof createRuntime>, input: string, output: string): Promise<PassResult> {
  const started = performance.now()
  const s = await runBatch({ model: MODEL, input, output, batchSize: BATCH }, runtime)
  const seconds = (performance.now() - started) / 1000
  return { rows: s.rows, seconds, rowsPerSecond: s.rows / seconds }
}

/** (2) raw onnxruntime-node with the same reader and writer, two runs in flight. */
async function rawPass (session: ort.InferenceSession, input: string, output: string): Promise<PassResult> {
  const started = performance.now()
  const reader = await openRowReader(input)
  const writer = await openRowWriter(output, { columns: COLUMNS })
  const width = MLP.inputWidth
  const classes = MLP.outputWidth
  let next = 0
  let pending: Promise<Row[]> | undefined
  const score = async (first: number, rows: Row[]): Promise<Row[]> => {
    const x = new Float32Array(rows.length * width)
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as Row
      for (let f = 0; f < width; f++) x[r * width + f] = row[FEATURES[f] as string] as number
    }
    const result = await session.run({ [MLP.input]: new ort.Tensor('float32', x, [rows.length, width]) })
    const y = (result[MLP.output] as ort.Tensor).data as Float32Array
    const out: Row[] = []
    for (let r = 0; r < rows.length; r++) {
      let max = -Infinity
      let best = 0
      for (let c = 0; c < classes; c++) { const v = y[r * classes + c] as number; if (v > max) { max = v; best = c } }
      let sum = 0
      for (let c = 0; c < classes; c++) sum += Math.exp((y[r * classes + c] as number) - max)
      out.push({ row: first + r, class: String(best), class_score: 1 / sum })
    }
    return out
  }
  for (;;) {
    const rows = await reader.read(BATCH)
    if (rows.length === 0) break
    const scoring = score(next, rows)
    next += rows.length
    if (pending !== undefined) await writer.write(await pending)
    pending = scoring
  }
  if (pending !== undefined) await writer.write(await pending)
  await reader.close()
  await writer.close()
  const seconds = (performance.now() - started) / 1000
  return { rows: next, seconds, rowsPerSecond: next / seconds }
}

/** (3) the same reader and writer, one output row per input row, no inference. */
async function barePass (input: string, output: string): Promise<PassResult> {
  const started = performance.now()
  const reader = await openRowReader(input)
  const writer = await openRowWriter(output, { columns: COLUMNS })
  let next = 0
  for (;;) {
    const rows = await reader.read(BATCH)
    if (rows.length === 0) break
    await writer.write(rows.map((row, r) => ({ row: next + r, class: String((next + r) % 10), class_score: row.f0 as number })))
    next += rows.length
  }
  await reader.close()
  await writer.close()
  const seconds = (performance.now() - started) / 1000
  return { rows: next, seconds, rowsPerSecond: next / seconds }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')

async function main (): Promise<void> {
  const repo = join(dir, 'repo')
  const modelPath = await writeRepository(repo)
  const input = join(dir, 'input.csv')
  log(`writing ${fmt(ROWS)} rows × ${FEATURES.length} features …\n`)
  await writeInput(input, ROWS)
  const inputBytes = (await stat(input)).size

  const runtime = createRuntime(resolveConfig({ modelRepository: repo, modelControlMode: 'explicit', logLevel: 'silent' }), pino({ level: 'silent' }))
  await runtime.repository.scan()
  await runtime.repository.load(MODEL)
  const session = await ort.InferenceSession.create(modelPath)
  const passes = {
    inferd: () => inferdPass(runtime, input, join(dir, 'inferd.csv')),
    raw: () => rawPass(session, input, join(dir, 'raw.csv')),
    bare: () => barePass(input, join(dir, 'bare.csv')),
  }
  const results: Record<keyof typeof passes, PassResult[]> = { inferd: [], raw: [], bare: [] }
  try {
    for (let i = 0; i < REPEAT; i++) {
      for (const name of ['inferd', 'raw', 'bare'] as const) {
        const r = await passes[name]()
        if (r.rows !== ROWS) throw new Error(`${name}: ${r.rows} rows, expected ${ROWS}`)
        results[name].push(r)
        log(`  run ${i + 1}/${REPEAT} ${name.padEnd(6)} ${fmt(r.rowsPerSecond).padStart(9)} rows/s (${r.seconds.toFixed(2)} s)\n`)
      }
    }
  } finally {
    await session.release()
    await runtime.close()
  }

  const best = (name: keyof typeof passes): PassResult => results[name].reduce((a, b) => (b.rowsPerSecond > a.rowsPerSecond ? b : a))
  const inferd = best('inferd')
  const raw = best('raw')
  const bare = best('bare')
  const slower = Math.min(raw.rowsPerSecond, bare.rowsPerSecond)
  const ratio = inferd.rowsPerSecond / slower
  const table = [
    '',
    `inferd batch bench — MLP ${MLP.inputWidth}→${MLP.hidden}→${MLP.hidden}→${MLP.outputWidth} FP32 (records pipeline, softmax class), ${fmt(ROWS)} CSV rows (${(inputBytes / 1e6).toFixed(1)} MB), batch ${BATCH}, ${cpus().length} cores, best of ${REPEAT}`,
    '',
    '| pass                                          |    rows/s | seconds |',
    '|-----------------------------------------------|----------:|--------:|',
    `| (1) inferd batch (runBatch, in-process)       | ${fmt(inferd.rowsPerSecond).padStart(9)} | ${inferd.seconds.toFixed(2).padStart(7)} |`,
    `| (2) raw onnxruntime-node, same read/write     | ${fmt(raw.rowsPerSecond).padStart(9)} | ${raw.seconds.toFixed(2).padStart(7)} |`,
    `| (3) read → parse → write, no inference       | ${fmt(bare.rowsPerSecond).padStart(9)} | ${bare.seconds.toFixed(2).padStart(7)} |`,
    '',
    `inferd / min((2), (3)) = ${ratio.toFixed(2)}  (target ≥ 0.80: ${ratio >= 0.8 ? 'met' : 'missed'})`,
    '',
  ]
  process.stdout.write(table.join('\n'))
  await mkdir(dirname(args.out as string), { recursive: true })
  await writeFile(args.out as string, JSON.stringify({
    startedAt: new Date().toISOString(),
    machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, platform: process.platform },
    model: { ...MLP, pipeline: 'records → classes (softmax)' },
    rows: ROWS,
    inputBytes,
    batchSize: BATCH,
    repeat: REPEAT,
    runs: results,
    best: { inferd, raw, bare },
    ratio: { name: 'inferd / min(raw onnxruntime, bare read-parse-write)', value: ratio, target: '≥ 0.8', met: ratio >= 0.8 },
  }, null, 2) + '\n')
  log(`results written to ${args.out as string}\n`)
}

await main()
