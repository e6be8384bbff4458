import type { DataType } from '../core/dtype.js'
import type { Tensor } from '../core/tensor.js'

/**
 * One input of a pipeline: turns what a client sent for one field into model input tensors.
 *
 * An *item* is one unit of work: one image, one text, one WAV file, one record. A friendly
 * request's field holds one item or a list of them (`fromJson`); in /v2 each element of the BYTES
 * input of the same name is one item (`fromBytes`). `encode` turns the items of a batch into the
 * model's tensors with a leading dimension of that many items.
 */
export interface InputStage {
  readonly name: string
  readonly kind: string
  /** Model inputs this stage fills. */
  readonly tensors: readonly string[]
  /** How one item is written in a friendly request, for the model's metadata. */
  readonly describe: string
  /**
   * A friendly request field's value → its items. `listed` says whether the client sent a list
   * (the answer then holds lists too).
   *
   * @throws InferdError TENSOR_DATA_INVALID when the value is not of the expected form.
   */
  fromJson (value: unknown): { items: unknown[]; listed: boolean }
  /** One element of the /v2 BYTES input → one item. */
  fromBytes (element: Uint8Array): unknown
  /** Items → model input tensors, leading dimension = items.length. */
  encode (items: readonly unknown[]): Promise<Tensor[]>
}

/** Numbers an input stage learnt about one item that an output stage needs (audio: `seconds`, `hopSeconds`). */
export type ItemFacts = Readonly<Record<string, number>>

/**
 * One output of a pipeline: turns model output tensors into one field of the answer, per item,
 * and (for /v2) into one tensor. Outputs always arrive with a leading dimension of items: for a
 * model that does not batch, the pipeline runs one item at a time and adds that dimension.
 */
export interface OutputStage {
  readonly name: string
  readonly kind: string
  /** Model outputs this stage reads. */
  readonly tensors: readonly string[]
  /** The /v2 face: datatype and per-item dims of the tensor `toTensor` makes. */
  readonly datatype: DataType
  readonly dims: readonly number[]
  /** How the field reads in an answer, for the model's metadata. */
  readonly describe: string
  /**
   * Model outputs for `n` items (leading dimension n) → one JSON value per item. `facts` are what
   * the input side learnt about a lone item (an audio file's duration and frame hop).
   */
  decode (outputs: ReadonlyMap<string, Tensor>, n: number, facts?: ItemFacts): unknown[]
  /** Model outputs for `n` items → the /v2 output tensor `[n, ...dims]`, named like the stage. */
  toTensor (outputs: ReadonlyMap<string, Tensor>, n: number, facts?: ItemFacts): Tensor
}
