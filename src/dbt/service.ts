/**
 * `dezc dbt init | <dbt command> | doctor` as services: write the project from what dezc loaded,
 * run the real dbt in it with the connection dezc knows, and check the setup. No oclif here.
 */
import fs from 'node:fs'
import path from 'node:path'
import {DezcError, ExitCode} from '../core/errors.js'
import type {WriteResult} from '../core/managed-files.js'
import type {Ui} from '../core/ui.js'
import type {CheckResult} from '../doctor/check.js'
import {
  INSTALL_HINT,
  dbtEnv,
  findDbt,
  lastLines,
  requireSupported,
  runDbt,
  versionSupported,
  type StreamTo,
} from './dbt.js'
import {observeInit, planInit} from './plan.js'
import type {Connection, SeedOrigin} from './project.js'
import {DBT_MARKER, DBT_VERSION_RANGE, type DbtSettings, type DbtTarget} from './settings.js'

// ---------------------------------------------------------------------------------------------
// init

export interface InitOptions {
  settings: DbtSettings
  force: boolean
  dryRun: boolean
  /** The TLC trip-data base (ingest's), beside which the zone CSV lives. */
  zonesBaseUrl: string
  ui: Ui
  signal?: AbortSignal
}

export interface DbtInitResult {
  dir: string
  target: DbtTarget
  /** Where dbt connects (never the password). */
  connection: Connection
  sources: Array<{table: string; dataset: string; periods: string[]; rows: number; columns: number; model: string}>
  skipped: string[]
  seed: {origin: SeedOrigin; rows: number; from: string}
  files: WriteResult[]
  dryRun: boolean
  next: string[]
}

export async function dbtInit(o: InitOptions): Promise<DbtInitResult> {
  const {settings} = o
  const observed = await observeInit(settings, {zonesBaseUrl: o.zonesBaseUrl, ui: o.ui, signal: o.signal})
  const plan = planInit(settings, observed)
  const {writeManagedFiles, dirWriteError} = await import('../core/managed-files.js')
  const files = await writeManagedFiles(settings.dir, plan.files, {
    force: o.force,
    dryRun: o.dryRun,
    marker: DBT_MARKER,
    meta: {...plan.meta},
    writeError: dirWriteError('DBT_DIR_NOT_WRITABLE'),
  })
  for (const f of files.filter((x) => x.action === 'keep-edited'))
    o.ui.reporter.warn(`Kept ${f.name}: you edited it (dezc dbt init --force overwrites it, keeping a .bak).`)
  const w = observed.warehouse
  const cd = path.relative(process.cwd(), settings.dir)
  return {
    dir: settings.dir,
    target: settings.target,
    connection: observed.connection,
    sources: w.tables.map((t, i) => ({
      table: t.table,
      dataset: t.dataset,
      periods: t.periods,
      rows: t.rows,
      columns: t.columns.length,
      model: plan.models[i].name,
    })),
    skipped: w.skipped,
    seed: {origin: observed.zones.origin, rows: observed.zones.rows.length, from: observed.zones.from},
    files,
    dryRun: o.dryRun,
    next: [
      ...(cd ? [`cd ${cd}`] : []),
      ...(settings.dbtUtils ? ['dezc dbt deps'] : []),
      'dezc dbt seed',
      'dezc dbt run',
      'dezc dbt test',
    ],
  }
}

/** What init recorded about the project folder (target, stack, DuckDB file), or {} for none. */
export async function readProjectMeta(dir: string): Promise<import('./settings.js').ProjectMeta> {
  const {readMarker} = await import('../core/managed-files.js')
  return ((await readMarker(dir, DBT_MARKER)).meta ?? {}) as import('./settings.js').ProjectMeta
}

function requireProject(dir: string): void {
  if (fs.existsSync(path.join(dir, 'dbt_project.yml'))) return
  throw new DezcError({
    code: 'DBT_NOT_PROJECT',
    message: `${dir} has no dbt_project.yml.`,
    suggestion: ['Write the project first: dezc dbt init (same --host/--stack), or point --dir at it.'],
    exit: ExitCode.USAGE,
  })
}

// ---------------------------------------------------------------------------------------------
// run | build | test | seed | debug | deps | ...

export interface RunOptions {
  settings: DbtSettings
  command: string
  args: string[]
  env: NodeJS.ProcessEnv
  out: StreamTo
  ui: Ui
  signal?: AbortSignal
}

export interface DbtRunResult {
  command: string
  args: string[]
  dbt: {executable: string; version: string}
  /** `dbt deps` that ran first because packages.yml names packages dbt_packages/ lacks. */
  deps?: {exitCode: number}
  /** dbt's exit code (dezc exits with it). */
  exitCode: number
}

