/**
 * End-to-end: the built CLI against a private PostgreSQL 15 and a loopback mirror serving
 * DuckDB-generated TLC-shaped files. Loaded data is checked with aggregate checksums computed the
 * same way from the source file.
 */
import fs from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import type {FileServer} from '../../helpers/file-server.js'
import {startIngestFixture, stopIngestFixture} from '../../helpers/ingest-fixture.js'
import type {PgServer} from '../../helpers/postgres.js'
import {
  CANONICAL_KINDS,
  sourceAggregates,
  tableAggregates,
  writeTripParquet,
  zonesCsv,
  type TripDataset,
} from '../../helpers/tlc-fixtures.js'

let db: PgServer
let srv: FileServer
let client: pg.Client
let dir: string
let base: string

async function serve(
  dataset: TripDataset,
  period: string,
  rows: number,
  options?: Parameters<typeof writeTripParquet>[4],
): Promise<string> {
  const file = path.join(dir, `${dataset}_tripdata_${period}.parquet`)
  await writeTripParquet(file, dataset, period, rows, options)
  srv.set(`/trip-data/${dataset}_tripdata_${period}.parquet`, {file})
  return file
}

const ingest = (args: string[]) =>
  runCli(['ingest', ...args, '--base-url', base, '--db-url', db.url, '--json'], {timeoutMs: 180_000})

async function loadIdOf(table: string, dataset: string, period: string): Promise<number> {
  const r = await client.query(
    'SELECT load_id FROM dezc_ingest_ledger WHERE active AND table_name = $1 AND dataset = $2 AND period = $3',
    [table, dataset, period],
  )
  return Number(r.rows[0].load_id)
}

async function expectLoaded(dataset: TripDataset, table: string, period: string, file: string) {
  const id = await loadIdOf(table, dataset, period)
  const expected = await sourceAggregates(file, CANONICAL_KINDS[dataset])
  const actual = await tableAggregates(client, table, CANONICAL_KINDS[dataset], `dezc_load_id = ${id}`)
  expect(actual).toEqual(expected)
}

beforeAll(async () => {
  ;({db, srv, client, dir, base} = await startIngestFixture('dezc-ingest-cli-'))
})

afterAll(() => stopIngestFixture({db, srv, client, dir}))

