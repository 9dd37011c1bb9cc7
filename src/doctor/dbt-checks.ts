/**
 * Doctor rows for the dbt project of `dezc dbt` (the current folder, or dbt.dir / DEZC_DBT_DIR):
 * which dbt the project would run and its version, the target's adapter, and the DuckDB file of
 * the duckdb target. Read-only and fast: versions come from the Python environment's package
 * metadata (`dbt_core-<v>.dist-info`), not from starting dbt (`dezc dbt doctor` also runs dbt debug).
 * Skipped without a dbt project, so users who never ran `dezc dbt init` see no noise.
 */
import fs from 'node:fs'
import path from 'node:path'
import {DBT_VERSION_RANGE, type DbtSettings} from '../dbt/settings.js'
import {fail, ok, skip, warn, type Check, type CheckOutcome} from './check.js'
import type {DoctorContext} from './env-checks.js'

interface DbtObservation {
  settings: DbtSettings
  project: boolean
  /** The dbt executable found (first candidate that exists), with its packages' versions. */
  dbt?: {executable: string; version?: string; supported: boolean; adapters: Record<string, string>}
  tried: string[]
}

const observations = new WeakMap<DoctorContext, Promise<DbtObservation>>()

/** dbt_core-1.10.15.dist-info, dbt_duckdb-1.9.6.dist-info, ... beside the executable's Python. */
export function packageVersions(executable: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lib = path.join(path.dirname(path.dirname(executable)), 'lib')
  let pythons: string[] = []
  try {
    pythons = fs.readdirSync(lib).filter((d) => d.startsWith('python'))
  } catch {
    return out
  }
  for (const py of pythons) {
    let entries: string[] = []
    try {
      entries = fs.readdirSync(path.join(lib, py, 'site-packages'))
    } catch {
      continue
    }
    for (const e of entries) {
      const m = e.match(/^dbt_([a-z0-9_]+)-(\d+\.\d+\.\d+[^-]*)\.dist-info$/i)
      if (m) out[m[1].toLowerCase()] = m[2]
    }
  }
  return out
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const d of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const p = path.join(d, name)
    try {
      fs.accessSync(p, fs.constants.X_OK)
      return fs.realpathSync(p)
    } catch {}
  }
  return undefined
}

function observe(ctx: DoctorContext): Promise<DbtObservation> {
  let r = observations.get(ctx)
  if (!r) {
    r = Promise.all([import('../dbt/settings.js'), import('../dbt/service.js'), import('../dbt/dbt.js')]).then(
      async ([
        {resolveDbtDir, resolveDbtSettings, dbtConfigSchema},
        {readProjectMeta},
        {dbtCandidates, versionSupported},
      ]) => {
        const flags = {dir: ctx.env.DEZC_DBT_DIR, dbt: ctx.env.DEZC_DBT}
        const dir = resolveDbtDir(flags, ctx.config.section('dbt', dbtConfigSchema))
        const settings = resolveDbtSettings(ctx.config, flags, await readProjectMeta(dir))
        const project = fs.existsSync(path.join(settings.dir, 'dbt_project.yml'))
        const tried: string[] = []
        for (const c of dbtCandidates(settings)) {
          const exe = c.includes('/') ? (fs.existsSync(c) ? c : undefined) : onPath(c, ctx.env)
          if (!exe) {
            tried.push(c)
            continue
          }
          const {core, ...adapters} = packageVersions(exe)
          const supported = core !== undefined && versionSupported(core)
          return {
            settings,
            project,
            tried,
            dbt: {executable: c.includes('/') ? c : exe, version: core, supported, adapters},
          }
        }
        return {settings, project, tried}
      },
    )
    observations.set(ctx, r)
  }
  return r
}

function dbtCheck(id: string, title: string, judge: (o: DbtObservation) => CheckOutcome): Check<DoctorContext> {
  return {
    id: `dbt.${id}`,
    group: 'dbt',
    title,
    async run(ctx) {
      const o = await observe(ctx)
      if (!o.project) return skip(`no dbt project in ${o.settings.dir} (dezc dbt init writes one)`)
      return judge(o)
    },
  }
}

export const dbtChecks: Array<Check<DoctorContext>> = [
  dbtCheck('version', 'dbt', (o) => {
    if (!o.dbt) return fail(`no dbt (tried ${o.tried.join(', ')})`, 'dezc dbt install')
    if (!o.dbt.version)
      return warn(`${o.dbt.executable}: version unknown (not a pip-installed dbt-core)`, 'dezc dbt doctor')
    return o.dbt.supported
      ? ok(`dbt ${o.dbt.version} (${o.dbt.executable})`)
      : fail(
          `dbt ${o.dbt.version} (${o.dbt.executable}): the project needs >=${DBT_VERSION_RANGE.min},<${DBT_VERSION_RANGE.below}`,
          'dezc dbt install',
        )
  }),
  dbtCheck('adapter', 'dbt adapter', (o) => {
    const t = o.settings.target
    if (!o.dbt) return skip('no dbt')
    const v = o.dbt.adapters[t]
    return v
      ? ok(`dbt-${t} ${v}`)
      : fail(`no dbt-${t} (has: ${Object.keys(o.dbt.adapters).join(', ') || 'none'})`, 'dezc dbt install')
  }),
  dbtCheck('warehouse', 'dbt warehouse', (o) => {
    if (o.settings.target === 'duckdb') {
      const f = o.settings.duckdbFile!
      return fs.existsSync(f)
        ? ok(`DuckDB file ${f}`)
        : fail(`no DuckDB file ${f}`, 'dezc ingest zones --to duckdb (and a month), then dezc dbt init --force')
    }
    return ok(`the env stack's Postgres (see the environment rows; dezc dbt doctor runs dbt debug)`)
  }),
]
