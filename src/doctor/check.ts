/**
 * `dezc doctor`: independent checks, run concurrently, each bounded by a timeout, each answering
 * ok / warn / fail with the fix in one line. Checks never throw: a failure to check is itself a
 * result (usually `fail` with what could not be read and why).
 */
import {setMaxListeners} from 'node:events'
import {toDezcError} from '../core/errors.js'

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip'

export interface CheckOutcome {
  status: CheckStatus
  /** What was found, in one line (never a secret). */
  detail: string
  /** What to do about it, in one line; absent when status is ok. */
  fix?: string
}

export interface CheckResult extends CheckOutcome {
  id: string
  group: string
  title: string
  ms: number
}

export interface Check<C> {
  id: string
  group: string
  title: string
  /** Checks may share expensive work (an engine connection) through the context. */
  run(ctx: C, signal: AbortSignal): Promise<CheckOutcome>
}

export const ok = (detail: string): CheckOutcome => ({status: 'ok', detail})
export const warn = (detail: string, fix: string): CheckOutcome => ({status: 'warn', detail, fix})
export const fail = (detail: string, fix: string): CheckOutcome => ({status: 'fail', detail, fix})
export const skip = (detail: string): CheckOutcome => ({status: 'skip', detail})

/** A thrown error as a failed check: our typed errors already carry the message and the fix. */
export function failFromError(error: unknown, fallbackFix: string): CheckOutcome {
  const e = toDezcError(error)
  return fail(e.message.split('\n')[0], e.suggestions[0] ?? fallbackFix)
}

/** Run every check at once; a check that outlives its timeout reports that instead of its answer. */
export async function runChecks<C>(
  checks: Array<Check<C>>,
  ctx: C,
  options: {timeoutMs: number; signal?: AbortSignal},
): Promise<CheckResult[]> {
  // One abort listener per check is expected, not a leak.
  if (options.signal) setMaxListeners(checks.length + 10, options.signal)
  return Promise.all(
    checks.map(async (check) => {
      const t0 = performance.now()
      const controller = new AbortController()
      const onAbort = () => controller.abort()
      options.signal?.addEventListener('abort', onAbort, {once: true})
      let timer: NodeJS.Timeout | undefined
      const timedOut = new Promise<CheckOutcome>((resolve) => {
        timer = setTimeout(() => {
          controller.abort()
          resolve(
            fail(
              `No answer within ${options.timeoutMs / 1000} s.`,
              'Something is slow or hanging here; run the matching command with --verbose to see where.',
            ),
          )
        }, options.timeoutMs)
      })
      let outcome: CheckOutcome
      try {
        outcome = await Promise.race([check.run(ctx, controller.signal), timedOut])
      } catch (error) {
        outcome = failFromError(error, 'Run the matching command with --verbose for details.')
      } finally {
        clearTimeout(timer)
        options.signal?.removeEventListener('abort', onAbort)
      }
      return {id: check.id, group: check.group, title: check.title, ...outcome, ms: Math.round(performance.now() - t0)}
    }),
  )
}

export function summarize(results: CheckResult[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = {ok: 0, warn: 0, fail: 0, skip: 0}
  for (const r of results) counts[r.status]++
  return counts
}
