/**
 * The duckdb target with the real dbt-duckdb (scripts/ensure-dbt.sh). `dezc ingest --to duckdb` does
 * not exist yet, so the test writes the DuckDB file the way that ingest is specified to (issue 12: the
 * same tables and the same dezc_ingest_ledger): a stand-in for the loader, not for dbt.
 */
import fs from 'node:fs'
import path from 'node:path'
import {DuckDBInstance} from '@duckdb/node-api'
import {beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'
import {runCli} from '../../helpers/cli.js'
import {writeTripParquet} from '../../helpers/tlc-fixtures.js'
import {makeTempDir} from '../../helpers/tmp.js'

const DBT = path.join(process.env.DEZC_TEST_DBT_DIR ?? '/var/cache/dezc-test/dbt', 'venv', 'bin', 'dbt')
const ROWS = 777
let work: string
let file: string

async function sql(db: string, statements: string[]): Promise<Array<Record<string, unknown>>> {
  const instance = await DuckDBInstance.create(db, {
    autoload_known_extensions: 'false',
    autoinstall_known_extensions: 'false',
  })
  const conn = await instance.connect()
  let rows: Array<Record<string, unknown>> = []
  try {
    for (const s of statements) rows = (await conn.runAndReadAll(s)).getRowObjectsJS() as Array<Record<string, unknown>>
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
  return rows
}

beforeAll(async () => {
  work = makeTempDir('dezc-dbt-duck-')
  file = path.join(work, 'taxi.duckdb')
  const parquet = path.join(work, 'yellow_tripdata_2021-02.parquet')
  await writeTripParquet(parquet, 'yellow', '2021-02', ROWS)
  await sql(file, [
    `CREATE TABLE yellow_taxi_data AS SELECT *, CAST(1 AS BIGINT) AS dezc_load_id FROM read_parquet('${parquet}')`,
    `CREATE TABLE dezc_ingest_ledger (load_id BIGINT, table_name TEXT NOT NULL, dataset TEXT NOT NULL, period TEXT NOT NULL,
       source_url TEXT NOT NULL, rows BIGINT, started_at TIMESTAMPTZ DEFAULT now(), finished_at TIMESTAMPTZ, active BOOLEAN DEFAULT true)`,
    `INSERT INTO dezc_ingest_ledger (load_id, table_name, dataset, period, source_url, rows, finished_at)
       VALUES (1, 'yellow_taxi_data', 'yellow', '2021-02', 'file://${parquet}', ${ROWS}, now())`,
  ])
})

describe('dezc dbt on a DuckDB file (real dbt-duckdb)', () => {
  it('init reads the file, build passes, staging rows = loaded rows', async () => {
    const dir = path.join(work, 'proj')
    // The zone file cannot be fetched (dead loopback URL): the seed is a placeholder, and says so.
    const env = {DEZC_DBT: DBT, DEZC_INGEST_BASE_URL: 'http://127.0.0.1:9/trip-data/'}
    const init = await runCli(
      ['dbt', 'init', '--target', 'duckdb', '--duckdb-file', file, '--dir', dir, '--no-dbt-utils', '--json'],
      {cwd: work, env},
    )
    expect(init.code, init.stdout + init.stderr).toBe(0)
    const r = init.json()
    expect(r.connection).toEqual({target: 'duckdb', path: file})
    expect(r.sources).toEqual([expect.objectContaining({table: 'yellow_taxi_data', rows: ROWS, periods: ['2021-02']})])
    expect(r.seed).toMatchObject({origin: 'placeholder', rows: 265})
    expect(init.envelope().warnings.join('\n')).toContain('placeholder')
    const sources = YAML.parse(fs.readFileSync(path.join(dir, 'models/staging/sources.yml'), 'utf8'))
    expect(sources.sources[0]).toMatchObject({name: 'raw', schema: 'main'})
    expect(fs.readFileSync(path.join(dir, 'profiles.yml'), 'utf8')).toContain('type: duckdb')

    const build = await runCli(['dbt', 'build', '--json'], {cwd: dir, env, timeoutMs: 300_000})
    expect(build.code, build.stdout + build.stderr).toBe(0)
    expect(build.stderr).toMatch(/PASS=6 WARN=0 ERROR=0/)
    const [row] = await sql(file, ['SELECT count(*)::INTEGER AS n FROM dev.stg_yellow_tripdata'])
    expect(row.n).toBe(ROWS)
  }, 400_000)

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
