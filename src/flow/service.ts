/**
 * The `dezc flow` operations: init (the project files), up (up.ts), down, status, run (run.ts).
 * The engine is Prefect 3; a later engine (Kestra) would sit beside it behind the same results.
 */
import fs from 'node:fs/promises'
import type {WriteResult} from '../core/managed-files.js'
import {stopProcessGroup} from '../core/process.js'
import {PrefectApi} from './api.js'
import {renderProject, writeProject} from './files.js'
import {observeFlow, serverUrl} from './plan.js'
import {PREFECT_VERSION, type FlowSettings} from './settings.js'
import {notInitialized, poolOf, WORKER_NAME} from './up.js'

export {flowUp, type UpResult} from './up.js'
export {flowRun, type RunResult} from './run.js'

export interface InitResult {
  dir: string
  dryRun: boolean
  prefectVersion: string
  files: WriteResult[]
  next: string[]
}

export async function flowInit(o: {settings: FlowSettings; force: boolean; dryRun: boolean}): Promise<InitResult> {
  const {dir} = o.settings.paths
  const files = await writeProject(dir, await renderProject(o.settings.port), {force: o.force, dryRun: o.dryRun})
  return {
    dir,
    dryRun: o.dryRun,
    prefectVersion: PREFECT_VERSION,
    files,
    next: ['dezc env up', `dezc flow up --dir ${dir}`, `dezc flow run ingest --dir ${dir} --param months=2021-01`],
  }
}

export interface DownResult {
  dir: string
  stopped: Array<{name: 'worker' | 'server'; pid: number; how: 'terminated' | 'killed'}>
  /** The SQLite database and the logs stay (runs, deployments). */
  kept: string
}

export async function flowDown(o: {settings: FlowSettings}): Promise<DownResult> {
  const {paths} = o.settings
  const observed = await observeFlow(o.settings)
  const stopped: DownResult['stopped'] = []
  // The worker first, while the server can still record it going offline.
  for (const [name, d, pidFile] of [
    ['worker', observed.worker, paths.workerPid],
    ['server', observed.server, paths.serverPid],
  ] as const) {
    if (d.alive && d.pid) {
      const how = await stopProcessGroup(d.pid)
      if (how !== 'gone') stopped.push({name, pid: d.pid, how})
    }
    await fs.rm(pidFile, {force: true})
  }
  return {dir: paths.dir, stopped, kept: paths.prefectHome}
}

export interface StatusResult {
  dir: string
  initialized: boolean
  url: string
  port: number
  server: {running: boolean; pid?: number; healthy: boolean}
  worker: {running: boolean; pid?: number; online: boolean; name: string}
  pool: string
  deployments: string[]
  /** Everything is up: server healthy, worker online. */
  up: boolean
}

export async function flowStatus(o: {settings: FlowSettings}): Promise<StatusResult> {
  const observed = await observeFlow(o.settings)
  const url = serverUrl(observed.port)
  const api = new PrefectApi(url)
  let online = false
  let deployments: string[] = []
  const pool = await poolOf(o.settings.paths.dir)
  if (observed.server.healthy) {
    const [workers, deps] = await Promise.all([api.workers(pool).catch(() => []), api.deployments()])
    online = observed.worker.alive && workers.some((w) => w.name === WORKER_NAME && w.status === 'ONLINE')
    const names = await api.flowNames([...new Set(deps.map((d) => d.flow_id))])
    deployments = deps.map((d) => `${names.get(d.flow_id) ?? '?'}/${d.name}`)
  }
  if (!observed.initialized && !observed.server.alive) throw notInitialized(o.settings.paths.dir)
  return {
    dir: o.settings.paths.dir,
    initialized: observed.initialized,
    url,
    port: observed.port,
    server: {running: observed.server.alive, pid: observed.server.pid, healthy: observed.server.healthy},
    worker: {running: observed.worker.alive, pid: observed.worker.pid, online, name: WORKER_NAME},
    pool,
    deployments,
    up: observed.server.healthy && online,
  }
}