describe('dezc ingest (done means)', () => {
  it('loads every row of yellow 2021-01, skips it on re-run, --force replaces it with the same count', async () => {
    const file = await serve('yellow', '2021-01', 60_000)
    const first = await ingest(['yellow', '2021-01'])
    expect(first.code, first.stderr).toBe(0)
    const s1 = first.json()
    expect(s1.target).toBe(db.url.replace(':root@', ':***@'))
    expect(first.stdout + first.stderr).not.toContain(':root@')
    expect(s1.loads).toHaveLength(1)
    expect(s1.loads[0]).toMatchObject({
      dataset: 'yellow',
      period: '2021-01',
      table: 'yellow_taxi_data',
      status: 'loaded',
      rows: 60_000,
    })
    expect(s1.loads[0].bytes).toBe(fs.statSync(file).size)
    await expectLoaded('yellow', 'yellow_taxi_data', '2021-01', file)

    const again = await ingest(['yellow', '2021-01'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.json().loads[0]).toMatchObject({status: 'skipped', rows: 60_000, loadId: s1.loads[0].loadId})
    // Downloaded once (the ranged GETs are the footer, fetched first to load row groups as they arrive).
    expect(srv.requests.filter((r) => r.path.endsWith('yellow_tripdata_2021-01.parquet') && !r.range)).toHaveLength(1)
    const human = await runCli(['ingest', 'yellow', '2021-01', '--base-url', base, '--db-url', db.url])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/already loaded.*nothing to do/)

    const forced = await ingest(['yellow', '2021-01', '--force'])
    expect(forced.code, forced.stderr).toBe(0)
    const s3 = forced.json().loads[0]
    expect(s3).toMatchObject({status: 'replaced', rows: 60_000, replacedLoadId: s1.loads[0].loadId, fromCache: true})
    const count = await client.query(
      'SELECT count(*)::int AS n, count(DISTINCT dezc_load_id)::int AS loads FROM yellow_taxi_data',
    )
    expect(count.rows[0]).toEqual({n: 60_000, loads: 1})
    await expectLoaded('yellow', 'yellow_taxi_data', '2021-01', file)
    const ledger = await client.query(
      `SELECT active, rows::int, source_sha256 IS NOT NULL AS has_sha, source_etag IS NOT NULL AS has_etag FROM dezc_ingest_ledger WHERE dataset = 'yellow' AND period = '2021-01' ORDER BY load_id`,
    )
    expect(ledger.rows).toEqual([
      {active: false, rows: 60_000, has_sha: true, has_etag: true},
      {active: true, rows: 60_000, has_sha: true, has_etag: true},
    ])
  })

  it('loads the 265 taxi zones from misc/ beside the trip data', async () => {
    srv.set('/misc/taxi_zone_lookup.csv', {body: Buffer.from(zonesCsv())})
    const r = await ingest(['zones'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json().loads[0]).toMatchObject({dataset: 'zones', table: 'zones', status: 'loaded', rows: 265})
    const z = await client.query(
      `SELECT count(*)::int AS n, sum("LocationID")::int AS ids, max("Zone") FILTER (WHERE "LocationID" = 7) AS z7 FROM zones`,
    )
    expect(z.rows[0]).toEqual({n: 265, ids: (265 * 266) / 2, z7: 'Zone 7 / Heights, "Park"'})
  })
})

describe('dezc ingest across schema drift', () => {
  it('loads several yellow months of different vintages in one command, each matching its source', async () => {
    const files = {
      '2019-06': await serve('yellow', '2019-06', 7000),
      '2023-03': await serve('yellow', '2023-03', 9000),
      '2025-01': await serve('yellow', '2025-01', 8000),
      '2025-02': await serve('yellow', '2025-02', 3000),
    }
    const r = await ingest([
      'yellow',
      '2019-06',
      '2023-03',
      '2025-01..2025-02',
      '--table',
      'yellowtaxidata',
      '--jobs',
      '3',
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json().loads.map((l: {period: string; rows: number}) => [l.period, l.rows])).toEqual([
      ['2019-06', 7000],
      ['2023-03', 9000],
      ['2025-01', 8000],
      ['2025-02', 3000],
    ])
    for (const [period, file] of Object.entries(files)) await expectLoaded('yellow', 'yellowtaxidata', period, file)
    const fee = await client.query(
      `SELECT count(airport_fee)::int AS a, count(cbd_congestion_fee)::int AS c FROM yellowtaxidata WHERE dezc_load_id = $1`,
      [await loadIdOf('yellowtaxidata', 'yellow', '2019-06')],
    )
    expect(fee.rows[0]).toEqual({a: 0, c: 0})
  })

  it.each([
    ['green', ['2019-10', '2023-02', '2025-01']],
    ['fhv', ['2019-02', '2023-02']],
    ['fhvhv', ['2020-04', '2025-01']],
  ] as Array<[TripDataset, string[]]>)('loads %s months with their drifted types', async (dataset, periods) => {
    const files: Record<string, string> = {}
    for (const p of periods) files[p] = await serve(dataset, p, 5000)
    const r = await ingest([dataset, ...periods])
    expect(r.code, r.stderr).toBe(0)
    for (const p of periods) await expectLoaded(dataset, `${dataset}_taxi_data`, p, files[p])
    if (dataset === 'fhv') {
      const far = await client.query(`SELECT max("dropOff_datetime")::text AS m FROM fhv_taxi_data`)
      expect(far.rows[0].m).toBe('3019-02-01 10:00:00')
    }
  })

  it('adds an unknown new column with a warning, and refuses it with --strict without changing anything', async () => {
    const extra: [string, string, string][] = [['surprise_fee', 'DOUBLE', 'CAST(i % 3 AS DOUBLE)']]
    await serve('green', '2024-01', 2000, {extraColumns: extra})
    const before = await client.query(`SELECT count(*)::int AS n FROM green_taxi_data`)
    const strict = await ingest(['green', '2024-01', '--strict'])
    expect(strict.code).toBe(1)
    expect(strict.json().error).toMatchObject({code: 'UNKNOWN_COLUMN'})
    expect(strict.json().error.message).toContain('surprise_fee')
    const cols = await client.query(
      `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'green_taxi_data' AND column_name = 'surprise_fee'`,
    )
    expect(cols.rows[0].n).toBe(0)
    expect((await client.query(`SELECT count(*)::int AS n FROM green_taxi_data`)).rows[0].n).toBe(before.rows[0].n)

    const lenient = await ingest(['green', '2024-01'])
    expect(lenient.code, lenient.stderr).toBe(0)
    expect(lenient.stderr).toMatch(/Warning: .*surprise_fee.*nullable/)
    const sum = await client.query(
      `SELECT sum(surprise_fee)::int AS s, count(*)::int AS n FROM green_taxi_data WHERE dezc_load_id = $1`,
      [await loadIdOf('green_taxi_data', 'green', '2024-01')],
    )
    expect(sum.rows[0]).toEqual({s: 1999, n: 2000})
  })

  it('loads a local --file, taking the month from its name', async () => {
    const file = path.join(dir, 'yellow_tripdata_2022-07.parquet')
    await writeTripParquet(file, 'yellow', '2022-07', 4321)
    const r = await runCli(['ingest', 'yellow', '--file', file, '--db-url', db.url, '--json', '--table', 'from_file'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json().loads[0]).toMatchObject({period: '2022-07', rows: 4321, status: 'loaded'})
    await expectLoaded('yellow', 'from_file', '2022-07', file)
  })

  it('two ingests of the same month with an empty cache: one downloads, the other waits and reuses it; the month is loaded once', async () => {
    const file = await serve('green', '2020-03', 40_000)
    srv.set('/trip-data/green_tripdata_2020-03.parquet', {file, delayMs: 800})
    const cache = fs.mkdtempSync(path.join(dir, 'shared-cache-'))
    const run = () =>
      runCli(['ingest', 'green', '2020-03', '--base-url', base, '--db-url', db.url, '--json'], {
        timeoutMs: 180_000,
        env: {DEZC_CACHE_DIR: cache},
      })
    const [a, b] = await Promise.all([run(), run()])
    expect(a.code, a.stdout + a.stderr).toBe(0)
    expect(b.code, b.stdout + b.stderr).toBe(0)
    expect(a.stderr + b.stderr).toMatch(
      /another dezc \(pid \d+\) is downloading .*green_tripdata_2020-03\.parquet; waiting for it to finish/,
    )
    const gets = srv.requests.filter(
      (q) => q.method === 'GET' && q.path === '/trip-data/green_tripdata_2020-03.parquet' && !q.range,
    )
    expect(gets).toHaveLength(1)
    const statuses = [a.json().loads[0].status, b.json().loads[0].status].sort()
    expect(statuses).toEqual(['loaded', 'skipped'])
    const {rows} = await client.query(
      "SELECT count(*)::int AS n FROM green_taxi_data WHERE dezc_load_id IN (SELECT load_id FROM dezc_ingest_ledger WHERE active AND dataset = 'green' AND period = '2020-03')",
    )
    expect(rows[0].n).toBe(40_000)
    expect(
      fs
        .readdirSync(path.join(cache, 'ingest'), {recursive: true})
        .filter((f) => String(f).endsWith('.part') || String(f).endsWith('.lock')),
    ).toEqual([])
  })
})
