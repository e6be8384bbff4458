import { describe, expect, it } from 'vitest'
import { canTransition, MODEL_STATES } from './model-state.js'

describe('model lifecycle', () => {
  it('allows exactly the documented transitions', () => {
    const allowed = MODEL_STATES.flatMap((from) => MODEL_STATES.filter((to) => canTransition(from, to)).map((to) => `${from}>${to}`))
    expect(allowed.sort()).toEqual([
      'LOADING>READY', 'LOADING>UNAVAILABLE', 'READY>UNLOADING',
      'UNAVAILABLE>LOADING', 'UNAVAILABLE>UNAVAILABLE', 'UNLOADING>UNAVAILABLE',
    ])
  })
})
