/**
 * The load generator behind `inferd bench` (perf_analyzer for the Open Inference Protocol over
 * REST), as a library for the bench/ suite and for tests.
 */
export { BENCH_DEFAULTS, parseTarget, runBench, type BenchOptions } from './bench-runner.js'
export { ClosedLoop } from './closed-loop.js'
export { HttpConnection, serializeRequest, type HttpResult, type HttpTarget } from './http-connection.js'
export { readInputFile, type InputDims } from './input-file.js'
export { EMPTY_LATENCY, percentileOfSorted, pickLatency, summarizeLatencies, type LatencySummary } from './latency-stats.js'
export type { LoadContext, LoadDriver } from './load-driver.js'
export { applyShapes, fetchModelInputs, parseShapeOption, requestSpecs, type ModelInputs } from './model-inputs.js'
export { OpenLoop, type OpenLoopOptions, type RequestDistribution } from './open-loop.js'
export { profileLevel, type LevelSpec, type ProfileClock, type ProfileOptions, type WindowProgress } from './profiler.js'
export { SILENT_PROGRESS, terminalProgress, type ProgressSink } from './progress.js'
export { parseRange } from './range.js'
export { alignColumns, formatCsv, formatTable, grouped } from './report-format.js'
export { encodeInferBody, type EncodedBody, type TensorFormat } from './request-body.js'
export type { BenchReport, BenchSettings, LevelResult, LoadMode } from './results.js'
export { DEFAULT_STABILITY, isStable, withinSpread, type StabilityOptions, type WindowFigures } from './stability.js'
export { seededRandom, syntheticTensor, type InputSpec, type SyntheticData } from './tensor-data.js'
export { WindowRecorder, type WindowSample } from './window-recorder.js'
