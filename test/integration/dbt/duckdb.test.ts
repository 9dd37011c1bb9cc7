/**
 * The duckdb target end to end, the "done means" flow: the real `dezc ingest --to duckdb`
 * (zones and a generated TLC-shaped yellow month) into taxi.duckdb in the project folder, then
 * `dezc dbt init --target duckdb`, `seed`, `run`, `test` with the real dbt-duckdb
 * (scripts/ensure-dbt.sh); the staging model has exactly the loaded rows.
 */
import fs from 'node:fs'
import path from 'node:path'
import {DuckDBInstance} from '@duckdb/node-api'
import {beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'
import {runCli} from '../../helpers/cli.js'
import {duckdbRows} from '../../helpers/duckdb-file.js'
import {writeTripParquet, zonesCsv} from '../../helpers/tlc-fixtures.js'
import {makeTempDir} from '../../helpers/tmp.js'

const DBT = path.join(process.env.DEZC_TEST_DBT_DIR ?? '/var/cache/dezc-test/dbt', 'venv', 'bin', 'dbt')
const ROWS = 777
let work: string
let file: string

const sql = duckdbRows

beforeAll(async () => {
  work = makeTempDir('dezc-dbt-duck-')
  file = path.join(work, 'taxi.duckdb')
  await writeTripParquet(path.join(work, 'yellow_tripdata_2021-01.parquet'), 'yellow', '2021-01', ROWS)
  fs.writeFileSync(path.join(work, 'taxi_zone_lookup.csv'), zonesCsv())
})

describe('dezc dbt on a DuckDB file loaded by dezc ingest --to duckdb (real dbt-duckdb)', () => {
  it('ingest zones + a month, init, seed, run, test pass; staging rows = loaded rows', async () => {
    // Nothing on the network: the zone seed must come from the ingested zones table.
    const env = {DEZC_DBT: DBT, DEZC_INGEST_BASE_URL: 'http://127.0.0.1:9/trip-data/'}
    const cli = (args: string[]) => runCli(args, {cwd: work, env, timeoutMs: 300_000})
    for (const args of [
      ['ingest', 'zones', '--file', 'taxi_zone_lookup.csv', '--to', 'duckdb'],
      ['ingest', 'yellow', '2021-01', '--file', 'yellow_tripdata_2021-01.parquet', '--to', 'duckdb'],
    ]) {
      const r = await cli(args)
      expect(r.code, r.stdout + r.stderr).toBe(0)
    }
    const init = await cli(['dbt', 'init', '--target', 'duckdb', '--no-dbt-utils', '--json'])
    expect(init.code, init.stdout + init.stderr).toBe(0)
    const r = init.json()
    expect(r.connection).toEqual({target: 'duckdb', path: file})
    expect(r.sources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({table: 'yellow_taxi_data', rows: ROWS, periods: ['2021-01']}),
        expect.objectContaining({table: 'zones', rows: 265}),
      ]),
    )
    expect(r.seed).toMatchObject({origin: 'warehouse', rows: 265})
    const sources = YAML.parse(fs.readFileSync(path.join(work, 'models/staging/sources.yml'), 'utf8'))
    expect(sources.sources[0]).toMatchObject({name: 'raw', schema: 'main'})
    expect(fs.readFileSync(path.join(work, 'profiles.yml'), 'utf8')).toContain('type: duckdb')

    // DEZC_DBT names the tests' real dbt: install finds it suitable and installs nothing.
    const install = await cli(['dbt', 'install', '--json'])
    expect(install.code, install.stdout + install.stderr).toBe(0)
    expect(install.json()).toMatchObject({action: 'reused', dbt: {executable: DBT, adapters: {duckdb: '1.9.6'}}})
    for (const [command, pass] of [
      ['seed', 1],
      ['run', 3],
      ['test', 4],
    ] as const) {
      const run = await cli(['dbt', command])
      expect(run.code, run.stdout + run.stderr).toBe(0)
      expect(run.stdout).toContain(`PASS=${pass} WARN=0 ERROR=0`)
    }
    const [row] = await sql(file, ['SELECT count(*)::INTEGER AS n FROM dev.stg_yellow_tripdata'])
    expect(row.n).toBe(ROWS)

    // More of dbt through dezc, under --json (dbt's output on stderr, its exit code in the envelope).
    const ls = await cli(['dbt', 'ls', '--resource-type', 'model', '--json'])
    expect(ls.code, ls.stderr).toBe(0)
    expect(ls.json()).toMatchObject({command: 'ls', exitCode: 0})
    expect(ls.stderr).toContain('taxi_rides_ny.staging.stg_yellow_tripdata')
    const show = await cli([
      'dbt',
      'show',
      '--inline',
      "select count(*) as n from {{ ref('stg_yellow_tripdata') }}",
      '--json',
    ])
    expect(show.code, show.stderr).toBe(0)
    expect(show.stderr).toContain(String(ROWS))
    const snap = await cli(['dbt', 'snapshot', '--json'])
    expect(snap.code, snap.stderr).toBe(0)
    expect(snap.json()).toMatchObject({command: 'snapshot', exitCode: 0})
  }, 400_000)

  it('a DuckDB file with nothing dezc loaded is DBT_NO_DATA: ingest first', async () => {
    const empty = path.join(work, 'empty.duckdb')
    const instance = await DuckDBInstance.create(empty)
    const conn = await instance.connect()
    await conn.run('CREATE TABLE notes (t VARCHAR)')
    conn.closeSync()
    instance.closeSync()
    const dir = path.join(work, 'empty-proj')
    const r = await runCli(['dbt', 'init', '--target', 'duckdb', '--duckdb-file', empty, '--dir', dir, '--json'], {
      cwd: work,
    })
    expect(r.code).toBe(4)
    const {error} = r.json()
    expect(error.code).toBe('DBT_NO_DATA')
    expect(error.message).toContain('has no dezc ingest ledger')
    expect(error.suggestions.join(' ')).toContain('dezc ingest')
    expect(fs.existsSync(path.join(dir, 'dbt_project.yml'))).toBe(false)
  })

  it('a DuckDB file another process holds for writing cannot be read: DBT_WAREHOUSE_UNREADABLE (exit 4), nothing written', async () => {
    const held = await DuckDBInstance.create(file)
    try {
      const dir = path.join(work, 'held-proj')
      const r = await runCli(['dbt', 'init', '--target', 'duckdb', '--duckdb-file', file, '--dir', dir, '--json'], {
        cwd: work,
      })
      expect(r.code).toBe(4)
      const {error} = r.json()
      expect(error.code).toBe('DBT_WAREHOUSE_UNREADABLE')
      expect(error.message).toContain(file)
      expect(error.suggestions.join(' ')).toContain('no other process holds it open')
      expect(fs.existsSync(dir)).toBe(false)
    } finally {
      held.closeSync()
    }
  })

  it('a missing DuckDB file is DBT_NO_DATA (exit 4)', async () => {
    const r = await runCli(
      [
        'dbt',
        'init',
        '--target',
        'duckdb',
        '--duckdb-file',
        path.join(work, 'nope.duckdb'),
        '--dir',
        path.join(work, 'x'),
        '--json',
      ],
      {cwd: work},
    )
    expect(r.code).toBe(4)
    expect(r.json().error.code).toBe('DBT_NO_DATA')
  })
})
