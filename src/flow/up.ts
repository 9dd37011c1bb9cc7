/**
 * `dezc flow up`: the project's Prefect server (loopback, SQLite in .dezc/prefect), its work pool,
 * the deployments of prefect.yaml and a worker, as background processes with pid files and logs in
 * .dezc/. Idempotent: what runs is reused; the deployment is re-applied only when the project changed.
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import {DezcError, ExitCode} from '../core/errors.js'
import {atomicWrite} from '../core/managed-files.js'
import {processAlive, startDetached} from '../core/process.js'
import type {Ui} from '../core/ui.js'
import {PrefectApi} from './api.js'
import {FLOW_FILE, PREFECT_YAML} from './files.js'
import {observeFlow, planUp, prefectBin, readState, serverUrl, type FlowState, type UpPlan} from './plan.js'
import {installPrefect, lastLines, prefectEnv, runPrefect} from './prefect.js'
import {WORK_POOL, type FlowSettings} from './settings.js'

export interface UpOptions {
  settings: FlowSettings
  dryRun: boolean
  ui: Ui
  signal?: AbortSignal
  /** How long to wait for the server's health and the worker's registration (default 180 s). */
  timeoutMs?: number
}

export interface UpResult {
  dir: string
  dryRun: boolean
  plan: UpPlan
  url: string
  apiUrl: string
  port: number
  pool: string
  prefectInstalled: boolean
  server?: {pid: number; started: boolean; log: string}
  worker?: {pid: number; started: boolean; name: string; log: string}
  deployed: boolean
  deployments: string[]
}

export const WORKER_NAME = 'dezc-worker'

export function notInitialized(dir: string): DezcError {
  return new DezcError({
    code: 'FLOW_NOT_INITIALIZED',
    message: `${dir} has no ${PREFECT_YAML}: it is not a flow project.`,
    suggestion: `Create one with: dezc flow init --dir ${dir}`,
    exit: ExitCode.PREREQUISITE,
  })
}

/** The work pool of prefect.yaml's first deployment (the one dezc's worker serves). */
export async function poolOf(dir: string): Promise<string> {
  const {parse} = await import('yaml')
  try {
    const doc = parse(await fs.readFile(path.join(dir, PREFECT_YAML), 'utf8')) as {
      deployments?: Array<{work_pool?: {name?: string}}>
    }
    return doc?.deployments?.find((d) => d?.work_pool?.name)?.work_pool?.name ?? WORK_POOL
  } catch {
    return WORK_POOL
  }
}

/** What a deploy depends on: the project's path, prefect.yaml and the flows/ files. */
async function projectHash(dir: string): Promise<string> {
  const h = createHash('sha256').update(dir)
  const flows = path.join(dir, path.dirname(FLOW_FILE))
  const names = (await fs.readdir(flows).catch(() => [] as string[])).filter((n) => n.endsWith('.py')).sort()
  for (const f of [path.join(dir, PREFECT_YAML), ...names.map((n) => path.join(flows, n))])
    h.update(f).update(await fs.readFile(f).catch(() => Buffer.alloc(0)))
  return h.digest('hex')
}

async function waitFor(
  what: string,
  ready: () => Promise<boolean>,
  o: {
    pid: number
    log: string
    code: 'FLOW_SERVER_FAILED' | 'FLOW_WORKER_FAILED'
    timeoutMs: number
    signal?: AbortSignal
  },
): Promise<void> {
  const until = Date.now() + o.timeoutMs
  for (;;) {
    if (await ready()) return
    const alive = await processAlive(o.pid)
    if (!alive || Date.now() > until || o.signal?.aborted) {
      const log = lastLines(await fs.readFile(o.log, 'utf8').catch(() => ''), 25)
      throw new DezcError({
        code: o.code,
        message: `${what} ${alive ? `did not become ready within ${Math.round(o.timeoutMs / 1000)} s` : 'exited'}. Last lines of ${o.log}:\n${log}`,
        suggestion: 'Fix what the log says, then run dezc flow up again (dezc flow down stops what is left).',
        exit: ExitCode.UNHEALTHY,
      })
    }
    await new Promise((r) => setTimeout(r, 500))
  }
}

