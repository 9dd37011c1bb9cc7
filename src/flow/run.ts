/**
 * `dezc flow run <deployment> --param k=v`: a flow run created through Prefect's REST API
 * (`POST /api/deployments/{id}/create_flow_run`), followed until it is final, with task progress;
 * a run that ends other than Completed shows its logs (`/api/logs/filter`) and fails.
 */
import {DezcError, ExitCode, usageError} from '../core/errors.js'
import type {Ui} from '../core/ui.js'
import {levelName, PrefectApi, type Deployment, type LogEntry, type TaskRun} from './api.js'
import {projectPort, readState, serverUrl} from './plan.js'
import type {FlowSettings} from './settings.js'

export interface RunOptions {
  settings: FlowSettings
  deployment: string
  params: string[]
  timeoutMs: number
  ui: Ui
  signal?: AbortSignal
  pollMs?: number
}

export interface RunResult {
  runId: string
  name: string
  deployment: string
  parameters: Record<string, unknown>
  state: string
  stateName: string
  seconds: number
  url: string
  taskRuns: Array<{name: string; state: string; runCount: number}>
}

const FINAL = new Set(['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED'])

type Schema = NonNullable<Deployment['parameter_openapi_schema']>

function typesOf(prop: {type?: string; anyOf?: Array<{type?: string}>} | undefined): Set<string> {
  return new Set([prop?.type, ...(prop?.anyOf ?? []).map((t) => t.type)].filter((t): t is string => Boolean(t)))
}

/** `name=value` pairs → parameters, typed by the deployment's schema (lists split on commas; JSON accepted). */
export function parseParams(pairs: string[], schema?: Schema): Record<string, unknown> {
  const props = schema?.properties ?? {}
  const out: Record<string, unknown> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0)
      throw usageError('INVALID_PARAMETER', `--param "${pair}" is not name=value.`, 'e.g. --param months=2021-01')
    const name = pair.slice(0, eq)
    const raw = pair.slice(eq + 1)
    if (schema && !(name in props))
      throw usageError(
        'INVALID_PARAMETER',
        `The deployment has no parameter "${name}".`,
        `Its parameters: ${Object.keys(props).join(', ') || '(none)'}`,
      )
    const types = typesOf(props[name])
    let value: unknown = raw
    if (/^\s*[[{]/.test(raw) || (types.has('null') && raw === 'null')) {
      try {
        value = JSON.parse(raw)
      } catch {
        throw usageError('INVALID_PARAMETER', `--param ${name}: "${raw}" is not valid JSON.`)
      }
    } else if (types.has('array'))
      value = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    else if (types.has('integer') || types.has('number')) value = Number(raw)
    else if (types.has('boolean')) value = raw === 'true'
    if (name in out && Array.isArray(out[name]) && Array.isArray(value)) value = [...(out[name] as unknown[]), ...value]
    out[name] = value
  }
  return out
}

async function findDeployment(api: PrefectApi, wanted: string): Promise<{deployment: Deployment; fullName: string}> {
  const deployments = await api.deployments()
  const names = await api.flowNames([...new Set(deployments.map((d) => d.flow_id))])
  const full = deployments.map((d) => ({deployment: d, fullName: `${names.get(d.flow_id) ?? '?'}/${d.name}`}))
  const hits = full.filter((d) => (wanted.includes('/') ? d.fullName === wanted : d.deployment.name === wanted))
  if (hits.length === 1) return hits[0]
  throw new DezcError({
    code: hits.length ? 'INVALID_PARAMETER' : 'UNKNOWN_DEPLOYMENT',
    message: hits.length
      ? `"${wanted}" names ${hits.length} deployments (${hits.map((h) => h.fullName).join(', ')}).`
      : `No deployment "${wanted}" on the Prefect server.`,
    suggestion: full.length
      ? `Deployments: ${full.map((d) => d.fullName).join(', ')}`
      : 'The server has none: run dezc flow up in the project directory.',
    exit: ExitCode.USAGE,
  })
}

export function formatLogs(logs: LogEntry[], tasks: Map<string, string>): string[] {
  return logs.map((l) => {
    const where = l.task_run_id ? (tasks.get(l.task_run_id) ?? 'task') : 'flow'
    return `${l.timestamp.slice(11, 19)} ${levelName(l.level).padEnd(7)} ${where}: ${l.message}`
  })
}