/** packages.yml declares packages that dbt_packages/ does not hold yet. */
export function needsDeps(dir: string): boolean {
  let text: string
  try {
    text = fs.readFileSync(path.join(dir, 'packages.yml'), 'utf8')
  } catch {
    return false
  }
  const names = [...text.matchAll(/^\s*-\s*(?:package|git|local|tarball):\s*["']?([^"'\s#]+)/gm)].map((m) =>
    m[1]
      .split('/')
      .at(-1)!
      .replace(/\.git$/, ''),
  )
  if (names.length === 0) return false
  const installed = fs.existsSync(path.join(dir, 'dbt_packages'))
    ? fs.readdirSync(path.join(dir, 'dbt_packages')).map((n) => n.toLowerCase().replaceAll('-', '_'))
    : []
  return names.some((n) => !installed.includes(n.toLowerCase().replaceAll('-', '_')))
}

export async function dbtRun(o: RunOptions): Promise<DbtRunResult> {
  requireProject(o.settings.dir)
  const info = await findDbt(o.settings, o.env)
  requireSupported(info, o.settings.target)
  const env = await dbtEnv(o.settings, o.env)
  const result: DbtRunResult = {
    command: o.command,
    args: o.args,
    dbt: {executable: info.executable, version: info.version},
    exitCode: 0,
  }
  if (o.command !== 'deps' && o.command !== 'clean' && needsDeps(o.settings.dir)) {
    o.ui.reporter.info('packages.yml names packages that dbt_packages/ lacks: running dbt deps first.')
    const deps = await runDbt(info.executable, ['deps'], {settings: o.settings, env, out: o.out, signal: o.signal})
    result.deps = {exitCode: deps.code ?? 1}
    if (deps.code !== 0) {
      throw new DezcError({
        code: 'DBT_DEPS_FAILED',
        message: `dbt deps failed (exit ${deps.code ?? deps.signal}): packages.yml names packages it could not install.`,
        suggestion: [
          'dbt deps downloads from hub.getdbt.com and GitHub: check that they are reachable (a proxy?).',
          'Or drop the packages: dezc dbt init --no-dbt-utils (add --force if you edited packages.yml; the generated models do not need dbt_utils).',
        ],
        exit: ExitCode.PREREQUISITE,
      })
    }
  }
  const r = await runDbt(info.executable, [o.command, ...o.args], {
    settings: o.settings,
    env,
    out: o.out,
    signal: o.signal,
  })
  if (o.signal?.aborted) throw o.signal.reason
  result.exitCode = r.code ?? 1
  return result
}

// ---------------------------------------------------------------------------------------------
// doctor

export interface DbtDoctorResult {
  ok: boolean
  dir: string
  target: DbtTarget
  checks: CheckResult[]
}

export async function dbtDoctor(o: {
  settings: DbtSettings
  env: NodeJS.ProcessEnv
  signal?: AbortSignal
}): Promise<DbtDoctorResult> {
  const {settings} = o
  const checks: CheckResult[] = []
  const add = (id: string, title: string, t0: number, c: Omit<CheckResult, 'id' | 'group' | 'title' | 'ms'>) =>
    checks.push({id: `dbt.${id}`, group: 'dbt', title, ms: Math.round(performance.now() - t0), ...c})
  const {toDezcError} = await import('../core/errors.js')
  let t0 = performance.now()
  let info: Awaited<ReturnType<typeof findDbt>> | undefined
  try {
    info = await findDbt(settings, o.env)
    const supported = versionSupported(info.version)
    add('version', 'dbt', t0, {
      status: supported ? 'ok' : 'fail',
      detail: `dbt ${info.version} (${info.executable})`,
      ...(supported ? {} : {fix: `needs dbt >=${DBT_VERSION_RANGE.min},<${DBT_VERSION_RANGE.below}: ${INSTALL_HINT}`}),
    })
  } catch (error) {
    const e = toDezcError(error)
    add('version', 'dbt', t0, {status: 'fail', detail: e.message, fix: e.suggestions[0]})
  }
  t0 = performance.now()
  if (!info) add('adapter', `${settings.target} adapter`, t0, {status: 'skip', detail: 'no dbt'})
  else if (info.adapters[settings.target])
    add('adapter', `${settings.target} adapter`, t0, {
      status: 'ok',
      detail: `dbt-${settings.target} ${info.adapters[settings.target]}`,
    })
  else
    add('adapter', `${settings.target} adapter`, t0, {
      status: 'fail',
      detail: `missing (dbt has: ${Object.keys(info.adapters).join(', ') || 'none'})`,
      fix: `uv pip install dbt-${settings.target} into dbt's environment`,
    })
  t0 = performance.now()
  const hasProject = fs.existsSync(path.join(settings.dir, 'dbt_project.yml'))
  add('project', 'project', t0, {
    status: hasProject ? 'ok' : 'fail',
    detail: hasProject ? settings.dir : `no dbt_project.yml in ${settings.dir}`,
    ...(hasProject ? {} : {fix: 'dezc dbt init (or --dir PATH)'}),
  })
  t0 = performance.now()
  if (!info || !info.adapters[settings.target] || !hasProject) {
    add('connection', 'profile connects', t0, {status: 'skip', detail: 'needs dbt, its adapter and the project'})
  } else {
    try {
      const env = await dbtEnv(settings, o.env)
      const r = await runDbt(info.executable, ['debug'], {settings, env, signal: o.signal})
      const out = r.stdout + r.stderr
      add('connection', 'profile connects', t0, {
        status: r.code === 0 ? 'ok' : 'fail',
        detail: r.code === 0 ? 'dbt debug: all checks passed' : `dbt debug exit ${r.code}: ${lastLines(out, 3)}`,
        ...(r.code === 0 ? {} : {fix: 'run `dezc dbt debug` for the whole output'}),
      })
    } catch (error) {
      const e = toDezcError(error)
      add('connection', 'profile connects', t0, {status: 'fail', detail: e.message, fix: e.suggestions[0]})
    }
  }
  return {ok: checks.every((c) => c.status !== 'fail'), dir: settings.dir, target: settings.target, checks}
}
