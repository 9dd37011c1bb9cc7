/**
 * `dezc ingest --dry-run` against a private PostgreSQL 15 and the loopback mirror: the plan comes
 * from the real ledger, and nothing is downloaded or written (the mirror's request log and the
 * table's contents prove it).
 */
import path from 'node:path'
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import type {FileServer} from '../../helpers/file-server.js'
import {startIngestFixture, stopIngestFixture} from '../../helpers/ingest-fixture.js'
import type {PgServer} from '../../helpers/postgres.js'
import {writeTripParquet} from '../../helpers/tlc-fixtures.js'

let db: PgServer
let srv: FileServer
let client: pg.Client
let dir: string
let base: string

beforeAll(async () => {
  ;({db, srv, client, dir, base} = await startIngestFixture('dezc-ingest-dry-'))
  for (const period of ['2021-01', '2021-02']) {
    const file = path.join(dir, `yellow_tripdata_${period}.parquet`)
    await writeTripParquet(file, 'yellow', period, 2000)
    srv.set(`/trip-data/yellow_tripdata_${period}.parquet`, {file})
  }
  const r = await runCli(['ingest', 'yellow', '2021-01', '--base-url', base, '--db-url', db.url, '--json'])
  expect(r.code, r.stderr).toBe(0)
})

afterAll(() => stopIngestFixture({db, srv, client, dir}))

const snapshot = async () =>
  (
    await client.query(
      'SELECT count(*)::int AS n, (SELECT count(*)::int FROM dezc_ingest_ledger) AS l FROM yellow_taxi_data',
    )
  ).rows[0]

describe('dezc ingest --dry-run', () => {
  it('plans skip for the loaded month and load for the new one, with curl/duckdb/psql commands; changes nothing', async () => {
    const before = {db: await snapshot(), requests: srv.requests.length}
    const r = await runCli([
      'ingest',
      'yellow',
      '2021-01..2021-02',
      '--base-url',
      base,
      '--db-url',
      db.url,
      '--dry-run',
      '--json',
    ])
    expect(r.code, r.stderr).toBe(0)
    const plan = r.json()
    expect(plan).toMatchObject({dryRun: true, table: 'yellow_taxi_data', ledgerRead: true})
    expect(plan.steps).toEqual([
      {
        period: '2021-01',
        action: 'skip',
        source: `${base}yellow_tripdata_2021-01.parquet`,
        rows: 2000,
        loadId: expect.any(Number),
      },
      {period: '2021-02', action: 'load', source: `${base}yellow_tripdata_2021-02.parquet`},
    ])
    expect(plan.commands[0]).toBe(
      `curl -fL --retry 5 -C - -o yellow_tripdata_2021-02.parquet ${base}yellow_tripdata_2021-02.parquet`,
    )
    expect(plan.commands[1]).toContain('duckdb -c')
    expect(plan.commands[2]).toMatch(/^psql postgresql:\/\/root@127\.0\.0\.1:\d+\/\w+ -c '\\copy yellow_taxi_data FROM/)
    expect(r.stdout + r.stderr).not.toContain(':root@') // no password, not even in the psql URL
    expect({db: await snapshot(), requests: srv.requests.length}).toEqual(before)
  })

  it('with --force the loaded month is a replacement of exactly its load', async () => {
    const r = await runCli([
      'ingest',
      'yellow',
      '2021-01',
      '--base-url',
      base,
      '--db-url',
      db.url,
      '--dry-run',
      '--force',
    ])
    expect(r.code, r.stderr).toBe(0)
    const loadId = (await client.query("SELECT load_id FROM dezc_ingest_ledger WHERE active AND period = '2021-01'"))
      .rows[0].load_id
    expect(r.stdout).toMatch(/replace +2021-01/)
    expect(r.stdout).toContain(`DELETE FROM yellow_taxi_data WHERE dezc_load_id = ${loadId}`)
    expect(r.stdout).toContain('nothing is downloaded or written')
  })

  it('bad input is still a usage error under --dry-run', async () => {
    const r = await runCli(['ingest', 'yellow', '2021-13', '--base-url', base, '--db-url', db.url, '--dry-run'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('Try this:')
  })
})