export async function flowUp(o: UpOptions): Promise<UpResult> {
  const {settings, ui} = o
  const {paths} = settings
  const observed = await observeFlow(settings)
  if (!observed.initialized) throw notInitialized(paths.dir)
  const plan = planUp(settings, observed)
  const port = observed.server.alive && observed.state ? observed.state.port : plan.port
  const url = serverUrl(port)
  const pool = await poolOf(paths.dir)
  const base = {dir: paths.dir, plan, url, apiUrl: `${url}/api`, port, pool}
  if (o.dryRun)
    return {...base, dryRun: true, prefectInstalled: observed.prefectInstalled, deployed: false, deployments: []}

  const timeoutMs = o.timeoutMs ?? 180_000
  await fs.mkdir(paths.prefectHome, {recursive: true})
  if (plan.installPrefect) await installPrefect(settings, ui.reporter, o.signal)
  const env = prefectEnv(settings, port)
  const api = new PrefectApi(url)
  let state: FlowState = (await readState(paths)) ?? {port}

  // The server.
  let serverPid = observed.server.pid
  const serverStarted = plan.server === 'start'
  if (serverStarted) {
    if (observed.portTaken)
      throw new DezcError({
        code: 'FLOW_PORT_IN_USE',
        message: `Port ${port} on 127.0.0.1 is held by another program, so the Prefect server cannot listen there.`,
        suggestion: [
          `Choose another port: dezc flow up --port ${port + 1}`,
          `See what holds it: ss -ltnp 'sport = :${port}'`,
        ],
        exit: ExitCode.PREREQUISITE,
        details: {port},
      })
    ui.reporter.info(`Starting the Prefect server on ${url} (log ${paths.serverLog})...`)
    serverPid = await startDetached(
      prefectBin(settings.venv),
      ['server', 'start', '--host', '127.0.0.1', '--port', String(port)],
      {cwd: paths.dir, env, logFile: paths.serverLog},
    )
    await fs.writeFile(paths.serverPid, `${serverPid}\n`)
    state = {port}
    await atomicWrite(paths.stateFile, JSON.stringify(state, null, 2) + '\n')
  }
  await waitFor('The Prefect server', () => api.healthy(), {
    pid: serverPid!,
    log: paths.serverLog,
    code: 'FLOW_SERVER_FAILED',
    timeoutMs,
    signal: o.signal,
  })

  // The work pool and the deployments.
  if (!(await api.workPool(pool))) {
    ui.reporter.info(`Creating the work pool ${pool} (type process)...`)
    await runPrefect(settings, port, ['work-pool', 'create', pool, '--type', 'process'], o.signal)
  }
  const hash = await projectHash(paths.dir)
  let deployments = await api.deployments()
  const deployed = hash !== state.deployedHash || deployments.length === 0
  if (deployed) {
    ui.reporter.info(`Deploying ${path.join(paths.dir, PREFECT_YAML)} (prefect deploy --all)...`)
    await runPrefect(settings, port, ['--no-prompt', 'deploy', '--all'], o.signal)
    state = {...state, deployedHash: hash}
    await atomicWrite(paths.stateFile, JSON.stringify(state, null, 2) + '\n')
    deployments = await api.deployments()
  }
  const flowNames = await api.flowNames([...new Set(deployments.map((d) => d.flow_id))])

  // The worker.
  let workerPid = observed.worker.pid
  const workerStarted = plan.worker === 'start'
  const since = Date.now() - 1000
  if (workerStarted) {
    ui.reporter.info(`Starting a worker for the pool ${pool} (log ${paths.workerLog})...`)
    workerPid = await startDetached(
      prefectBin(settings.venv),
      ['worker', 'start', '--pool', pool, '--name', WORKER_NAME, '--type', 'process'],
      {cwd: paths.dir, env, logFile: paths.workerLog},
    )
    await fs.writeFile(paths.workerPid, `${workerPid}\n`)
    await atomicWrite(paths.stateFile, JSON.stringify({...state, workerName: WORKER_NAME}, null, 2) + '\n')
  }
  await waitFor(
    'The Prefect worker',
    async () =>
      (await api.workers(pool)).some(
        (w) =>
          w.name === WORKER_NAME &&
          w.status === 'ONLINE' &&
          (!workerStarted || Date.parse(w.last_heartbeat_time ?? '') >= since),
      ),
    {pid: workerPid!, log: paths.workerLog, code: 'FLOW_WORKER_FAILED', timeoutMs, signal: o.signal},
  )
  return {
    ...base,
    dryRun: false,
    prefectInstalled: plan.installPrefect,
    server: {pid: serverPid!, started: serverStarted, log: paths.serverLog},
    worker: {pid: workerPid!, started: workerStarted, name: WORKER_NAME, log: paths.workerLog},
    deployed,
    deployments: deployments.map((d) => `${flowNames.get(d.flow_id) ?? '?'}/${d.name}`),
  }
}
