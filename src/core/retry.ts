/**
 * The one retry with backoff and jitter for API calls (Google's APIs, Prefect's REST API); `scale`
 * shrinks every delay in tests (DEZC_GCP_TIME_SCALE). Stops at once when the signal aborts.
 * Downloads have their own resume-aware loop in download.ts.
 */
import {sleep} from './sleep.js'

export {sleep}

export interface RetryOptions {
  /** Which failures are worth another try. */
  retryOn: (err: unknown) => boolean
  /** First delay (ms, before scaling). */
  initialMs?: number
  factor?: number
  maxDelayMs?: number
  /** Give up once this much time (ms, before scaling) has passed... */
  totalMs?: number
  /** ...but never before this many attempts (default 3): a slow network must not use up the budget in one try. */
  minAttempts?: number
  scale?: number
  signal?: AbortSignal
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const scale = o.scale ?? 1
  const start = Date.now()
  let delay = (o.initialMs ?? 1000) * scale
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (error) {
      if (!o.retryOn(error)) throw error
      const elapsed = Date.now() - start
      if (attempt >= (o.minAttempts ?? 3) && elapsed + delay > (o.totalMs ?? 120_000) * scale) throw error
      const wait = delay * (0.8 + Math.random() * 0.4)
      o.onRetry?.(error, attempt, wait)
      await sleep(wait, o.signal)
      delay = Math.min(delay * (o.factor ?? 2), (o.maxDelayMs ?? 10_000) * scale)
    }
  }
}
