import type { TensorSpec } from '../core/signature.js'
import { Errors, InferdError } from '../errors/index.js'
import { splitLabels } from '../repository/labels.js'
import { modelFilePath, readModelText } from '../repository/model-file.js'
import type { ModelVersion } from '../repository/model-version.js'
import type { PipelineConfig, PipelineInputConfig, PipelineOutputConfig } from './pipeline-config.js'
import { type ItemRunner, Pipeline } from './pipeline.js'
import { ctcVocabulary, validateCtcSpec } from './postprocess/ctc.js'
import { ctcStage } from './postprocess/ctc-stage.js'
import { segmentsStage } from './postprocess/segments-output.js'
import { validateSegmentsSpec } from './postprocess/segments.js'
import { audioInput } from './preprocess/audio-input.js'
import { validateAudioSpec } from './processors/audio.js'
import { type ResolvedSequence, resolveSequence, validateSequenceSpec } from './sequence-run.js'
import { classesStage } from './postprocess/classes.js'
import { tensorStage } from './postprocess/tensor-output.js'
import { valueStage } from './postprocess/value.js'
import { imageInput } from './preprocess/image-input.js'
import { passthroughInput } from './preprocess/passthrough-input.js'
import { recordInput } from './preprocess/record-input.js'
import { tensorInput } from './preprocess/tensor-input.js'
import { textInput } from './preprocess/text-input.js'
import { loadTextProcessor, resolveTextSpec, textSpecTensors, validateTextSpec } from './processors/text.js'
import { validateImageSpec } from './processors/image-spec.js'
import { validateTabularSpec } from './processors/tabular-spec.js'
import type { InputStage, OutputStage } from './stages.js'

/**
 * Builds a model version's pipeline from its config's `pipeline:` section when the version loads,
 * so a bad section (unknown tensor, bad spec, missing tokenizer or label file) makes the version
 * UNAVAILABLE with the reason instead of failing its first request.
 *
 * @throws InferdError MODEL_CONFIG_INVALID naming the stage and the problem.
 */
export async function buildPipeline (model: ModelVersion): Promise<Pipeline | undefined> {
  const config = model.config.pipeline
  if (config === undefined) return undefined
  const fail = (what: string): never => { throw new InferdError(Errors.MODEL_CONFIG_INVALID, [model.name, `pipeline: ${what}`]) }
  checkNames(config, model, fail)
  const runners: ItemRunner[] = []
  const inputs = await Promise.all(config.inputs.map((c) => inputStage(c, model, fail, runners)))
  const outputs = await Promise.all(config.outputs.map((c) => outputStage(c, model, fail)))
  const filled = new Set(inputs.flatMap((s) => s.tensors))
  for (const spec of model.signature.inputs) {
    if (!filled.has(spec.name) && spec.optional !== true) fail(`no input stage fills the model's input '${spec.name}'`)
  }
  if (runners.length > 0 && inputs.length > 1) fail('an audio input must be the only input')
  const itemRunner = runners[0]
  return new Pipeline({
    model: model.name, inputs, outputs, maxBatchSize: model.signature.maxBatchSize, inputRanks: inputRanks(model),
    ...(itemRunner === undefined ? {} : { itemRunner }),
  })
}

/**
 * The friendly face of a model with no `pipeline:` section: each model input is a field (numbers
 * nested in its dims, or text for BYTES), each output a field (classes when it has a label file,
 * else the values as they are).
 */
export function defaultPipeline (model: ModelVersion): Pipeline {
  const { signature } = model
  const inputs = signature.inputs.map((s) => (s.datatype === 'BYTES' ? passthroughInput(s.name, s.name, 'string') : tensorInput(s.name, s.datatype, s.dims)))
  const outputs = signature.outputs.map((s) => {
    const labels = model.labels.get(s.name)
    return labels !== undefined && s.datatype !== 'BYTES'
      ? classesStage({ name: s.name, model: model.name, tensor: s.name, activation: 'none', topK: 1, labels })
      : tensorStage({ name: s.name, model: model.name, tensor: s.name, datatype: s.datatype, dims: s.dims })
  })
  return new Pipeline({ model: model.name, inputs, outputs, maxBatchSize: signature.maxBatchSize, inputRanks: inputRanks(model) })
}

/** Fields of a friendly request or answer that are not pipeline fields. */
const RESERVED: ReadonlySet<string> = new Set(['id', 'parameters', 'model_name', 'model_version'])

