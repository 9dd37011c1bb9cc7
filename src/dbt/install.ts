/**
 * `dezc dbt install`: dbt-core and the target's adapter, pinned, in the project's own virtual
 * environment (`<project>/.venv`) made by uv (the course's Python tool). Observe what dbt there is
 * (an explicit --dbt, the project's .venv, dbt on PATH) and reuse the first that is supported and has
 * the adapter; otherwise decide the uv commands, run exactly those, and check the result with
 * `dbt --version`. Every process goes through src/core/process.ts.
 */
import fs from 'node:fs'
import path from 'node:path'
import {DezcError, ExitCode, toDezcError} from '../core/errors.js'
import {runProcess} from '../core/process.js'
import {shellQuote} from '../core/shell.js'
import type {Ui} from '../core/ui.js'
import {findDbt, lastLines, requireSupported, type DbtInfo} from './dbt.js'
import {DBT_PINS, type DbtSettings, type DbtTarget} from './settings.js'

export interface InstallOptions {
  settings: DbtSettings
  /** The uv executable (default: uv on PATH). */
  uv?: string
  /** The Python uv makes the venv with (default: uv's choice). */
  python?: string
  /** Install into the project's .venv even when a suitable dbt exists elsewhere. */
  force?: boolean
  dryRun?: boolean
  env: NodeJS.ProcessEnv
  ui: Ui
  signal?: AbortSignal
}

export interface DbtInstallResult {
  dir: string
  target: DbtTarget
  /** reused: a suitable dbt was found, nothing installed; installed: the venv was made or completed. */
  action: 'reused' | 'installed' | 'would-install'
  venv: string
  /** The pinned requirements dezc installs for this target. */
  packages: string[]
  /** What was (or, with --dry-run, would be) run. */
  commands: string[]
  /** The dbt that `dezc dbt <command>` will run (absent in a dry run that would install). */
  dbt?: DbtInfo
  /** Why a dbt that was found is not used. */
  rejected: string[]
  dryRun: boolean
}

/** The pinned requirements of a target: dbt-core, its adapter (and DuckDB's engine at dezc's own version, so both read the same file format). */
export function pinnedPackages(target: DbtTarget): string[] {
  const pkgs = [`dbt-core==${DBT_PINS.core}`, `dbt-${target}==${DBT_PINS[target]}`]
  if (target === 'duckdb') pkgs.push(`duckdb==${DBT_PINS.duckdbEngine}`)
  return pkgs
}

export interface InstallObserved {
  found?: DbtInfo
  rejected: string[]
  venvExists: boolean
}

/** Read-only: which dbt exists, and is it suitable for this target? */
export async function observeInstall(o: InstallOptions): Promise<InstallObserved> {
  const venv = path.join(o.settings.dir, '.venv')
  const rejected: string[] = []
  let found: DbtInfo | undefined
  try {
    const info = await findDbt(o.settings, o.env)
    try {
      requireSupported(info, o.settings.target)
      found = info
    } catch (error) {
      rejected.push(toDezcError(error).message)
    }
  } catch (error) {
    rejected.push(toDezcError(error).message)
  }
  return {found, rejected, venvExists: fs.existsSync(path.join(venv, 'pyvenv.cfg'))}
}

/** Pure: reuse what was found, or the uv commands that make the project's venv. */
export function planInstall(
  o: Pick<InstallOptions, 'settings' | 'uv' | 'python' | 'force'>,
  observed: InstallObserved,
): {reuse?: DbtInfo; venv: string; packages: string[]; steps: string[][]} {
  const venv = path.join(o.settings.dir, '.venv')
  const packages = pinnedPackages(o.settings.target)
  if (observed.found && !o.force) return {reuse: observed.found, venv, packages, steps: []}
  const uv = o.uv ?? 'uv'
  const steps: string[][] = []
  if (!observed.venvExists) steps.push([uv, 'venv', ...(o.python ? ['--python', o.python] : []), venv])
  steps.push([uv, 'pip', 'install', '--python', path.join(venv, 'bin', 'python'), ...packages])
  return {venv, packages, steps}
}

const UV_HINT = [
  'Install uv (the course uses it): `curl -LsSf https://astral.sh/uv/install.sh | sh`, or `pipx install uv`, or `python3 -m pip install --user uv`.',
  'Or name it: --uv PATH (DEZC_UV).',
]

export async function installDbt(o: InstallOptions): Promise<DbtInstallResult> {
  const observed = await observeInstall(o)
  const plan = planInstall(o, observed)
  const base = {
    dir: o.settings.dir,
    target: o.settings.target,
    venv: plan.venv,
    packages: plan.packages,
    commands: plan.steps.map((s) => s.map((a) => shellQuote(a)).join(' ')),
    rejected: observed.rejected,
    dryRun: Boolean(o.dryRun),
  }
  if (plan.reuse) return {...base, action: 'reused', dbt: plan.reuse}
  if (o.dryRun) return {...base, action: 'would-install'}
  for (const step of plan.steps) {
    o.ui.reporter.info(`$ ${step.map((a) => shellQuote(a)).join(' ')}`)
    // uv's own output under --verbose; a failure quotes its last lines. An active venv is not the project's.
    const {VIRTUAL_ENV: _active, ...env} = o.env
    const r = await runProcess(step[0], step.slice(1), {
      cwd: o.settings.dir,
      env,
      signal: o.signal,
      onOutput: (text) => o.ui.reporter.debug(text.trimEnd()),
    })
    const out = r.stdout + r.stderr
    if (r.spawnError?.code === 'ENOENT') {
      throw new DezcError({
        code: 'DBT_UV_NOT_FOUND',
        message: `dezc dbt install makes the project's environment with uv, and ${step[0]} was not found.`,
        suggestion: UV_HINT,
        exit: ExitCode.PREREQUISITE,
      })
    }
    if (r.spawnError || r.code !== 0) {
      const offline = /dns|connect|network|timed out|resolve|Could not fetch/i.test(out)
      throw new DezcError({
        code: 'DBT_INSTALL_FAILED',
        message: `${step.slice(0, 3).join(' ')} failed (${r.spawnError?.message ?? `exit ${r.code ?? r.signal}`}): ${lastLines(out, 6)}`,
        suggestion: offline
          ? 'uv could not reach PyPI: check the network or a proxy (HTTPS_PROXY, UV_INDEX_URL for a mirror), then re-run.'
          : 'Re-run with --verbose; or --python PATH for another Python (dbt-core supports 3.9-3.13).',
        exit: ExitCode.PREREQUISITE,
      })
    }
  }
  const dbt = await findDbt({...o.settings, executable: path.join(plan.venv, 'bin', 'dbt')}, o.env)
  requireSupported(dbt, o.settings.target)
  return {...base, action: 'installed', dbt}
}
