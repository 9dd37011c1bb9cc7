/**
 * The one resolution of what `dezc flow *` acts on, flag > env > config `flow.*` > default: the
 * project directory, the Prefect server's loopback port, the Python environment that holds Prefect,
 * and the dezc command the flow's tasks run. Also the project's own paths (`.dezc/` beside
 * prefect.yaml: pid files, logs, PREFECT_HOME with the SQLite database).
 */
import path from 'node:path'
import {z} from 'zod'
import type {LoadedConfig} from '../config/load.js'
import {expandHome} from '../config/paths.js'
import {usageError} from '../core/errors.js'
import {shellQuote} from '../core/shell.js'

/** The `flow:` section of dezc.yaml. */
export const flowConfigSchema = z.strictObject({
  /** Directory of the Prefect project (default ./flow). */
  dir: z.string().min(1).optional(),
  /** Loopback port of the Prefect server (default 4200). */
  port: z.number().int().min(1).max(65535).optional(),
  /** A virtual environment holding Prefect (default <dir>/.venv, created by `dezc flow up`). */
  venv: z.string().min(1).optional(),
})
export type FlowConfig = z.infer<typeof flowConfigSchema>

/** The Prefect release the generated project pins and `dezc flow up` installs. */
export const PREFECT_VERSION = '3.9.1'
export const DEFAULT_PORT = 4200
export const DEFAULT_DIR = 'flow'
/** The work pool (type process) of the generated prefect.yaml. */
export const WORK_POOL = 'dezc'
/** How often the worker asks for runs (Prefect's default is 10 s); PREFECT_WORKER_QUERY_SECONDS overrides. */
export const WORKER_QUERY_SECONDS = '5'

export interface FlowFlagValues {
  dir?: string
  port?: number
  venv?: string
}

export interface FlowPaths {
  /** The project directory (prefect.yaml, flows/). */
  dir: string
  /** `<dir>/.dezc`: pid files, logs, state. */
  stateDir: string
  /** PREFECT_HOME of the local server: its SQLite database lives here. */
  prefectHome: string
  serverPid: string
  serverLog: string
  workerPid: string
  workerLog: string
  /** What `flow up` started with (port, deployed hash), read by status/run/down. */
  stateFile: string
}

export interface FlowSettings {
  paths: FlowPaths
  /** Explicit port (flag, env, config); undefined = the port `flow up` used last, else DEFAULT_PORT. */
  port?: number
  venv: string
  /** Where the venv came from: "--venv", "DEZC_FLOW_VENV", "config flow.venv" or "default". */
  venvSource: string
  /** The command line the flow's tasks run as dezc (DEZC_FLOW_DEZC in the worker's environment). */
  dezcCommand: string
}

export function flowPaths(dir: string): FlowPaths {
  const stateDir = path.join(dir, '.dezc')
  return {
    dir,
    stateDir,
    prefectHome: path.join(stateDir, 'prefect'),
    serverPid: path.join(stateDir, 'server.pid'),
    serverLog: path.join(stateDir, 'server.log'),
    workerPid: path.join(stateDir, 'worker.pid'),
    workerLog: path.join(stateDir, 'worker.log'),
    stateFile: path.join(stateDir, 'state.json'),
  }
}

/**
 * The dezc the flow runs: DEZC_FLOW_DEZC, else this very dezc (node + the script it runs), so a
 * checkout's bin/run.js or an npx install is what the worker calls, not whatever is on PATH.
 */
export function dezcCommand(env: NodeJS.ProcessEnv, argv: string[] = process.argv): string {
  if (env.DEZC_FLOW_DEZC?.trim()) return env.DEZC_FLOW_DEZC.trim()
  const script = argv[1]
  return script ? `${shellQuote(process.execPath)} ${shellQuote(path.resolve(script))}` : 'dezc'
}

export function parsePort(value: string | number, source: string): number {
  const n = typeof value === 'number' ? value : Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw usageError('INVALID_FLAG', `${source} must be a port number (1-65535), not "${value}".`)
  return n
}

export function resolveFlowSettings(input: {
  flags: FlowFlagValues
  config: LoadedConfig
  env?: NodeJS.ProcessEnv
  cwd?: string
}): FlowSettings {
  const env = input.env ?? process.env
  const cwd = input.cwd ?? process.cwd()
  const c = input.config.section('flow', flowConfigSchema) ?? {}
  const f = input.flags
  const dir = path.resolve(cwd, expandHome(f.dir ?? (env.DEZC_FLOW_DIR || undefined) ?? c.dir ?? DEFAULT_DIR))
  const port =
    f.port !== undefined
      ? parsePort(f.port, '--port')
      : env.DEZC_FLOW_PORT
        ? parsePort(env.DEZC_FLOW_PORT, 'DEZC_FLOW_PORT')
        : c.port
  const paths = flowPaths(dir)
  const venvChoice: Array<[string | undefined, string]> = [
    [f.venv, '--venv'],
    [env.DEZC_FLOW_VENV || undefined, 'DEZC_FLOW_VENV'],
    [c.venv, 'config flow.venv'],
    [path.join(dir, '.venv'), 'default'],
  ]
  const [venv, venvSource] = venvChoice.find(([v]) => v !== undefined) as [string, string]
  return {
    paths,
    port,
    venv: path.resolve(cwd, expandHome(venv)),
    venvSource,
    dezcCommand: dezcCommand(env),
  }
}
