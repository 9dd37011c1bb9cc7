/**
 * `dezc dbt` against the real thing: dbt-core + dbt-postgres from PyPI (scripts/ensure-dbt.sh, a
 * cached uv venv) on the real Postgres of an env stack that `dezc ingest` loaded from generated
 * TLC-shaped files. hub.getdbt.com is not reachable here, so the build runs without dbt_utils
 * (--no-dbt-utils); the default packages.yml is checked for its pin and for a clear DBT_DEPS_FAILED.
 */
import fs from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'
import {runCli, type CliResult} from '../../helpers/cli.js'
import {freePort, removeStack, uniqueStack} from '../../helpers/docker.js'
import {writeTripParquet, zonesCsv} from '../../helpers/tlc-fixtures.js'
import {makeTempDir} from '../../helpers/tmp.js'

const DBT = path.join(process.env.DEZC_TEST_DBT_DIR ?? '/var/cache/dezc-test/dbt', 'venv', 'bin', 'dbt')
const ROWS = 1234
const stack = uniqueStack('dbt')
const secret = `s3cret-${Math.random().toString(36).slice(2, 10)}`
let work: string
let env: NodeJS.ProcessEnv
let pgPort: number

const dezc = (args: string[], o: {cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number} = {}) =>
  runCli(args, {cwd: o.cwd ?? work, env: {...env, ...o.env}, timeoutMs: o.timeoutMs ?? 180_000})

function expectOk(r: CliResult) {
  expect(r.code, r.stdout + r.stderr).toBe(0)
  return r.json()
}

function expectError(r: CliResult, code: string, exit: number) {
  expect(r.code, r.stdout + r.stderr).toBe(exit)
  const e = r.json().error
  expect(e.code, e.message).toBe(code)
  return e as {message: string; suggestions: string[]}
}

/** No output of any command may hold the password. */
function noSecret(r: CliResult) {
  expect(r.stdout + r.stderr).not.toContain(secret)
  return r
}

beforeAll(async () => {
  expect(fs.existsSync(DBT), `${DBT} missing: run scripts/ensure-dbt.sh`).toBe(true)
  work = makeTempDir('dezc-dbt-')
  const config = path.join(work, 'dezc.yaml')
  // A password nobody guesses and the course's current database name.
  fs.writeFileSync(config, `profiles:\n  local:\n    postgres: {password: ${secret}, db: ny_taxi}\n`)
  env = {DEZC_CONFIG: config, DEZC_DBT: DBT}
  pgPort = await freePort()
  await writeTripParquet(path.join(work, 'yellow_tripdata_2021-01.parquet'), 'yellow', '2021-01', ROWS)
  fs.writeFileSync(path.join(work, 'taxi_zone_lookup.csv'), zonesCsv())
  const up = await dezc(['env', 'up', '--stack', stack, '--pg-port', String(pgPort), '--no-pgadmin', '--json'], {
    timeoutMs: 300_000,
  })
  expect(up.code, up.stderr).toBe(0)
})

afterAll(async () => {
  await dezc(['env', 'down', '--stack', stack, '--volumes', '--yes', '--json']).catch(() => {})
  await removeStack(stack)
})