function inputRanks (model: ModelVersion): Map<string, number> {
  const batched = model.signature.maxBatchSize > 0 ? 1 : 0
  return new Map(model.signature.inputs.map((s) => [s.name, s.dims.length + batched]))
}

function checkNames (config: PipelineConfig, model: ModelVersion, fail: (what: string) => never): void {
  const seen = new Set<string>()
  for (const stage of [...config.inputs, ...config.outputs]) {
    if (seen.has(stage.name)) fail(`the name '${stage.name}' is used twice`)
    if (RESERVED.has(stage.name)) fail(`'${stage.name}' is reserved for the answer's own fields (${[...RESERVED].join(', ')})`)
    seen.add(stage.name)
  }
  for (const stage of config.inputs) {
    // A /v2 request is routed to the pipeline by its input names, so they must not be ambiguous.
    if (model.signature.inputs.some((s) => s.name === stage.name)) fail(`input '${stage.name}' has the name of a model input; give the field another name`)
  }
}

function modelInput (c: PipelineInputConfig, model: ModelVersion, fail: (what: string) => never): TensorSpec {
  if (c.tensor === undefined) return fail(`input '${c.name}' (${c.kind}) needs 'tensor': the model input it fills`)
  const spec = model.signature.inputs.find((s) => s.name === c.tensor)
  if (spec === undefined) return fail(`input '${c.name}': the model has no input '${c.tensor}' (inputs: ${model.signature.inputs.map((s) => s.name).join(', ')})`)
  return spec
}

function modelOutput (c: PipelineOutputConfig, model: ModelVersion, fail: (what: string) => never): TensorSpec {
  const spec = model.signature.outputs.find((s) => s.name === c.tensor)
  if (spec === undefined) return fail(`output '${c.name}': the model has no output '${c.tensor}' (outputs: ${model.signature.outputs.map((s) => s.name).join(', ')})`)
  return spec
}

/** Settings of one kind only: a `text:` block on an image input is a mistake worth naming. */
function onlyOwnSettings (c: object, own: readonly string[], name: string, fail: (what: string) => never): void {
  const common = new Set(['name', 'kind', 'tensor', ...own])
  for (const key of Object.keys(c)) if (!common.has(key)) fail(`'${name}': '${key}' does not apply to kind ${(c as { kind: string }).kind}`)
}

async function inputStage (c: PipelineInputConfig, model: ModelVersion, fail: (what: string) => never, runners: ItemRunner[]): Promise<InputStage> {
  if (c.kind !== 'audio' && c.sequence !== undefined) fail(`input '${c.name}': 'sequence' applies to audio inputs`)
  switch (c.kind) {
    case 'audio': {
      onlyOwnSettings(c, ['audio', 'sequence'], c.name, fail)
      const spec = modelInput(c, model, fail)
      if (spec.datatype !== 'FP32') fail(`input '${c.name}': audio stages make FP32, the model's '${spec.name}' is ${spec.datatype}`)
      const audio = validateAudioSpec(c.audio, model.name)
      let sequence: ResolvedSequence | undefined
      if (c.sequence !== undefined) {
        if (audio.frame === undefined) fail(`input '${c.name}': 'sequence' needs audio.frame (frames are what runs in sequence)`)
        sequence = resolveSequence(validateSequenceSpec(c.sequence, model.name), spec.name, (audio.frame as number) + (audio.context ?? 0), model.signature, model.name)
      }
      const { stage, runner } = audioInput(c.name, spec.name, audio, sequence)
      runners.push(runner)
      return stage
    }
    case 'image': {
      onlyOwnSettings(c, ['image'], c.name, fail)
      const spec = modelInput(c, model, fail)
      if (spec.datatype !== 'FP32') fail(`input '${c.name}': image stages make FP32, the model's '${spec.name}' is ${spec.datatype}`)
      return imageInput(c.name, spec.name, validateImageSpec(c.image, model.name))
    }
    case 'record': {
      onlyOwnSettings(c, ['record'], c.name, fail)
      const spec = modelInput(c, model, fail)
      if (spec.datatype !== 'FP32') fail(`input '${c.name}': record stages make FP32, the model's '${spec.name}' is ${spec.datatype}`)
      return recordInput(c.name, spec.name, validateTabularSpec(c.record, model.name))
    }
    case 'text': {
      onlyOwnSettings(c, ['text'], c.name, fail)
      if (c.tensor !== undefined) fail(`input '${c.name}': a text stage names its tensors in 'text:' (input_ids, attention_mask …), not 'tensor'`)
      const spec = validateTextSpec(c.text, model.name)
      const tensors = textSpecTensors(spec)
      for (const t of tensors) {
        const m = model.signature.inputs.find((s) => s.name === t.name)
        if (m === undefined) fail(`input '${c.name}': the model has no input '${t.name}' (inputs: ${model.signature.inputs.map((s) => s.name).join(', ')})`)
        else if (m.datatype !== t.datatype) fail(`input '${c.name}': makes '${t.name}' as ${t.datatype}, the model takes ${m.datatype} (set text.datatype)`)
      }
      modelFilePath(model.name, model.dir, resolveTextSpec(spec).tokenizer, `pipeline input '${c.name}' tokenizer`)
      const processor = await loadTextProcessor(spec, model.dir, model.name)
      return textInput(c.name, processor, tensors.map((t) => t.name))
    }
    case 'bytes':
    case 'string': {
      onlyOwnSettings(c, [], c.name, fail)
      const spec = modelInput(c, model, fail)
      if (spec.datatype !== 'BYTES') fail(`input '${c.name}': ${c.kind} stages fill a BYTES input, the model's '${spec.name}' is ${spec.datatype}`)
      return passthroughInput(c.name, spec.name, c.kind)
    }
    default:
      return fail(`input '${c.name}': kind ${c.kind} is not available in this build`)
  }
}

