import { type Static, Type } from '@sinclair/typebox'

/**
 * The `pipeline:` section of a model's config.yaml (an inferd extension to Triton's ModelConfig):
 * the friendly face of a model. Each input turns one field of a raw-data request (an image, a text,
 * a WAV file, JSON records) into model input tensors; each output turns model output tensors into
 * one field of a labelled answer. Triton users build the same thing from Python-backend models in
 * an ensemble; here it is declared next to the model it serves.
 *
 * The structure (names, kinds, which tensors) is checked here; each kind's own settings (`image:`,
 * `text:`, `audio:`, `record:`, `ctc:`, `segments:`) are checked by that kind's validator when the
 * model loads, which can name the exact problem.
 */

const closed = { additionalProperties: false } as const

/** Kinds of pipeline input: decoded and pre-processed (image, text, audio, record) or passed on (bytes, string). */
export const PIPELINE_INPUT_KINDS = ['image', 'text', 'audio', 'record', 'bytes', 'string'] as const
export type PipelineInputKind = (typeof PIPELINE_INPUT_KINDS)[number]

/** Kinds of pipeline output. */
export const PIPELINE_OUTPUT_KINDS = ['classes', 'value', 'ctc', 'segments', 'tensor'] as const
export type PipelineOutputKind = (typeof PIPELINE_OUTPUT_KINDS)[number]

const Name = Type.String({ minLength: 1, pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$' })

export const PipelineInputSchema = Type.Object({
  /** The request field and the BYTES input of the same name in /v2. */
  name: Name,
  kind: Type.Union(PIPELINE_INPUT_KINDS.map((k) => Type.Literal(k)), { expected: `one of ${PIPELINE_INPUT_KINDS.join(', ')}` }),
  /** The model input this field fills (every kind but text, whose spec names its tensors). */
  tensor: Type.Optional(Type.String({ minLength: 1 })),
  image: Type.Optional(Type.Unknown()),
  text: Type.Optional(Type.Unknown()),
  audio: Type.Optional(Type.Unknown()),
  record: Type.Optional(Type.Unknown()),
  /** Audio through a stateful model: frames run one after another, state carried (see the audio processor). */
  sequence: Type.Optional(Type.Unknown()),
}, closed)

export const UnscaleSchema = Type.Union([
  Type.Object({ mean: Type.Number(), std: Type.Number({ exclusiveMinimum: 0 }) }, closed),
  Type.Object({ min: Type.Number(), max: Type.Number() }, closed),
], { expected: '{ mean, std } or { min, max }' })

export const PipelineOutputSchema = Type.Object({
  /** The answer field and the output of the same name in /v2. */
  name: Name,
  kind: Type.Union(PIPELINE_OUTPUT_KINDS.map((k) => Type.Literal(k)), { expected: `one of ${PIPELINE_OUTPUT_KINDS.join(', ')}` }),
  /** The model output it reads. */
  tensor: Type.String({ minLength: 1 }),
  // classes
  activation: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('softmax'), Type.Literal('sigmoid')], { expected: 'none, softmax or sigmoid' })),
  top_k: Type.Optional(Type.Integer({ minimum: 1 })),
  threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  labels: Type.Optional(Type.String({ minLength: 1 })),
  // value
  unscale: Type.Optional(UnscaleSchema),
  // ctc, segments
  ctc: Type.Optional(Type.Unknown()),
  segments: Type.Optional(Type.Unknown()),
}, closed)

export const PipelineSchema = Type.Object({
  inputs: Type.Array(PipelineInputSchema, { minItems: 1 }),
  outputs: Type.Array(PipelineOutputSchema, { minItems: 1 }),
}, closed)

export type PipelineConfig = Static<typeof PipelineSchema>
export type PipelineInputConfig = Static<typeof PipelineInputSchema>
export type PipelineOutputConfig = Static<typeof PipelineOutputSchema>
