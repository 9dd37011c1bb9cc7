/**
 * Atomicity, bounded concurrency and the csv.gz backup source, through the built CLI against a
 * private PostgreSQL 15 and loopback mirrors:
 * - `--force` replaces exactly one period, and readers see the old rows until the commit;
 * - a load killed with SIGKILL (no chance to clean up) leaves the table and the ledger as they were;
 * - several periods with `--jobs 2` never have more than two downloads in flight;
 * - `--source backup` loads the course's csv.gz layout (pandas floats such as "1.0" in integer columns).
 */
import fs from 'node:fs'
import path from 'node:path'
import type {ChildProcess} from 'node:child_process'
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli, type CliResult} from '../../helpers/cli.js'
import {startFileServer, type FileServer} from '../../helpers/file-server.js'
import {startIngestFixture, stopIngestFixture} from '../../helpers/ingest-fixture.js'
import type {PgServer} from '../../helpers/postgres.js'
import {
  CANONICAL_KINDS,
  sourceAggregates,
  tableAggregates,
  writeTripCsvGz,
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
  server: FileServer,
  dataset: TripDataset,
  period: string,
  rows: number,
  options: {name?: string; delayMs?: number} = {},
): Promise<string> {
  const file = path.join(dir, options.name ?? `${dataset}_tripdata_${period}.parquet`)
  await writeTripParquet(file, dataset, period, rows)
  server.set(`/trip-data/${dataset}_tripdata_${period}.parquet`, {file, delayMs: options.delayMs})
  return file
}

const ingest = (args: string[], options: Parameters<typeof runCli>[1] = {}) =>
  runCli(['ingest', ...args, '--base-url', base, '--db-url', db.url, '--json'], {timeoutMs: 180_000, ...options})

async function activeLoad(table: string, dataset: string, period: string): Promise<number | undefined> {
  const r = await client.query(
    'SELECT load_id FROM dezc_ingest_ledger WHERE active AND table_name = $1 AND dataset = $2 AND period = $3',
    [table, dataset, period],
  )
  return r.rows[0] ? Number(r.rows[0].load_id) : undefined
}

async function aggregatesOf(dataset: TripDataset, table: string, period: string) {
  return tableAggregates(
    client,
    table,
    CANONICAL_KINDS[dataset],
    `dezc_load_id = ${await activeLoad(table, dataset, period)}`,
  )
}

/** Calls `during(child)` once, as soon as the CLI's COPY has sent rows to the server. */
function whenCopying(during: (child: ChildProcess) => Promise<void> | void): {
  onSpawn: (child: ChildProcess) => void
  fired: () => boolean
} {
  let fired = false
  let busy = false
  const watcher = new pg.Client({connectionString: db.url})
  const ready = watcher.connect()
  return {
    fired: () => fired,
    onSpawn: (child) => {
      const poll = setInterval(async () => {
        if (busy || fired) return
        busy = true
        await ready
        const p = await watcher
          .query(`SELECT tuples_processed FROM pg_stat_progress_copy`)
          .catch(() => ({rows: [] as Array<{tuples_processed: string}>}))
        busy = false
        if (fired || p.rows.length === 0 || Number(p.rows[0].tuples_processed) === 0) return
        fired = true
        clearInterval(poll)
        await during(child)
      }, 25)
      child.on('close', () => {
        clearInterval(poll)
        void ready.then(() => watcher.end()).catch(() => {})
      })
    },
  }
}