async function outputStage (c: PipelineOutputConfig, model: ModelVersion, fail: (what: string) => never): Promise<OutputStage> {
  const spec = modelOutput(c, model, fail)
  const base = { name: c.name, model: model.name, tensor: spec.name }
  switch (c.kind) {
    case 'classes': {
      onlyOwnSettings(c, ['activation', 'top_k', 'threshold', 'labels'], c.name, fail)
      if (spec.datatype === 'BYTES') fail(`output '${c.name}': '${spec.name}' is BYTES, classes need numbers`)
      const labels = c.labels === undefined
        ? model.labels.get(spec.name) ?? []
        : splitLabels(await readModelText(model.name, model.dir, c.labels, `pipeline output '${c.name}' labels`))
      const width = spec.dims.at(-1)
      if (c.activation === 'softmax' && width === 1) fail(`output '${c.name}': softmax over one score is always 1; a single logit takes activation: sigmoid`)
      return classesStage({ ...base, activation: c.activation ?? 'none', topK: c.top_k ?? 1, labels, ...(c.threshold === undefined ? {} : { threshold: c.threshold }) })
    }
    case 'value': {
      onlyOwnSettings(c, ['unscale'], c.name, fail)
      if (spec.datatype === 'BYTES') fail(`output '${c.name}': '${spec.name}' is BYTES, a value needs numbers`)
      const width = spec.dims.some((d) => d < 0) ? undefined : spec.dims.reduce((a, b) => a * b, 1)
      const u = c.unscale
      if (u !== undefined && 'min' in u && !(u.max > u.min)) fail(`output '${c.name}': unscale needs max > min`)
      return valueStage({ ...base, width, ...(u === undefined ? {} : { unscale: u }) })
    }
    case 'ctc': {
      onlyOwnSettings(c, ['ctc', 'activation'], c.name, fail)
      if (spec.datatype === 'BYTES') fail(`output '${c.name}': '${spec.name}' is BYTES, CTC decoding needs per-step class scores`)
      if (c.activation === 'sigmoid') fail(`output '${c.name}': CTC takes activation none or softmax`)
      const ctc = validateCtcSpec(c.ctc, model.name)
      const labels = splitLabels(await readModelText(model.name, model.dir, ctc.labels, `pipeline output '${c.name}' ctc.labels`))
      const classes = spec.dims.at(-1)
      const vocabulary = ctcVocabulary(labels, ctc, model.name, classes !== undefined && classes > 0 ? classes : undefined)
      return ctcStage({ ...base, vocabulary, ...(c.activation === undefined ? {} : { activation: c.activation }) })
    }
    case 'segments':
      onlyOwnSettings(c, ['segments'], c.name, fail)
      if (spec.datatype === 'BYTES') fail(`output '${c.name}': '${spec.name}' is BYTES, segments need per-frame probabilities`)
      return segmentsStage(c.name, model.name, spec.name, validateSegmentsSpec(c.segments, model.name))
    case 'tensor':
      onlyOwnSettings(c, [], c.name, fail)
      return tensorStage({ ...base, datatype: spec.datatype, dims: spec.dims })
    default:
      return fail(`output '${c.name}': kind ${c.kind} is not available in this build`)
  }
}
