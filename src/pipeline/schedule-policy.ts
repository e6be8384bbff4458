import type { Parameters } from '../core/inference.js'
import { Errors, InferdError } from '../errors/index.js'
import type { ResolvedDynamicBatching } from '../repository/resolved-model-config.js'
import type { TimeoutAction } from '../scheduler/queued-request.js'

export interface SchedulePolicy {
  /** 1 = highest. */
  readonly priority: number
  /** µs from enqueue; 0 = none. */
  readonly timeoutUs: number
  readonly timeoutAction: TimeoutAction
}

/**
 * Triton's schedule_policy extension: request parameters `priority` (1 is the highest level,
 * 0 or absent = the model's default_priority_level) and `timeout` (µs in the queue).
 *
 * A request's `timeout` may only shorten the level's default_timeout_microseconds, and only when
 * its queue policy has allow_timeout_override (Triton: requests "can set a timeout that is less
 * than the default timeout value but may not increase the timeout"); 0 or absent means the
 * default. Where the default is 0 (no timeout), any positive `timeout` is shorter and applies:
 * Triton ignores it there, which leaves clients no way to bound their wait on such a model.
 */
export function schedulePolicy (params: Parameters | undefined, batching: ResolvedDynamicBatching): SchedulePolicy {
  const levels = Math.max(batching.priority_levels, 1)
  const askedPriority = nonNegativeInteger(params, 'priority')
  let priority = askedPriority === undefined || askedPriority === 0 ? Math.max(batching.default_priority_level, 1) : askedPriority
  if (batching.priority_levels === 0) priority = 1
  else if (priority > levels) {
    throw new InferdError(Errors.PARAMETER_INVALID, ['priority', `${priority} is beyond the model's ${levels} priority levels (1 is the highest)`])
  }
  const policy = batching.priority_queue_policy[priority] ?? batching.default_queue_policy
  const askedTimeout = nonNegativeInteger(params, 'timeout')
  const fallback = policy.default_timeout_microseconds
  const shorter = askedTimeout !== undefined && askedTimeout > 0 && (fallback === 0 || askedTimeout < fallback)
  const timeoutUs = policy.allow_timeout_override && shorter ? askedTimeout : fallback
  return { priority, timeoutUs, timeoutAction: policy.timeout_action }
}

function nonNegativeInteger (params: Parameters | undefined, key: string): number | undefined {
  const v = params?.[key]
  if (v === undefined) return undefined
  const n = typeof v === 'bigint' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new InferdError(Errors.PARAMETER_INVALID, [key, `expected a non-negative integer, got ${JSON.stringify(String(v))}`])
  }
  return n
}
