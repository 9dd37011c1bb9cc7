/** Assemble the context, run every check concurrently, release the engine connection. */
import type {LoadedConfig} from '../config/load.js'
import {connectStack, type StackEngine} from '../env/engine.js'
import type {Stack} from '../env/settings.js'
import {runChecks, summarize, type Check, type CheckResult, type CheckStatus} from './check.js'
import {cloudChecks} from './cloud-checks.js'
import {dbtChecks} from './dbt-checks.js'
import {envChecks, type DoctorContext} from './env-checks.js'
import {flowChecks} from './flow-checks.js'
import {lakeChecks} from './lake-checks.js'
import {sparkChecks} from './spark-checks.js'

export interface DoctorResult {
  ok: boolean
  summary: Record<CheckStatus, number>
  checks: CheckResult[]
  seconds: number
}

export const ALL_CHECKS: Array<Check<DoctorContext>> = [
  ...envChecks,
  ...cloudChecks,
  ...lakeChecks,
  ...sparkChecks,
  ...flowChecks,
  ...dbtChecks,
]

export async function runDoctor(o: {
  stack: Stack
  config: LoadedConfig
  env?: NodeJS.ProcessEnv
  timeoutMs?: number
  only?: string[]
  signal?: AbortSignal
}): Promise<DoctorResult> {
  const t0 = performance.now()
  let connecting: Promise<StackEngine> | undefined
  const timeoutMs = o.timeoutMs ?? 3000
  const ctx: DoctorContext = {
    stack: o.stack,
    config: o.config,
    env: o.env ?? process.env,
    engine: () => (connecting ??= connectStack(o.stack, {pingTimeoutMs: Math.max(500, timeoutMs - 500)})),
  }
  const checks =
    o.only && o.only.length > 0
      ? ALL_CHECKS.filter((c) => o.only!.some((p) => c.id === p || c.id.startsWith(`${p}.`)))
      : ALL_CHECKS
  try {
    const results = await runChecks(checks, ctx, {timeoutMs, signal: o.signal})
    const summary = summarize(results)
    return {ok: summary.fail === 0, summary, checks: results, seconds: Math.round(performance.now() - t0) / 1000}
  } finally {
    if (connecting) (await connecting.catch(() => undefined))?.client.close()
  }
}
