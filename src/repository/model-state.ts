/**
 * Lifecycle states of a model version, named as Triton's repository index reports them.
 *
 * Transitions (anything else is a bug, checked by {@link canTransition}):
 *
 * ```
 *   UNAVAILABLE ──load──▶ LOADING ──ok──▶ READY ──unload/close──▶ UNLOADING ──▶ UNAVAILABLE
 *        ▲                   │                                                  ('unloaded')
 *        └────── failure ────┘  (reason: the error; also 'repository closed' when close() wins)
 *   UNAVAILABLE ──▶ UNAVAILABLE   (a new reason: a later attempt failed differently)
 * ```
 *
 * A version first appears as LOADING (or UNAVAILABLE when it cannot even be tried, e.g. a
 * `specific` policy naming a folder that does not exist). A reload of a READY version opens the
 * new one beside it and swaps, so READY never goes back to LOADING in place.
 */
export const MODEL_STATES = ['READY', 'LOADING', 'UNLOADING', 'UNAVAILABLE'] as const

export type ModelState = (typeof MODEL_STATES)[number]

/** The states each state may move to. */
export const STATE_TRANSITIONS: Readonly<Record<ModelState, readonly ModelState[]>> = Object.freeze({
  UNAVAILABLE: Object.freeze(['LOADING', 'UNAVAILABLE'] as const),
  LOADING: Object.freeze(['READY', 'UNAVAILABLE'] as const),
  READY: Object.freeze(['UNLOADING'] as const),
  UNLOADING: Object.freeze(['UNAVAILABLE'] as const),
})

/** Whether `from → to` is a transition the lifecycle allows. */
export function canTransition (from: ModelState, to: ModelState): boolean {
  return STATE_TRANSITIONS[from].includes(to)
}

/** Reasons reported with UNAVAILABLE, in Triton's wording where Triton has one. */
export const REASONS = Object.freeze({
  /** Found in the repository, never loaded. */
  NOT_LOADED: 'not loaded',
  /** Unloaded on request or at close. */
  UNLOADED: 'unloaded',
  /** close() happened while the version was loading. */
  CLOSED: 'repository closed',
})

/**
 * Whether an index row lets a strictly-ready server report ready (Triton's strict readiness):
 * READY, or deliberately not loaded: never loaded (explicit mode loads only what it is asked to)
 * or unloaded on request. A version LOADING or UNAVAILABLE for a failure is not.
 */
export function countsAsReady (row: { readonly state: ModelState; readonly reason: string }): boolean {
  return row.state === 'READY' || (row.state === 'UNAVAILABLE' && (row.reason === REASONS.NOT_LOADED || row.reason === REASONS.UNLOADED))
}

/** A change of state, as the repository's `'state'` event carries it. */
export interface ModelStateChange {
  readonly name: string
  /** The version; absent when the change concerns the model as a whole (its config failed). */
  readonly version?: string
  readonly state: ModelState
  /** Why the model is in this state ('' when READY or LOADING). */
  readonly reason: string
}