/** Wait until the server has ended the killed CLI's session (and so rolled its transaction back). */
async function backendGone(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await client.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'dezc ingest'`,
    )
    if (r.rows[0].n === 0) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error("the killed CLI's database session never ended")
}

async function ledger(table: string) {
  return (
    await client.query(
      'SELECT load_id::int, period, active, rows::int FROM dezc_ingest_ledger WHERE table_name = $1 ORDER BY load_id',
      [table],
    )
  ).rows
}

function ok(r: CliResult) {
  expect(r.code, r.stdout + r.stderr).toBe(0)
  return r.json()
}

beforeAll(async () => {
  ;({db, srv, client, dir, base} = await startIngestFixture('dezc-ingest-atomic-'))
})

afterAll(() => stopIngestFixture({db, srv, client, dir}))

describe('--force replaces exactly one period, atomically', () => {
  it('replaces 2021-01 only; readers see the old rows until the commit; 2021-02 keeps its load', async () => {
    await serve(srv, 'green', '2021-01', 400_000)
    const feb = await serve(srv, 'green', '2021-02', 3000)
    const first = ok(await ingest(['green', '2021-01..2021-02']))
    expect(
      first.loads.map((l: {period: string; status: string; rows: number}) => [l.period, l.status, l.rows]),
    ).toEqual([
      ['2021-01', 'loaded', 400_000],
      ['2021-02', 'loaded', 3000],
    ])
    const janId = (await activeLoad('green_taxi_data', 'green', '2021-01'))!
    const febId = (await activeLoad('green_taxi_data', 'green', '2021-02'))!
    const febBefore = await aggregatesOf('green', 'green_taxi_data', '2021-02')

    // The month is republished with a different row count; the changed ETag makes dezc fetch it again.
    const jan2 = await serve(srv, 'green', '2021-01', 350_000, {name: 'green-2021-01-v2.parquet'})
    const seen: Array<{jan: number; total: number}> = []
    const reader = new pg.Client({connectionString: db.url})
    await reader.connect()
    const w = whenCopying(async () => {
      for (let i = 0; i < 3; i++) {
        const r = await reader.query(
          `SELECT count(*) FILTER (WHERE dezc_load_id = $1)::int AS jan, count(*)::int AS total FROM green_taxi_data`,
          [janId],
        )
        seen.push(r.rows[0])
      }
    })
    const forced = ok(await ingest(['green', '2021-01', '--force'], {onSpawn: w.onSpawn}))
    await reader.end()
    expect(w.fired()).toBe(true)
    expect(seen.length).toBeGreaterThan(0)
    for (const s of seen) expect(s).toEqual({jan: 400_000, total: 403_000})

    expect(forced.loads[0]).toMatchObject({period: '2021-01', status: 'replaced', rows: 350_000, replacedLoadId: janId})
    const newJan = (await activeLoad('green_taxi_data', 'green', '2021-01'))!
    expect(newJan).not.toBe(janId)
    expect(await aggregatesOf('green', 'green_taxi_data', '2021-01')).toEqual(
      await sourceAggregates(jan2, CANONICAL_KINDS.green),
    )
    expect(await activeLoad('green_taxi_data', 'green', '2021-02')).toBe(febId)
    expect(await aggregatesOf('green', 'green_taxi_data', '2021-02')).toEqual(febBefore)
    expect(febBefore).toEqual(await sourceAggregates(feb, CANONICAL_KINDS.green))
    const counts = await client.query(
      `SELECT dezc_load_id::int AS id, count(*)::int AS n FROM green_taxi_data GROUP BY 1 ORDER BY 1`,
    )
    expect(counts.rows).toEqual([
      {id: febId, n: 3000},
      {id: newJan, n: 350_000},
    ])
  }, 300_000)
})

describe('a load killed with SIGKILL changes nothing', () => {
  it('mid --force: the period keeps its previous rows and load; a re-run skips it', async () => {
    const before = await ledger('green_taxi_data')
    const janId = (await activeLoad('green_taxi_data', 'green', '2021-01'))!
    // A bigger republished file, so the COPY is surely in flight when the kill lands.
    await serve(srv, 'green', '2021-01', 900_000, {name: 'green-2021-01-v3.parquet'})
    const w = whenCopying((child) => void child.kill('SIGKILL'))
    const killed = await ingest(['green', '2021-01', '--force'], {onSpawn: w.onSpawn})
    expect(w.fired()).toBe(true)
    expect(killed.code).toBeNull() // died of the signal, no cleanup ran
    await backendGone()
    expect(await ledger('green_taxi_data')).toEqual(before)
    const counts = await client.query(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE dezc_load_id = $1)::int AS jan FROM green_taxi_data`,
      [janId],
    )
    expect(counts.rows[0]).toEqual({n: 353_000, jan: 350_000})
    const again = ok(await ingest(['green', '2021-01']))
    expect(again.loads[0]).toMatchObject({status: 'skipped', rows: 350_000, loadId: janId})
  }, 300_000)

  it('mid first load: the new table is not left behind; a re-run loads every row', async () => {
    const file = await serve(srv, 'yellow', '2021-03', 900_000)
    const w = whenCopying((child) => void child.kill('SIGKILL'))
    const killed = await ingest(['yellow', '2021-03', '--table', 'killed_first'], {onSpawn: w.onSpawn})
    expect(w.fired()).toBe(true)
    expect(killed.code).toBeNull()
    await backendGone()
    expect((await client.query(`SELECT to_regclass('killed_first') AS t`)).rows[0].t).toBeNull()
    expect(await ledger('killed_first')).toEqual([])
    const rerun = ok(await ingest(['yellow', '2021-03', '--table', 'killed_first']))
    // Row groups load as they arrive, so the kill may land before the download finished: the
    // re-run then resumes it (fromCache false) instead of reading the cached file.
    expect(rerun.loads[0]).toMatchObject({status: 'loaded', rows: 900_000, bytes: fs.statSync(file).size})
    expect(await aggregatesOf('yellow', 'killed_first', '2021-03')).toEqual(
      await sourceAggregates(file, CANONICAL_KINDS.yellow),
    )
  }, 300_000)
})

