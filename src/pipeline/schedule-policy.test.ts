import { describe, expect, it } from 'vitest'
import type { Parameters } from '../core/inference.js'
import { Errors } from '../errors/index.js'
import type { ResolvedDynamicBatching, ResolvedQueuePolicy } from '../repository/resolved-model-config.js'
import { DEFAULT_DYNAMIC_BATCHING } from '../scheduler/scheduler-registry.js'
import { catchInferdError } from '../../test/helpers/catch-inferd-error.js'
import { schedulePolicy } from './schedule-policy.js'

const policy = (o: Partial<ResolvedQueuePolicy> = {}): ResolvedQueuePolicy => ({
  timeout_action: 'REJECT', default_timeout_microseconds: 0, allow_timeout_override: true, max_queue_size: 0, ...o,
})

/** Two levels, default 2; level 1 rejects after 5 ms and lets requests shorten that; level 2 delays, fixed 20 ms. */
const TWO_LEVELS: ResolvedDynamicBatching = {
  ...DEFAULT_DYNAMIC_BATCHING,
  priority_levels: 2,
  default_priority_level: 2,
  default_queue_policy: policy(),
  priority_queue_policy: {
    1: policy({ default_timeout_microseconds: 5000 }),
    2: policy({ timeout_action: 'DELAY', default_timeout_microseconds: 20000, allow_timeout_override: false }),
  },
}

const of = (params: Parameters | undefined, batching = TWO_LEVELS) => schedulePolicy(params, batching)

describe('schedulePolicy: priority', () => {
  it('takes the default level when the request names none, or names 0', () => {
    expect(of(undefined).priority).toBe(2)
    expect(of({}).priority).toBe(2)
    expect(of({ priority: 0 }).priority).toBe(2)
  })

  it('takes the level the request asks for, 1 being the highest', () => {
    expect(of({ priority: 1 }).priority).toBe(1)
    expect(of({ priority: 2 }).priority).toBe(2)
    expect(of({ priority: 2n }).priority).toBe(2) // exact big integers arrive as bigint
  })

  it('refuses a level beyond priority_levels, and anything not a non-negative integer', () => {
    const e = catchInferdError(() => of({ priority: 3 }))
    expect(e.code).toBe(Errors.PARAMETER_INVALID.code)
    expect(e.message).toMatch(/priority.*3 is beyond the model's 2 priority levels/)
    for (const bad of [-1, 1.5, '1', true]) {
      expect(catchInferdError(() => of({ priority: bad })).code).toBe(Errors.PARAMETER_INVALID.code)
    }
  })

  it('puts everyone on level 1 of a model without priority levels, whatever they ask', () => {
    expect(of({ priority: 7 }, DEFAULT_DYNAMIC_BATCHING).priority).toBe(1)
    expect(of(undefined, DEFAULT_DYNAMIC_BATCHING)).toEqual({ priority: 1, timeoutUs: 0, timeoutAction: 'REJECT' })
  })
})

describe('schedulePolicy: timeout', () => {
  it('applies the level\'s own queue policy: its default timeout and its action', () => {
    expect(of({ priority: 1 })).toEqual({ priority: 1, timeoutUs: 5000, timeoutAction: 'REJECT' })
    expect(of({ priority: 2 })).toEqual({ priority: 2, timeoutUs: 20000, timeoutAction: 'DELAY' })
  })

  it('lets a request shorten the default timeout where allow_timeout_override is set', () => {
    expect(of({ priority: 1, timeout: 1000 }).timeoutUs).toBe(1000)
  })

  it('never lets a request lengthen the default timeout, or lift it with 0 (Triton: "may not increase the timeout")', () => {
    expect(of({ priority: 1, timeout: 9000 }).timeoutUs).toBe(5000)
    expect(of({ priority: 1, timeout: 0 }).timeoutUs).toBe(5000)
  })

  it('ignores the request\'s timeout where the level does not allow overriding', () => {
    expect(of({ priority: 2, timeout: 1000 }).timeoutUs).toBe(20000)
  })

  it('honours any positive timeout where the default is no timeout', () => {
    expect(of({ timeout: 250 }, DEFAULT_DYNAMIC_BATCHING).timeoutUs).toBe(250)
    expect(of({ timeout: 0 }, DEFAULT_DYNAMIC_BATCHING).timeoutUs).toBe(0)
  })

  it('refuses a timeout that is not a non-negative integer', () => {
    for (const bad of [-5, 0.5, 'soon']) {
      expect(catchInferdError(() => of({ timeout: bad })).code).toBe(Errors.PARAMETER_INVALID.code)
    }
  })
})