export async function flowRun(o: RunOptions): Promise<RunResult> {
  const {settings, ui} = o
  const url = serverUrl(projectPort(settings, await readState(settings.paths)))
  const api = new PrefectApi(url)
  if (!(await api.healthy()))
    throw new DezcError({
      code: 'FLOW_SERVER_DOWN',
      message: `No Prefect server answers at ${url} for ${settings.paths.dir}.`,
      suggestion: `Start it with: dezc flow up --dir ${settings.paths.dir}`,
      exit: ExitCode.UNHEALTHY,
    })
  const {deployment, fullName} = await findDeployment(api, o.deployment)
  const parameters = parseParams(o.params, deployment.parameter_openapi_schema)
  const created = await api.createFlowRun(deployment.id, parameters)
  const runUrl = `${url}/runs/flow-run/${created.id}`
  ui.reporter.info(`Flow run ${created.name} (${created.id}) of ${fullName}: ${runUrl}`)
  const started = Date.now()
  const seen = new Map<string, string>()
  let last = ''
  let warned = false
  let run = created
  let tasks: TaskRun[] = []
  for (;;) {
    run = await api.flowRun(created.id)
    const state = run.state_type ?? run.state?.type ?? 'UNKNOWN'
    const stateName = run.state_name ?? run.state?.name ?? state
    if (stateName !== last) ui.reporter.info(`  ${stateName}${run.state?.message ? `: ${run.state.message}` : ''}`)
    last = stateName
    tasks = await api.taskRuns(created.id)
    for (const t of tasks) {
      const s = `${t.state_name ?? t.state_type}${(t.run_count ?? 0) > 1 ? ` (attempt ${t.run_count})` : ''}`
      if (seen.get(t.id) !== s) ui.reporter.info(`    ${t.name}: ${s}`)
      seen.set(t.id, s)
    }
    if (FINAL.has(state)) break
    const elapsed = Date.now() - started
    if (!warned && state === 'SCHEDULED' && elapsed > 30_000) {
      warned = true
      ui.reporter.warn(`No worker has picked the run up after 30 s: is the worker running? (dezc flow status)`)
    }
    if (o.signal?.aborted)
      throw new DezcError({
        code: 'INTERRUPTED',
        message: `Stopped following ${runUrl}; the run goes on.`,
        exit: ExitCode.INTERRUPTED,
      })
    if (elapsed > o.timeoutMs)
      throw new DezcError({
        code: 'FLOW_RUN_TIMEOUT',
        message: `The flow run ${run.name} is still ${stateName} after ${Math.round(o.timeoutMs / 1000)} s; it keeps running.`,
        suggestion: `Follow it at ${runUrl}, or wait longer with --timeout.`,
        details: {runId: created.id, state, stateName},
      })
    await new Promise((r) => setTimeout(r, o.pollMs ?? 1000))
  }
  const result: RunResult = {
    runId: created.id,
    name: created.name,
    deployment: fullName,
    parameters,
    state: run.state_type ?? 'UNKNOWN',
    stateName: run.state_name ?? '',
    seconds: Math.round((Date.now() - started) / 100) / 10,
    url: runUrl,
    taskRuns: tasks.map((t) => ({name: t.name, state: t.state_type ?? '', runCount: t.run_count ?? 0})),
  }
  if (result.state === 'COMPLETED') return result
  // Logs reach the server in batches: wait (a little) for the run's last one.
  let entries = await api.logs(created.id)
  for (let i = 0; i < 8 && !entries.some((l) => !l.task_run_id && /^Finished in state/.test(l.message)); i++) {
    await new Promise((r) => setTimeout(r, 750))
    entries = await api.logs(created.id)
  }
  const logs = formatLogs(entries, new Map(tasks.map((t) => [t.id, t.name])))
  for (const line of logs) ui.reporter.info(`  | ${line}`)
  throw new DezcError({
    code: 'FLOW_RUN_FAILED',
    message: `The flow run ${run.name} ended ${result.stateName}${run.state?.message ? `: ${run.state.message.replace(/\.$/, '')}` : ''}.`,
    suggestion: [`Its logs are above (and at ${runUrl}).`],
    details: {...result, logs},
  })
}
