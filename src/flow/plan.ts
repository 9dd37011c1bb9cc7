/**
 * What `dezc flow up` finds (read-only: pid files, the server's health, the port, the venv) and
 * the pure decision of what to start, with the same by hand.
 */
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import {processAlive} from '../core/process.js'
import {shellQuote} from '../core/shell.js'
import {PrefectApi} from './api.js'
import {PREFECT_YAML} from './files.js'
import {DEFAULT_PORT, PREFECT_VERSION, WORK_POOL, type FlowPaths, type FlowSettings} from './settings.js'

export interface FlowState {
  port: number
  /** SHA-256 of prefect.yaml + flows/ + the project path at the last successful deploy. */
  deployedHash?: string
  workerName?: string
}

export interface DaemonObservation {
  pid?: number
  alive: boolean
}

export interface FlowObservation {
  initialized: boolean
  prefectInstalled: boolean
  port: number
  server: DaemonObservation & {healthy: boolean}
  worker: DaemonObservation
  /** Something else listens on the port (only looked at when our server does not run). */
  portTaken: boolean
  state?: FlowState
}

export interface UpPlan {
  installPrefect: boolean
  server: 'start' | 'running'
  worker: 'start' | 'running'
  port: number
  url: string
  manual: string[]
}

export async function readState(paths: FlowPaths): Promise<FlowState | undefined> {
  try {
    return JSON.parse(await fs.readFile(paths.stateFile, 'utf8')) as FlowState
  } catch {
    return undefined
  }
}

export async function readPid(file: string): Promise<number | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => '')
  const pid = Number(text.trim())
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

async function daemon(file: string): Promise<DaemonObservation> {
  const pid = await readPid(file)
  return {pid, alive: pid !== undefined && (await processAlive(pid, 'prefect'))}
}

export function portListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({port, host})
    s.setTimeout(1000)
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('timeout', () => (s.destroy(), resolve(false)))
    s.once('error', () => resolve(false))
  })
}

/** The port of this project: explicit setting, else what `flow up` used last, else 4200. */
export function projectPort(settings: FlowSettings, state?: FlowState): number {
  return settings.port ?? state?.port ?? DEFAULT_PORT
}

export const serverUrl = (port: number) => `http://127.0.0.1:${port}`

export async function observeFlow(settings: FlowSettings): Promise<FlowObservation> {
  const {paths} = settings
  const state = await readState(paths)
  const port = projectPort(settings, state)
  const [initialized, prefectInstalled, server, worker] = await Promise.all([
    fs.access(path.join(paths.dir, PREFECT_YAML)).then(
      () => true,
      () => false,
    ),
    fs.access(prefectBin(settings.venv)).then(
      () => true,
      () => false,
    ),
    daemon(paths.serverPid),
    daemon(paths.workerPid),
  ])
  const healthy = server.alive && state?.port === port && (await new PrefectApi(serverUrl(port)).healthy())
  const portTaken = !server.alive && (await portListening(port))
  return {initialized, prefectInstalled, port, server: {...server, healthy}, worker, portTaken, state}
}

export const prefectBin = (venv: string) => path.join(venv, 'bin', 'prefect')

export function planUp(settings: FlowSettings, o: FlowObservation): UpPlan {
  const home = settings.paths.prefectHome
  const url = serverUrl(o.port)
  const env = `PREFECT_HOME=${shellQuote(home)} PREFECT_API_URL=${url}/api`
  const prefect = shellQuote(prefectBin(settings.venv))
  return {
    // With server and worker running, a missing venv (another --venv) is not worth an install.
    installPrefect: !o.prefectInstalled && !(o.server.alive && o.worker.alive),
    server: o.server.alive ? 'running' : 'start',
    worker: o.worker.alive ? 'running' : 'start',
    port: o.port,
    url,
    manual: [
      `cd ${shellQuote(settings.paths.dir)}`,
      ...(o.prefectInstalled
        ? []
        : [
            `python3 -m venv ${shellQuote(settings.venv)}`,
            `${shellQuote(path.join(settings.venv, 'bin', 'pip'))} install prefect==${PREFECT_VERSION}`,
          ]),
      `${env} ${prefect} server start --host 127.0.0.1 --port ${o.port} &`,
      `${env} ${prefect} work-pool create ${WORK_POOL} --type process`,
      `${env} ${prefect} --no-prompt deploy --all`,
      `${env} DEZC_FLOW_DEZC=${shellQuote(settings.dezcCommand)} ${prefect} worker start --pool ${WORK_POOL} &`,
    ],
  }
}
