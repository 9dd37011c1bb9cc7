import {describe, expect, it} from 'vitest'
import {DezcError} from '../../../src/core/errors.js'
import {fail, ok, runChecks, warn, type Check} from '../../../src/doctor/check.js'
import {renderChecks} from '../../../src/doctor/render.js'
import {versionAtLeast} from '../../../src/doctor/env-checks.js'

const check = (id: string, run: Check<null>['run']): Check<null> => ({id, group: 'G', title: id, run})

describe('runChecks', () => {
  it('runs checks concurrently and keeps their order', async () => {
    let running = 0
    let maxRunning = 0
    const tracked = (outcome: ReturnType<typeof ok>) => async () => {
      maxRunning = Math.max(maxRunning, ++running)
      await new Promise((r) => setTimeout(r, 50))
      running--
      return outcome
    }
    const results = await runChecks([check('a', tracked(ok('A'))), check('b', tracked(warn('B', 'fix b')))], null, {
      timeoutMs: 5000,
    })
    expect(maxRunning).toBe(2)
    expect(results.map((r) => [r.id, r.status, r.detail])).toEqual([
      ['a', 'ok', 'A'],
      ['b', 'warn', 'B'],
    ])
  })

  it('a check that outlives its timeout fails (and is told to stop); the others still answer', async () => {
    let aborted = false
    const results = await runChecks(
      [
        check('slow', (_ctx, signal) => new Promise(() => signal.addEventListener('abort', () => (aborted = true)))),
        check('fast', async () => ok('fine')),
      ],
      null,
      {timeoutMs: 100},
    )
    expect(results[0]).toMatchObject({id: 'slow', status: 'fail', detail: 'No answer within 0.1 s.'})
    expect(results[1]).toMatchObject({id: 'fast', status: 'ok'})
    expect(aborted).toBe(true)
  })

  it("a check that throws becomes a failed result with the error's own fix", async () => {
    const [r] = await runChecks(
      [
        check('boom', async () => {
          throw new DezcError({code: 'DB_ERROR', message: 'it broke\nsecond line', suggestion: 'do this'})
        }),
      ],
      null,
      {timeoutMs: 1000},
    )
    expect(r).toMatchObject({status: 'fail', detail: 'it broke', fix: 'do this'})
  })
})

describe('renderChecks', () => {
  it('prints the fix under failures and warnings only, and a summary', () => {
    const out = renderChecks([
      {id: 'a', group: 'G', title: 'Alpha', ms: 1, ...ok('fine')},
      {id: 'b', group: 'G', title: 'Beta', ms: 1, ...fail('broken', 'repair it')},
    ])
    expect(out).toMatch(/ok {4}Alpha {2}fine/)
    expect(out).toMatch(/FAIL {2}Beta {3}broken\n.*-> repair it/)
    expect(out).toContain('1 ok, 0 warnings, 1 failed.')
  })
})

describe('versionAtLeast', () => {
  it.each([
    ['20.19.0', '20.19.0', true],
    ['v20.20.2', '20.19.0', true],
    ['20.18.9', '20.19.0', false],
    ['22.0.0', '20.19.0', true],
    ['18.20.4', '20.19.0', false],
  ])('%s >= %s is %s', (v, min, expected) => {
    expect(versionAtLeast(v, min)).toBe(expected)
  })
})
