/**
 * `dezc ingest --to duckdb`: the built CLI loading generated TLC-shaped files into a real DuckDB
 * file (DuckDB's Node API, the same engine dbt-duckdb uses): the canonical table and the ledger, a
 * re-run that loads nothing, --force replacing exactly one month, a failed load and a kill -9
 * leaving the file as it was, the dry run, a locked or foreign file, and --in-network refused.
 */
import fs from 'node:fs'
import path from 'node:path'
import {DuckDBInstance} from '@duckdb/node-api'
import {beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {duckdbRows} from '../../helpers/duckdb-file.js'
import {writeTripParquet, zonesCsv} from '../../helpers/tlc-fixtures.js'
import {makeTempDir} from '../../helpers/tmp.js'

let work: string
let db: string
const JAN = 5000
const FEB = 3000

const sql = duckdbRows

/** The ledger and the rows per load: what must not change when a load fails. */
async function state(file = db) {
  const ledger = await sql(file, [
    'SELECT load_id::INTEGER AS id, period, rows::INTEGER AS rows, active FROM dezc_ingest_ledger ORDER BY load_id',
  ])
  const rows = await sql(file, [
    'SELECT dezc_load_id::INTEGER AS id, count(*)::INTEGER AS n FROM yellow_taxi_data GROUP BY 1 ORDER BY 1',
  ])
  return {ledger, rows}
}

const ingest = (args: string[], options: Parameters<typeof runCli>[1] = {}) =>
  runCli(['ingest', ...args, '--to', 'duckdb', '--duckdb-file', db, '--json'], {
    cwd: work,
    timeoutMs: 180_000,
    ...options,
  })

beforeAll(async () => {
  work = makeTempDir('dezc-ingest-duck-')
  db = path.join(work, 'data', 'taxi.duckdb')
  await writeTripParquet(path.join(work, 'yellow_tripdata_2021-01.parquet'), 'yellow', '2021-01', JAN)
  await writeTripParquet(path.join(work, 'yellow_tripdata_2021-02.parquet'), 'yellow', '2021-02', FEB)
  fs.writeFileSync(path.join(work, 'taxi_zone_lookup.csv'), zonesCsv())
}, 120_000)

describe('dezc ingest --to duckdb', () => {
  it('dry run on a file that does not exist: every month is a load, nothing is created', async () => {
    const r = await ingest(['yellow', '2021-01', '--file', 'yellow_tripdata_2021-01.parquet', '--dry-run'])
    expect(r.code, r.stderr).toBe(0)
    const plan = r.json()
    expect(plan).toMatchObject({target: db, table: 'yellow_taxi_data', ledgerRead: true})
    expect(plan.steps).toEqual([expect.objectContaining({period: '2021-01', action: 'load'})])
    expect(plan.commands.join('\n')).toContain(`duckdb ${db} -c`)
    expect(fs.existsSync(db)).toBe(false)
  })

  it('loads the canonical table and the ledger; zones from the CSV', async () => {
    const jan = await ingest(['yellow', '2021-01', '--file', 'yellow_tripdata_2021-01.parquet'])
    expect(jan.code, jan.stderr).toBe(0)
    expect(jan.json()).toMatchObject({
      target: db,
      table: 'yellow_taxi_data',
      loads: [{dataset: 'yellow', period: '2021-01', status: 'loaded', rows: JAN, loadId: 1}],
    })
    const feb = await ingest(['yellow', '2021-02', '--file', 'yellow_tripdata_2021-02.parquet'])
    expect(feb.json().loads[0]).toMatchObject({status: 'loaded', rows: FEB, loadId: 2})
    const zones = await ingest(['zones', '--file', 'taxi_zone_lookup.csv'])
    expect(zones.json().loads[0]).toMatchObject({dataset: 'zones', period: 'lookup', rows: 265})

    const cols = await sql(db, [
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'yellow_taxi_data' ORDER BY ordinal_position`,
    ])
    expect(cols.slice(0, 3)).toEqual([
      {column_name: 'VendorID', data_type: 'BIGINT'},
      {column_name: 'tpep_pickup_datetime', data_type: 'TIMESTAMP'},
      {column_name: 'tpep_dropoff_datetime', data_type: 'TIMESTAMP'},
    ])
    expect(cols.at(-1)).toEqual({column_name: 'dezc_load_id', data_type: 'BIGINT'})
    const s = await state()
    expect(s.ledger).toEqual([
      {id: 1, period: '2021-01', rows: JAN, active: true},
      {id: 2, period: '2021-02', rows: FEB, active: true},
      {id: 3, period: 'lookup', rows: 265, active: true},
    ])
    expect(s.rows).toEqual([
      {id: 1, n: JAN},
      {id: 2, n: FEB},
    ])
  })

  it('a re-run loads nothing; the dry run says skip', async () => {
    const before = await state()
    const again = await ingest(['yellow', '2021-01', '--file', 'yellow_tripdata_2021-01.parquet'])
    expect(again.json().loads[0]).toMatchObject({status: 'skipped', rows: JAN, loadId: 1, bytes: 0})
    expect(await state()).toEqual(before)
    const plan = await ingest(['yellow', '2021-01', '--file', 'yellow_tripdata_2021-01.parquet', '--dry-run'])
    expect(plan.json().steps[0]).toMatchObject({action: 'skip', rows: JAN, loadId: 1})
  })

  it('--force replaces exactly that month', async () => {
    const r = await ingest(['yellow', '2021-01', '--file', 'yellow_tripdata_2021-01.parquet', '--force'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json().loads[0]).toMatchObject({status: 'replaced', rows: JAN, loadId: 4, replacedLoadId: 1})
    const s = await state()
    expect(s.ledger.filter((l) => l.active)).toEqual([
      {id: 2, period: '2021-02', rows: FEB, active: true},
      {id: 3, period: 'lookup', rows: 265, active: true},
      {id: 4, period: '2021-01', rows: JAN, active: true},
    ])
    expect(s.rows).toEqual([
      {id: 2, n: FEB},
      {id: 4, n: JAN},
    ])
  })

  it('a load that fails half-way (a value that does not cast) leaves the table and the ledger as they were', async () => {
    const bad = path.join(work, 'bad.parquet')
    await writeTripParquet(bad, 'yellow', '2021-01', 20_000, {
      replace: {
        passenger_count: [
          'passenger_count',
          'VARCHAR',
          `CASE WHEN i = 15000 THEN 'two' ELSE CAST(i % 5 AS VARCHAR) END`,
        ],
      },
    })
    const before = await state()
    const r = await ingest(['yellow', '2021-01', '--file', bad, '--force'])
    expect(r.code).toBe(1)
    const {error} = r.json()
    expect(error.code).toBe('UNCASTABLE_COLUMN')
    expect(error.message).toContain('passenger_count')
    expect(error.message).toContain('"two"')
    expect(await state()).toEqual(before)
  })

  it('kill -9 in the middle of a load: the file is as it was, and a re-run loads the month', async () => {
    const big = path.join(work, 'yellow_tripdata_2021-03.parquet')
    await writeTripParquet(big, 'yellow', '2021-03', 3_000_000)
    const before = await state()
    let killedAt: number | undefined
    // Without --json: the progress lines on stderr say when the INSERT starts.
    const killed = await runCli(['ingest', 'yellow', '2021-03', '--file', big, '--to', 'duckdb', '--duckdb-file', db], {
      cwd: work,
      onSpawn: (child) => {
        child.stderr!.on('data', (d: Buffer) => {
          if (killedAt === undefined && /loading 0/.test(d.toString())) {
            killedAt = Date.now()
            setTimeout(() => child.kill('SIGKILL'), 150)
          }
        })
      },
    })
    expect(killedAt, killed.stderr).toBeDefined()
    expect(killed.code).toBeNull() // died of the signal: no rollback ran, DuckDB's WAL decides
    expect(await state()).toEqual(before)
    const again = await ingest(['yellow', '2021-03', '--file', big])
    expect(again.code, again.stderr).toBe(0)
    expect(again.json().loads[0]).toMatchObject({status: 'loaded', rows: 3_000_000})
  }, 180_000)

  it('a file another process holds open is DUCKDB_OPEN_FAILED (exit 4), named, nothing loaded', async () => {
    const held = await DuckDBInstance.create(db)
    try {
      const r = await ingest(['yellow', '2021-02', '--file', 'yellow_tripdata_2021-02.parquet', '--force'])
      expect(r.code).toBe(4)
      const {error} = r.json()
      expect(error.code).toBe('DUCKDB_OPEN_FAILED')
      expect(error.message).toContain(db)
      expect(error.suggestions.join(' ')).toContain('Another process')
    } finally {
      held.closeSync()
    }
  })

  it('a file that is not a DuckDB database is DUCKDB_OPEN_FAILED, and stays untouched', async () => {
    const notDb = path.join(work, 'notes.duckdb')
    fs.writeFileSync(notDb, 'these are my notes, not a database\n'.repeat(200))
    const before = fs.readFileSync(notDb)
    const r = await runCli(
      ['ingest', 'zones', '--file', 'taxi_zone_lookup.csv', '--to', 'duckdb', '--duckdb-file', notDb, '--json'],
      {cwd: work},
    )
    expect(r.code).toBe(4)
    expect(r.json().error.code).toBe('DUCKDB_OPEN_FAILED')
    expect(fs.readFileSync(notDb)).toEqual(before)
  })

  it('the default file is taxi.duckdb in the current folder; --in-network is refused', async () => {
    const cwd = makeTempDir('dezc-ingest-duck-cwd-')
    fs.copyFileSync(path.join(work, 'taxi_zone_lookup.csv'), path.join(cwd, 'zones.csv'))
    const r = await runCli(['ingest', 'zones', '--file', 'zones.csv', '--to', 'duckdb', '--json'], {cwd})
    expect(r.code, r.stderr).toBe(0)
    expect(r.json().target).toBe(path.join(cwd, 'taxi.duckdb'))
    expect((await sql(path.join(cwd, 'taxi.duckdb'), ['SELECT count(*)::INTEGER AS n FROM zones']))[0].n).toBe(265)
    const net = await runCli(['ingest', 'yellow', '2021-01', '--to', 'duckdb', '--in-network', '--json'], {cwd})
    expect(net.code).toBe(2)
    expect(net.json().error.code).toBe('INVALID_FLAG')
  })
})
