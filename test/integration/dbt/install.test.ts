/**
 * `dezc dbt install` with the real uv (scripts/ensure-dbt.sh) installing the real dbt-core and
 * dbt-duckdb from PyPI into a project's .venv (uv's cache under the test cache, so a warm run takes
 * seconds): the dry run, the install with its pinned versions, the re-run that reuses it, a suitable
 * dbt on PATH reused, no uv, and a real dbt-core 1.9 (unsupported) refused by `dezc dbt run` and
 * replaced by the pinned one.
 */
import fs from 'node:fs'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {makeTempDir} from '../../helpers/tmp.js'
import {runProcess} from '../../../src/core/process.js'

const CACHE = process.env.DEZC_TEST_DBT_DIR ?? '/var/cache/dezc-test/dbt'
const UV_DIR = path.join(CACHE, 'uv', 'bin')
const UV = path.join(UV_DIR, 'uv')
/** PATH without any dbt or uv: only the system's programs. */
const BARE_PATH = '/usr/local/bin:/usr/bin:/bin'
const env = (extra: NodeJS.ProcessEnv = {}) => ({
  PATH: BARE_PATH,
  UV_CACHE_DIR: path.join(CACHE, 'uv-cache'),
  UV_PYTHON_DOWNLOADS: 'never',
  DEZC_DBT: undefined,
  ...extra,
})
let work: string

/** A folder with what dbt init writes for the duckdb target (install reads the target from it). */
function project(name: string): string {
  const dir = path.join(work, name)
  fs.mkdirSync(dir, {recursive: true})
  fs.writeFileSync(path.join(dir, 'dbt_project.yml'), 'name: taxi_rides_ny\n')
  fs.writeFileSync(path.join(dir, '.dezc-dbt.json'), JSON.stringify({files: {}, meta: {target: 'duckdb'}}))
  return dir
}

beforeAll(() => {
  work = makeTempDir('dezc-dbt-install-')
})

describe('dezc dbt install (real uv, real dbt from PyPI)', () => {
  it('--dry-run prints the uv commands with the pins and creates nothing', async () => {
    const dir = project('dry')
    const r = await runCli(['dbt', 'install', '--dry-run', '--json'], {
      cwd: dir,
      env: env({PATH: `${UV_DIR}:${BARE_PATH}`}),
    })
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const res = r.json()
    expect(res).toMatchObject({action: 'would-install', target: 'duckdb', dryRun: true})
    expect(res.packages).toEqual(['dbt-core==1.10.15', 'dbt-duckdb==1.9.6', 'duckdb==1.5.6'])
    expect(res.commands).toEqual([
      `uv venv ${path.join(dir, '.venv')}`,
      `uv pip install --python ${path.join(dir, '.venv/bin/python')} dbt-core==1.10.15 dbt-duckdb==1.9.6 duckdb==1.5.6`,
    ])
    expect(res.rejected.join('\n')).toContain('No dbt found')
    expect(fs.existsSync(path.join(dir, '.venv'))).toBe(false)
  })

  it('without uv: DBT_UV_NOT_FOUND (exit 4) with the ways to get it', async () => {
    const r = await runCli(['dbt', 'install', '--json'], {cwd: project('nouv'), env: env()})
    expect(r.code).toBe(4)
    const {error} = r.json()
    expect(error.code).toBe('DBT_UV_NOT_FOUND')
    expect(error.suggestions.join(' ')).toContain('astral.sh/uv')
  })

  it('installs the pinned dbt-core + dbt-duckdb into .venv, prints the versions; a re-run reuses it', async () => {
    const dir = project('fresh')
    const r = await runCli(['dbt', 'install', '--uv', UV, '--json'], {cwd: dir, env: env(), timeoutMs: 300_000})
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const res = r.json()
    expect(res.action).toBe('installed')
    expect(res.dbt).toEqual({
      executable: path.join(dir, '.venv/bin/dbt'),
      version: '1.10.15',
      adapters: {duckdb: '1.9.6'},
    })
    const human = await runCli(['dbt', 'install', '--uv', UV], {cwd: dir, env: env()})
    expect(human.code).toBe(0)
    expect(human.stdout).toContain('dbt 1.10.15 with dbt-duckdb 1.9.6 is already there')
    const again = await runCli(['dbt', 'install', '--uv', UV, '--json'], {cwd: dir, env: env()})
    expect(again.json()).toMatchObject({action: 'reused', commands: []})
  }, 300_000)

  it('a suitable dbt on PATH is reused: nothing is installed', async () => {
    const dir = project('onpath')
    const r = await runCli(['dbt', 'install', '--json'], {
      cwd: dir,
      env: env({PATH: `${path.join(CACHE, 'venv', 'bin')}:${BARE_PATH}`}),
    })
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.json()).toMatchObject({action: 'reused', dbt: {executable: 'dbt', version: '1.10.15'}})
    expect(fs.existsSync(path.join(dir, '.venv'))).toBe(false)
  })

  it('a real dbt-core 1.9 in .venv: dezc dbt run refuses it (DBT_VERSION_UNSUPPORTED), install replaces it', async () => {
    const dir = project('old')
    const venv = path.join(dir, '.venv')
    for (const args of [
      ['venv', '--quiet', venv],
      [
        'pip',
        'install',
        '--quiet',
        '--python',
        path.join(venv, 'bin/python'),
        'dbt-core==1.9.8',
        'dbt-duckdb==1.9.6',
        'duckdb==1.5.6',
      ],
    ]) {
      const p = await runProcess(UV, args, {env: {...process.env, ...env()} as NodeJS.ProcessEnv, timeoutMs: 300_000})
      expect(p.code, p.stdout + p.stderr).toBe(0)
    }
    const run = await runCli(['dbt', 'run', '--json'], {cwd: dir, env: env()})
    expect(run.code).toBe(4)
    const {error} = run.json()
    expect(error.code).toBe('DBT_VERSION_UNSUPPORTED')
    expect(error.message).toContain('1.9.8')
    expect(error.suggestions.join(' ')).toContain('dezc dbt install')
    const r = await runCli(['dbt', 'install', '--uv', UV, '--json'], {cwd: dir, env: env(), timeoutMs: 300_000})
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const res = r.json()
    expect(res.rejected.join('\n')).toContain('1.9.8')
    expect(res.commands).toHaveLength(1) // the venv exists: only uv pip install
    expect(res.dbt).toMatchObject({version: '1.10.15', adapters: {duckdb: '1.9.6'}})
  }, 300_000)
})