describe('dezc dbt on the env stack (real dbt-core + dbt-postgres)', () => {
  it('bad input: a stack that does not run is STACK_NOT_RUNNING (exit 5), nothing written', async () => {
    const dir = path.join(work, 'none')
    const e = expectError(
      await dezc(['dbt', 'init', '--stack', `${stack}x`, '--dir', dir, '--json']),
      'STACK_NOT_RUNNING',
      5,
    )
    expect(e.suggestions[0]).toContain(`dezc env up --stack ${stack}x`)
    expect(fs.existsSync(dir)).toBe(false)
  })

  it('bad input: nothing ingested yet is DBT_NO_DATA (exit 4) saying to ingest first', async () => {
    const dir = path.join(work, 'empty')
    const e = expectError(await dezc(['dbt', 'init', '--stack', stack, '--dir', dir, '--json']), 'DBT_NO_DATA', 4)
    expect(e.message).toContain('no dezc ingest ledger')
    expect(e.suggestions.join(' ')).toContain('dezc ingest')
    expect(fs.existsSync(dir)).toBe(false)
  })

  it('bad input: dezc dbt run outside a project is DBT_NOT_PROJECT (exit 2)', async () => {
    expectError(await dezc(['dbt', 'run', '--dir', path.join(work, 'nowhere'), '--json']), 'DBT_NOT_PROJECT', 2)
  })

  it('after ingest: init writes sources from what was loaded, build passes, staging rows = ingested rows', async () => {
    for (const args of [
      ['yellow', '--file', 'yellow_tripdata_2021-01.parquet'],
      ['zones', '--file', 'taxi_zone_lookup.csv'],
    ]) {
      const r = noSecret(await dezc(['ingest', ...args, '--stack', stack, '--json'], {timeoutMs: 300_000}))
      expect(r.code, r.stderr).toBe(0)
    }
    const dir = path.join(work, 'proj')
    const dry = expectOk(
      await dezc(['dbt', 'init', '--stack', stack, '--dir', dir, '--no-dbt-utils', '--dry-run', '--json']),
    )
    expect(dry.dryRun).toBe(true)
    expect(dry.files.map((f: {name: string}) => f.name)).toContain('models/staging/sources.yml')
    expect(fs.existsSync(dir)).toBe(false)

    const init = expectOk(
      noSecret(await dezc(['dbt', 'init', '--stack', stack, '--dir', dir, '--no-dbt-utils', '--json'])),
    )
    expect(init.connection).toEqual({
      target: 'postgres',
      host: '127.0.0.1',
      port: pgPort,
      user: 'root',
      dbname: 'ny_taxi',
    })
    expect(init.sources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          table: 'yellow_taxi_data',
          dataset: 'yellow',
          periods: ['2021-01'],
          rows: ROWS,
          model: 'stg_yellow_tripdata',
        }),
        expect.objectContaining({table: 'zones', dataset: 'zones', rows: 265, model: 'stg_zones'}),
      ]),
    )
    expect(init.seed).toMatchObject({origin: 'warehouse', rows: 265})
    for (const d of ['models/staging', 'models/core', 'seeds', 'macros', 'tests', 'analyses', 'snapshots'])
      expect(fs.statSync(path.join(dir, d)).isDirectory(), d).toBe(true)

    // profiles.yml: the stack's real port, no password, 0600.
    const profile = fs.readFileSync(path.join(dir, 'profiles.yml'), 'utf8')
    expect(profile).not.toContain(secret)
    expect(profile).toContain(`'${pgPort}'`)
    expect(profile).toMatch(/password: "\{\{ env_var\('DBT_ENV_SECRET_DEZC_PG_PASSWORD'\) \}\}"/)
    expect(fs.statSync(path.join(dir, 'profiles.yml')).mode & 0o777).toBe(0o600)

    // sources.yml: the loaded tables with their real columns and types, described, with freshness.
    const sources = YAML.parse(fs.readFileSync(path.join(dir, 'models/staging/sources.yml'), 'utf8'))
    const raw = sources.sources.find((s: {name: string}) => s.name === 'raw')
    expect(raw.schema).toBe('public')
    const yellow = raw.tables.find((t: {name: string}) => t.name === 'yellow_taxi_data')
    const cols = Object.fromEntries(yellow.columns.map((c: {name: string}) => [c.name, c]))
    expect(cols.VendorID).toMatchObject({data_type: 'bigint', description: expect.stringContaining('Provider')})
    expect(cols.tpep_pickup_datetime.data_type).toBe('timestamp without time zone')
    expect(cols.dezc_load_id).toBeDefined()
    expect(yellow.config.loaded_at_query).toContain('dezc_ingest_ledger')
    expect(raw.tables.map((t: {name: string}) => t.name)).toEqual(
      expect.arrayContaining(['zones', 'dezc_ingest_ledger']),
    )
    expect(fs.readFileSync(path.join(dir, 'seeds/taxi_zone_lookup.csv'), 'utf8').trim().split('\n')).toHaveLength(266)

    // The real dbt: build (seed, models, tests) with dezc's connection; exit code dbt's.
    const build = noSecret(await dezc(['dbt', 'build', '--json'], {cwd: dir, timeoutMs: 300_000}))
    expect(build.code, build.stderr).toBe(0)
    expect(build.json()).toMatchObject({command: 'build', exitCode: 0})
    expect(build.stderr).toMatch(/PASS=8 WARN=0 ERROR=0/)

    const client = new pg.Client({host: '127.0.0.1', port: pgPort, user: 'root', password: secret, database: 'ny_taxi'})
    await client.connect()
    try {
      const count = await client.query('select count(*)::int as n from dev.stg_yellow_tripdata')
      expect(count.rows[0].n).toBe(ROWS)
      const zones = await client.query('select count(*)::int as n from dev.dim_zones')
      expect(zones.rows[0].n).toBe(265)
      const typed = await client.query(
        `select data_type from information_schema.columns where table_schema = 'dev' and table_name = 'stg_yellow_tripdata' and column_name = 'pickup_location_id'`,
      )
      expect(typed.rows[0].data_type).toBe('integer')
    } finally {
      await client.end()
    }

    // dbt's own flags pass through, and so does its exit code.
    const selected = await dezc(['dbt', 'run', '--select', 'stg_zones'], {cwd: dir})
    expect(selected.code, selected.stderr).toBe(0)
    expect(selected.stdout).toMatch(/PASS=1 WARN=0 ERROR=0/)
    const wrong = await dezc(['dbt', 'run', '--target', 'nope'], {cwd: dir})
    expect(wrong.code).toBe(2)
    expect(wrong.stdout).toContain("does not have a target named 'nope'")

    const doctor = expectOk(await dezc(['dbt', 'doctor', '--json'], {cwd: dir}))
    expect(doctor.checks.map((c: {status: string}) => c.status)).toEqual(['ok', 'ok', 'ok', 'ok'])
  }, 600_000)

  it('re-running init keeps a file the user edited, --force replaces it and keeps a .bak', async () => {
    const dir = path.join(work, 'proj')
    const model = path.join(dir, 'models/staging/stg_yellow_tripdata.sql')
    fs.appendFileSync(model, '-- mine\n')
    const again = await dezc(['dbt', 'init', '--no-dbt-utils', '--json'], {cwd: dir})
    const r = expectOk(again)
    const action = (name: string) => r.files.find((f: {name: string}) => f.name === name).action
    expect(action('models/staging/stg_yellow_tripdata.sql')).toBe('keep-edited')
    expect(action('models/staging/sources.yml')).toBe('unchanged')
    expect(again.envelope().warnings.join('\n')).toContain('stg_yellow_tripdata.sql')
    expect(fs.readFileSync(model, 'utf8')).toContain('-- mine')
    const forced = expectOk(await dezc(['dbt', 'init', '--no-dbt-utils', '--force', '--json'], {cwd: dir}))
    expect(forced.files.find((f: {name: string}) => f.name === 'models/staging/stg_yellow_tripdata.sql').action).toBe(
      'overwrite-edited',
    )
    expect(fs.readFileSync(model, 'utf8')).not.toContain('-- mine')
    expect(fs.readFileSync(`${model}.bak`, 'utf8')).toContain('-- mine')
  }, 120_000)

  it("every dbt pass-through under --json: dbt output on stderr, the envelope on stdout with dbt's exit code", async () => {
    const cwd = path.join(work, 'proj')
    const runs = [
      await dezc(['dbt', 'seed', '--json'], {cwd}),
      await dezc(['dbt', 'test', '--json'], {cwd}),
      await dezc(['dbt', 'debug', '--json'], {cwd}),
      await dezc(['dbt', 'deps', '--json'], {cwd}),
      await dezc(['dbt', 'compile', '--json'], {cwd}),
      await dezc(['dbt', 'parse', '--json'], {cwd}),
      await dezc(['dbt', 'freshness', '--json'], {cwd}),
    ]
    for (const r of runs) {
      noSecret(r)
      expect(r.code, r.stdout + r.stderr).toBe(0)
      expect(r.json()).toMatchObject({exitCode: 0, dbt: {version: expect.any(String)}})
    }
    expect(runs[6].json().args).toEqual(['freshness'])
    expect(runs[6].stderr).toMatch(/freshness of raw\.yellow_taxi_data/)
  }, 600_000)

  it('the default packages.yml pins dbt_utils; with the hub unreachable, dbt deps fails clearly (DBT_DEPS_FAILED)', async () => {
    const dir = path.join(work, 'with-utils')
    expectOk(await dezc(['dbt', 'init', '--stack', stack, '--dir', dir, '--json']))
    expect(YAML.parse(fs.readFileSync(path.join(dir, 'packages.yml'), 'utf8'))).toEqual({
      packages: [{package: 'dbt-labs/dbt_utils', version: '1.3.3'}],
    })
    // A dead proxy makes the hub deterministically unreachable, whatever this machine reaches.
    const proxy = `http://127.0.0.1:${await freePort()}`
    const r = await dezc(['dbt', 'build', '--json'], {cwd: dir, env: {HTTPS_PROXY: proxy, https_proxy: proxy}})
    const e = expectError(r, 'DBT_DEPS_FAILED', 4)
    expect(e.suggestions.join(' ')).toContain('--no-dbt-utils')
  }, 300_000)
})
