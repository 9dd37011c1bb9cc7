/**
 * The dbt executable: where it is, what version and adapters it has, and the environment it runs
 * with (the project as project and profiles dir, the connection and the password from dezc). Every
 * dbt process goes through src/core/process.ts.
 */
import fs from 'node:fs'
import path from 'node:path'
import {DezcError, ExitCode} from '../core/errors.js'
import {runProcess, type ProcessResult} from '../core/process.js'
import {PROFILE_ENV} from './project.js'
import {DBT_VERSION_RANGE, type DbtSettings, type DbtTarget} from './settings.js'

export interface DbtInfo {
  executable: string
  version: string
  /** Adapter name → version, from `dbt --version`. */
  adapters: Record<string, string>
}

/** The candidates in order: an explicit executable, else the project's .venv, else dbt on PATH. */
export function dbtCandidates(settings: DbtSettings): string[] {
  if (settings.executable) return [settings.executable]
  return [path.join(settings.dir, '.venv', 'bin', 'dbt'), 'dbt']
}

/** Parse `dbt --version`: "installed: 1.10.15" under Core, "- postgres: 1.9.1" under Plugins. */
export function parseDbtVersion(text: string): {version?: string; adapters: Record<string, string>} {
  const version = text.match(/installed:\s*v?(\d+\.\d+\.\d+\S*)/)?.[1]
  const adapters: Record<string, string> = {}
  const plugins = text.split(/Plugins:/)[1] ?? ''
  for (const m of plugins.matchAll(/^\s*-\s*([a-z0-9_-]+):\s*v?(\d+\.\d+\.\d+\S*)/gim)) adapters[m[1]] = m[2]
  return {version, adapters}
}

function cmpVersion(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0)
  const pb = b.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0)
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i]
  return 0
}

export function versionSupported(version: string): boolean {
  return cmpVersion(version, DBT_VERSION_RANGE.min) >= 0 && cmpVersion(version, DBT_VERSION_RANGE.below) < 0
}

export const INSTALL_HINT = `Run \`dezc dbt install\` in the project folder (uv makes .venv with the pinned dbt-core and the target's adapter), or by hand: \`uv venv .venv && uv pip install --python .venv "dbt-core>=${DBT_VERSION_RANGE.min},<${DBT_VERSION_RANGE.below}" dbt-postgres dbt-duckdb\`; or pass --dbt PATH.`

/** The first candidate that runs `dbt --version`. */
export async function findDbt(settings: DbtSettings, env: NodeJS.ProcessEnv): Promise<DbtInfo> {
  const tried: string[] = []
  for (const exe of dbtCandidates(settings)) {
    if (exe.includes('/') && !fs.existsSync(exe)) {
      tried.push(`${exe} (missing)`)
      continue
    }
    const r = await runProcess(exe, ['--version'], {env, timeoutMs: 60_000})
    if (r.spawnError?.code === 'ENOENT') {
      tried.push(`${exe} (not found)`)
      continue
    }
    const out = r.stdout + r.stderr
    const parsed = parseDbtVersion(out)
    if (r.spawnError || r.code !== 0 || !parsed.version) {
      throw new DezcError({
        code: 'DBT_BROKEN',
        message: `${exe} --version failed (${r.spawnError?.message ?? `exit ${r.code ?? r.signal}`}): ${lastLines(out)}`,
        suggestion: INSTALL_HINT,
        exit: ExitCode.PREREQUISITE,
      })
    }
    return {executable: exe, version: parsed.version, adapters: parsed.adapters}
  }
  throw new DezcError({
    code: 'DBT_NOT_FOUND',
    message: `No dbt found: tried ${tried.join(', ')}.`,
    suggestion: INSTALL_HINT,
    exit: ExitCode.PREREQUISITE,
  })
}

export function requireSupported(info: DbtInfo, target: DbtTarget): void {
  if (!versionSupported(info.version)) {
    throw new DezcError({
      code: 'DBT_VERSION_UNSUPPORTED',
      message: `${info.executable} is dbt ${info.version}; the generated project needs >=${DBT_VERSION_RANGE.min},<${DBT_VERSION_RANGE.below} (loaded_at_query freshness).`,
      suggestion: INSTALL_HINT,
      exit: ExitCode.PREREQUISITE,
    })
  }
  if (!info.adapters[target]) {
    throw new DezcError({
      code: 'DBT_ADAPTER_MISSING',
      message: `dbt ${info.version} at ${info.executable} has no ${target} adapter (it has: ${Object.keys(info.adapters).join(', ') || 'none'}).`,
      suggestion: `Install dbt-${target} next to it (uv pip install dbt-${target}).`,
      exit: ExitCode.PREREQUISITE,
    })
  }
}

/** Everything dbt needs in its environment: the project, the profile dir and the connection. Never printed. */
export async function dbtEnv(settings: DbtSettings, base: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {
    ...base,
    DBT_PROJECT_DIR: settings.dir,
    DBT_PROFILES_DIR: settings.dir,
    // dbt would otherwise try to send usage statistics on every run (a wait when offline).
    DBT_SEND_ANONYMOUS_USAGE_STATS: base.DBT_SEND_ANONYMOUS_USAGE_STATS ?? 'false',
  }
  if (settings.target === 'duckdb') {
    env[PROFILE_ENV.duckdbPath] = settings.duckdbFile
    return env
  }
  // BigQuery: profiles.yml names the key file; nothing else to pass.
  if (settings.target === 'bigquery') return env
  const {stackDatabase} = await import('../env/database.js')
  const db = await stackDatabase(settings.stack)
  env[PROFILE_ENV.host] = db.host
  env[PROFILE_ENV.port] = String(db.port)
  env[PROFILE_ENV.user] = settings.stack.postgres.user
  env[PROFILE_ENV.dbname] = settings.stack.postgres.db
  env[PROFILE_ENV.password] = settings.stack.postgres.password ?? ''
  return env
}

export interface StreamTo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

/** Run dbt in the project with its output streamed; the exit code is dbt's. */
export async function runDbt(
  exe: string,
  args: string[],
  o: {settings: DbtSettings; env: NodeJS.ProcessEnv; out?: StreamTo; signal?: AbortSignal},
): Promise<ProcessResult> {
  const r = await runProcess(exe, args, {
    cwd: o.settings.dir,
    env: o.env,
    signal: o.signal,
    buffer: !o.out,
    onOutput: o.out ? (text, stream) => (stream === 'stdout' ? o.out!.stdout : o.out!.stderr).write(text) : undefined,
  })
  if (r.spawnError) {
    throw new DezcError({
      code: 'DBT_BROKEN',
      message: `Could not run ${exe}: ${r.spawnError.message}`,
      suggestion: INSTALL_HINT,
      exit: ExitCode.PREREQUISITE,
      cause: r.spawnError,
    })
  }
  return r
}

export function lastLines(text: string, n = 8): string {
  return text.trim().split('\n').slice(-n).join('\n')
}