describe('several periods with bounded concurrency', () => {
  it('--jobs 2 keeps at most two downloads in flight and loads every month', async () => {
    const slow = await startFileServer({missingStatus: 403})
    try {
      const files: string[] = []
      for (const m of ['01', '02', '03', '04', '05'])
        files.push(await serve(slow, 'fhv', `2022-${m}`, 2000 + Number(m), {delayMs: 400}))
      const r = ok(
        await runCli(
          [
            'ingest',
            'fhv',
            '2022-01..2022-05',
            '--jobs',
            '2',
            '--base-url',
            `${slow.url}/trip-data/`,
            '--db-url',
            db.url,
            '--json',
          ],
          {timeoutMs: 180_000},
        ),
      )
      expect(slow.maxInFlight).toBe(2)
      expect(r.loads.map((l: {period: string; rows: number}) => `${l.period}:${l.rows}`)).toEqual([
        '2022-01:2001',
        '2022-02:2002',
        '2022-03:2003',
        '2022-04:2004',
        '2022-05:2005',
      ])
      for (const [i, file] of files.entries())
        expect(await aggregatesOf('fhv', 'fhv_taxi_data', `2022-0${i + 1}`)).toEqual(
          await sourceAggregates(file, CANONICAL_KINDS.fhv),
        )
    } finally {
      await slow.close()
    }
  }, 300_000)
})

describe('--source backup (the course csv.gz releases)', () => {
  it('loads yellow csv.gz months and the zone CSV from the backup layout, matching the parquet aggregates', async () => {
    const mirror = await startFileServer({missingStatus: 403})
    try {
      const parquets: string[] = []
      for (const p of ['2019-01', '2021-01']) {
        const parquet = path.join(dir, `backup-yellow-${p}.parquet`)
        await writeTripParquet(parquet, 'yellow', p, 25_000)
        const gz = path.join(dir, `yellow_tripdata_${p}.csv.gz`)
        await writeTripCsvGz(parquet, gz)
        mirror.set(`/download/yellow/yellow_tripdata_${p}.csv.gz`, {file: gz})
        parquets.push(parquet)
      }
      mirror.set('/download/misc/taxi_zone_lookup.csv', {body: Buffer.from(zonesCsv())})
      const args = ['--source', 'backup', '--base-url', `${mirror.url}/download/`, '--db-url', db.url, '--json']
      const r = ok(
        await runCli(['ingest', 'yellow', '2019-01', '2021-01', '--table', 'yellow_backup', ...args], {
          timeoutMs: 180_000,
        }),
      )
      expect(
        r.loads.map((l: {period: string; status: string; rows: number; source: string}) => [
          l.period,
          l.status,
          l.rows,
          l.source,
        ]),
      ).toEqual([
        ['2019-01', 'loaded', 25_000, `${mirror.url}/download/yellow/yellow_tripdata_2019-01.csv.gz`],
        ['2021-01', 'loaded', 25_000, `${mirror.url}/download/yellow/yellow_tripdata_2021-01.csv.gz`],
      ])
      expect(await aggregatesOf('yellow', 'yellow_backup', '2019-01')).toEqual(
        await sourceAggregates(parquets[0], CANONICAL_KINDS.yellow),
      )
      expect(await aggregatesOf('yellow', 'yellow_backup', '2021-01')).toEqual(
        await sourceAggregates(parquets[1], CANONICAL_KINDS.yellow),
      )
      const types = await client.query(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'yellow_backup' AND column_name IN ('passenger_count', 'tpep_pickup_datetime')  ORDER BY 1`,
      )
      expect(types.rows).toEqual([
        {column_name: 'passenger_count', data_type: expect.stringMatching(/integer|smallint|bigint/)},
        {column_name: 'tpep_pickup_datetime', data_type: 'timestamp without time zone'},
      ])
      const zones = ok(await runCli(['ingest', 'zones', '--table', 'zones_backup', ...args]))
      expect(zones.loads[0]).toMatchObject({
        status: 'loaded',
        rows: 265,
        source: `${mirror.url}/download/misc/taxi_zone_lookup.csv`,
      })
      const again = ok(await runCli(['ingest', 'zones', '--table', 'zones_backup', ...args]))
      expect(again.loads[0]).toMatchObject({status: 'skipped', rows: 265})
    } finally {
      await mirror.close()
    }
  }, 300_000)
})
