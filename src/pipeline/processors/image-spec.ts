import { Errors } from '../../errors/codes.js'
import { InferdError } from '../../errors/inferd-error.js'

/** How the decoded picture is brought to `width` × `height`. */
export type ImageResize = 'stretch' | 'cover' | 'contain' | 'shortest_edge'

/**
 * Declarative image pre-processing, as it appears in a model's config.yaml (snake_case, like the
 * rest of the Triton-style config). Every field but `width` and `height` has a default that
 * leaves pixels untouched, so a spec only states what the model actually needs.
 */
export interface ImageSpec {
  readonly width: number
  readonly height: number
  /**
   * `stretch` (default) ignores the aspect ratio; `cover` fills and crops the overflow;
   * `contain` letterboxes with `background`; `shortest_edge` scales the shorter side to
   * `shortest_edge` pixels and then crops the centre (the ImageNet "resize 256, crop 224" recipe).
   */
  readonly resize?: ImageResize
  /** Only with `resize: shortest_edge`; the only crop there is, stated for readability. */
  readonly crop?: 'center'
  /** Target of the shorter side for `resize: shortest_edge`; defaults to max(width, height). */
  readonly shortest_edge?: number
  /** Letterbox fill for `resize: contain`, 0–255 on every channel (YOLO uses 114). Default 0. */
  readonly background?: number
  /** Order of the colour planes the model expects. Default RGB. */
  readonly channel_order?: 'RGB' | 'BGR'
  /** Default NCHW, as most exported vision models are. */
  readonly layout?: 'NCHW' | 'NHWC'
  /** Multiplies each 0–255 value first (1/255 maps to 0–1). Default 1. */
  readonly scale?: number
  /** Subtracted after `scale`, one per output channel, in `channel_order`. Default 0. */
  readonly mean?: readonly number[]
  /** Divides after `mean`, one per output channel, in `channel_order`. Default 1. */
  readonly std?: readonly number[]
  /** One luminance channel instead of three. */
  readonly grayscale?: boolean
}

const RESIZES: readonly string[] = ['stretch', 'cover', 'contain', 'shortest_edge']
const KEYS: ReadonlySet<string> = new Set(['width', 'height', 'resize', 'crop', 'shortest_edge', 'background',
  'channel_order', 'layout', 'scale', 'mean', 'std', 'grayscale'])

/**
 * Checks an untrusted value (parsed from config.yaml) against {@link ImageSpec}, so that a bad
 * spec fails when the model loads rather than on its first request.
 *
 * @throws InferdError MODEL_CONFIG_INVALID naming the field and what is wrong with it.
 */
export function validateImageSpec (value: unknown, model: string): ImageSpec {
  const fail = (what: string): never => { throw new InferdError(Errors.MODEL_CONFIG_INVALID, [model, `image preprocessing: ${what}`]) }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('must be a mapping')
  const v = value as Record<string, unknown>
  for (const key of Object.keys(v)) if (!KEYS.has(key)) fail(`unknown field '${key}'`)
  const positiveInt = (key: string, required: boolean): void => {
    const n = v[key]
    if (n === undefined && !required) return
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) fail(`'${key}' must be a positive integer`)
  }
  positiveInt('width', true)
  positiveInt('height', true)
  positiveInt('shortest_edge', false)
  const oneOf = (key: string, allowed: readonly string[]): void => {
    if (v[key] !== undefined && !allowed.includes(v[key] as string)) fail(`'${key}' must be one of ${allowed.join(', ')}`)
  }
  oneOf('resize', RESIZES)
  oneOf('crop', ['center'])
  oneOf('channel_order', ['RGB', 'BGR'])
  oneOf('layout', ['NCHW', 'NHWC'])
  const resize = v.resize ?? 'stretch'
  // Fields that only mean something for one resize mode are rejected elsewhere: a config that
  // sets them most likely expects a behaviour it is not getting.
  if (resize !== 'shortest_edge' && (v.crop !== undefined || v.shortest_edge !== undefined)) fail(`'crop' and 'shortest_edge' need resize: shortest_edge`)
  if (resize !== 'contain' && v.background !== undefined) fail(`'background' needs resize: contain`)
  if (resize === 'shortest_edge' && typeof v.shortest_edge === 'number' && v.shortest_edge < Math.max(v.width as number, v.height as number)) {
    fail(`'shortest_edge' (${v.shortest_edge}) must be at least max(width, height), or the centre crop would not fit`)
  }
  if (v.background !== undefined && (typeof v.background !== 'number' || !Number.isInteger(v.background) || v.background < 0 || v.background > 255)) {
    fail(`'background' must be an integer 0–255`)
  }
  if (v.scale !== undefined && (typeof v.scale !== 'number' || !Number.isFinite(v.scale))) fail(`'scale' must be a finite number`)
  if (v.grayscale !== undefined && typeof v.grayscale !== 'boolean') fail(`'grayscale' must be true or false`)
  const channels = v.grayscale === true ? 1 : 3
  for (const key of ['mean', 'std']) {
    const list = v[key]
    if (list === undefined) continue
    if (!Array.isArray(list) || list.length !== channels || !list.every((n) => typeof n === 'number' && Number.isFinite(n))) {
      fail(`'${key}' must be a list of ${channels} finite numbers (one per channel)`)
    }
    if (key === 'std' && (list as number[]).some((n) => n === 0)) fail(`'std' must not contain 0`)
  }
  return v as unknown as ImageSpec
}
