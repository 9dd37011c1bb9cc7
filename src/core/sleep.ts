import {InterruptedError} from './errors.js'

/** Wait `ms`, or stop with InterruptedError as soon as `signal` aborts (Ctrl-C). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError())
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(t)
      reject(new InterruptedError())
    }
    signal?.addEventListener('abort', onAbort, {once: true})
  })
}
