/**
 * `dezc bq external|load|query` against the BigQuery **stand-in** (test/helpers/fake-bigquery.ts:
 * a loopback imitation of the BigQuery v2 REST API backed by DuckDB, not BigQuery; goccy's
 * bigquery-emulator could not be fetched here) that reads the objects from the real
 * fake-gcs-server, which `dezc lake upload` fills. What is real: Google's Node clients
 * (@google-cloud/bigquery, @google-cloud/storage), the HTTP, the parquet bytes, DuckDB reading
 * them (so row counts, a corrupt file and a schema mismatch come from the data), the transaction
 * rollback. What is not: BigQuery's SQL engine, storage, IAM and pricing.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {clearGoogleEnv, loadJobs as loadJobsOf, ok, perMonth as perMonthOf} from '../../helpers/bq-test.js'
import {runCli} from '../../helpers/cli.js'
import {FakeBigQuery} from '../../helpers/fake-bigquery.js'
import {startFakeGcs, type FakeGcs} from '../../helpers/fake-gcs.js'
import {startFileServer, type FileServer} from '../../helpers/file-server.js'
import {writeTripParquet} from '../../helpers/tlc-fixtures.js'

clearGoogleEnv()

const PROJECT = 'dezc-bq-test'
const BUCKET = 'dezc-bq-test-bucket'
const DS = 'trips_data_all'
const ROWS: Record<string, number> = {'2021-01': 20_000, '2021-02': 15_000, '2021-03': 25_000}
const TOTAL = 60_000
const STRAYS = 15 // rows of the 2021-02 file with a 2009 pickup time
let gcs: FakeGcs
let bq: FakeBigQuery
let srv: FileServer
let dir: string
let env: NodeJS.ProcessEnv

const src = (p: string) => path.join(dir, `yellow_tripdata_${p}.parquet`)
const obj = (p: string) => `yellow/yellow_tripdata_${p}.parquet`
const ref = (t: string) => `\`${PROJECT}.${DS}.${t}\``
const table = `"${DS}"."yellow_tripdata"`
const dezc = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCli(args, {env: {...env, ...extra}, cwd: dir})
const perMonth = () => perMonthOf(bq, table)
const loadJobs = () => loadJobsOf(bq)

/** Put raw bytes at an object name (what a broken tool would leave), bypassing dezc lake. */
async function putObject(name: string, bytes: Buffer): Promise<void> {
  const r = await fetch(
    `${gcs.url}/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=${encodeURIComponent(name)}`,
    {
      method: 'POST',
      headers: {'content-type': 'application/octet-stream'},
      body: new Uint8Array(bytes),
    },
  )
  if (!r.ok) throw new Error(`put ${name}: ${r.status} ${await r.text()}`)
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-bq-'))
  ;[gcs, srv] = await Promise.all([startFakeGcs(), startFileServer()])
  await gcs.createBucket(BUCKET)
  bq = new FakeBigQuery({project: PROJECT, gcsUrl: gcs.url})
  await bq.start()
  await bq.addDataset(DS, 'US')
  await bq.addDataset('eu_data', 'EU')
  for (const [p, n] of Object.entries(ROWS)) {
    const replace: Record<string, [string, string, string]> =
      p === '2021-02'
        ? {
            tpep_pickup_datetime: [
              'tpep_pickup_datetime',
              'TIMESTAMP',
              `CASE WHEN i % 1000 = 7 THEN TIMESTAMP '2009-01-01 10:00:00' ELSE TIMESTAMP '2021-02-01 00:00:00' + to_microseconds(CAST(i * 100000000 AS BIGINT)) END`,
            ],
          }
        : {}
    await writeTripParquet(src(p), 'yellow', p, n, {replace})
    srv.set(`/trip-data/yellow_tripdata_${p}.parquet`, {file: src(p)})
  }
  env = {
    GOOGLE_OAUTH_ACCESS_TOKEN: 'ya29.bq-test',
    GOOGLE_CLOUD_PROJECT: PROJECT,
    DEZC_GCS_API_ROOT: gcs.url,
    DEZC_BQ_API_ROOT: bq.url,
    DEZC_LAKE_BUCKET: BUCKET,
    DEZC_INGEST_BASE_URL: `${srv.url}/trip-data/`,
    DEZC_RETRY_BASE_MS: '50',
  }
  const up = await dezc(['lake', 'upload', 'yellow', '2021-01..2021-03', '--json'])
  if (up.code !== 0) throw new Error(`lake upload failed: ${up.stderr}\n${up.stdout}`)
  expect(up.json().uploads.map((u: any) => u.rows)).toEqual(Object.values(ROWS))
})

afterAll(async () => {
  await bq?.stop()
  await gcs?.stop()
  await srv?.close()
  if (dir) fs.rmSync(dir, {recursive: true, force: true})
})

describe('dezc bq against the BigQuery stand-in and fake-gcs-server', () => {
  it('bq external: one external table over gs://<bucket>/yellow/*.parquet whose row count is the three months', async () => {
    const r = await dezc(['bq', 'external', 'yellow', '--json'])
    ok(r)
    const res = r.json()
    expect(res).toMatchObject({
      table: 'yellow_tripdata_external',
      uri: `gs://${BUCKET}/yellow/*.parquet`,
      months: ['2021-01', '2021-02', '2021-03'],
      rows: TOTAL,
      location: 'US',
      bucketLocation: 'US-CENTRAL1',
    })
    expect(bq.tableMeta(DS, 'yellow_tripdata_external')).toMatchObject({
      type: 'EXTERNAL',
      uris: [`gs://${BUCKET}/yellow/*.parquet`],
    })
    // Every BigQuery call carried the credential.
    expect(bq.requests.every((q) => q.authorization === 'Bearer ya29.bq-test')).toBe(true)
    const q = await dezc(['bq', 'query', `SELECT COUNT(*) AS n FROM ${ref('yellow_tripdata_external')}`, '--json'])
    ok(q)
    expect(q.json().rows).toEqual([{n: TOTAL}])
    // Created or replaced: a second run works and still counts the same.
    const again = await dezc(['bq', 'external', 'yellow', '--json'])
    ok(again)
    expect(again.json().rows).toBe(TOTAL)
  })

  it('bq load: a partitioned, clustered native table with exactly the source rows, one load job per month', async () => {
    bq.clear()
    const r = await dezc(['bq', 'load', 'yellow', '2021-01..2021-03', '--json'])
    ok(r)
    const res = r.json()
    expect(res.months.map((m: any) => [m.period, m.status, m.rows])).toEqual(
      Object.entries(ROWS).map(([p, n]) => [p, 'loaded', n]),
    )
    expect(res).toMatchObject({
      table: 'yellow_tripdata',
      tableRows: TOTAL,
      totals: {loaded: 3, skipped: 0, rows: TOTAL},
      partitioning: {type: 'DAY', field: 'tpep_pickup_datetime'},
      clustering: ['VendorID'],
    })
    expect(loadJobs().map((j) => j.body.configuration.load.sourceUris)).toEqual(
      Object.keys(ROWS).map((p) => [`gs://${BUCKET}/${obj(p)}`]),
    )
    expect(bq.tableMeta(DS, 'yellow_tripdata')).toMatchObject({
      partitioning: {type: 'DAY', field: 'tpep_pickup_datetime'},
      clustering: ['VendorID'],
    })
    expect(await perMonth()).toEqual(ROWS)
    // The rows are the source rows: aggregates of the table's month against the TLC file.
    for (const p of Object.keys(ROWS)) {
      const agg = `count(passenger_count) AS pc, sum(CAST(round(total_amount * 100) AS BIGINT)) AS cents, sum(epoch_us(tpep_pickup_datetime)) AS us`
      const [fromTable] = await bq.sql(`SELECT ${agg} FROM ${table} WHERE dezc_month = '${p}'`)
      const [fromFile] = await bq.sql(`SELECT ${agg} FROM read_parquet('${src(p)}')`)
      expect(fromTable).toEqual(fromFile)
    }
    // No staging table is left behind; the ledger has one row per month.
    expect(
      Object.keys(ROWS).map((p) => bq.tableMeta(DS, `yellow_tripdata__dezc_staging_${p.replace('-', '_')}`)),
    ).toEqual([undefined, undefined, undefined])
    const ledger = await bq.sql(`SELECT month, row_count FROM "${DS}"."dezc_bq_ledger" ORDER BY month`)
    expect(ledger.map((l) => [l.month, Number(l.row_count)])).toEqual(Object.entries(ROWS))
  })

  it('a re-run loads nothing: every month skipped, no load job', async () => {
    bq.clear()
    const r = await dezc(['bq', 'load', 'yellow', '2021-01..2021-03', '--json'])
    ok(r)
    expect(r.json().months.map((m: any) => m.status)).toEqual(['skipped', 'skipped', 'skipped'])
    expect(r.json().totals).toMatchObject({loaded: 0, skipped: 3, rows: 0})
    expect(loadJobs()).toEqual([])
    expect(await perMonth()).toEqual(ROWS)
  })

  it('--force replaces exactly that month (its stray-dated rows too), the other months untouched', async () => {
    expect(
      Number((await bq.sql(`SELECT count(*) AS n FROM ${table} WHERE year(tpep_pickup_datetime) = 2009`))[0].n),
    ).toBe(STRAYS)
    // A republished February: fewer rows, no stray timestamps.
    await writeTripParquet(src('2021-02'), 'yellow', '2021-02', 12_000)
    const up = await dezc(['lake', 'upload', 'yellow', '2021-02', '--force', '--no-cache', '--json'])
    ok(up)
    // Without --force the changed object is noticed but not reloaded.
    const skip = await dezc(['bq', 'load', 'yellow', '2021-02', '--json'])
    ok(skip)
    expect(skip.json().months[0].status).toBe('skipped')
    expect(skip.envelope().warnings.join('\n')).toMatch(/changed since it was loaded.*--force reloads it/)
    const before = await bq.sql(
      `SELECT sum(epoch_us(tpep_pickup_datetime)) AS s FROM ${table} WHERE dezc_month <> '2021-02'`,
    )
    bq.clear()
    const r = await dezc(['bq', 'load', 'yellow', '2021-02', '--force', '--json'])
    ok(r)
    expect(r.json().months.map((m: any) => [m.period, m.status, m.rows])).toEqual([['2021-02', 'replaced', 12_000]])
    expect(r.json().tableRows).toBe(TOTAL - ROWS['2021-02'] + 12_000)
    expect(loadJobs()).toHaveLength(1)
    expect(await perMonth()).toEqual({...ROWS, '2021-02': 12_000})
    expect(
      Number((await bq.sql(`SELECT count(*) AS n FROM ${table} WHERE year(tpep_pickup_datetime) = 2009`))[0].n),
    ).toBe(0)
    expect(
      await bq.sql(`SELECT sum(epoch_us(tpep_pickup_datetime)) AS s FROM ${table} WHERE dezc_month <> '2021-02'`),
    ).toEqual(before)
  })

  it('a failing job leaves the table and the ledger as they were (corrupt object; object with a missing column)', async () => {
    const table0 = await perMonth()
    const ledger0 = await bq.sql(`SELECT * FROM "${DS}"."dezc_bq_ledger" ORDER BY month`)
    await putObject(obj('2021-03'), Buffer.from('PAR1 this is not parquet at all PAR1'))
    const corrupt = await dezc(['bq', 'load', 'yellow', '2021-03', '--force', '--json'])
    expect(corrupt.code).toBe(1)
    expect(corrupt.json().error).toMatchObject({code: 'BQ_JOB_FAILED'})
    expect(corrupt.json().error.message).toMatch(/Error while reading data/)
    expect(corrupt.json().error.suggestions.join(' ')).toContain('Nothing was replaced')
    expect(await perMonth()).toEqual(table0)

    // A file without fare_amount: the load job succeeds, the replacement's INSERT fails, the transaction rolls back.
    const noFare = path.join(dir, 'no-fare.parquet')
    await bq.sql(
      `COPY (SELECT * EXCLUDE (fare_amount) FROM read_parquet('${src('2021-03')}')) TO '${noFare}' (FORMAT parquet)`,
    )
    await putObject(obj('2021-03'), fs.readFileSync(noFare))
    const half = await dezc(['bq', 'load', 'yellow', '2021-03', '--force', '--json'])
    expect(half.code).toBe(1)
    expect(half.json().error).toMatchObject({code: 'BQ_JOB_FAILED'})
    expect(half.json().error.message).toMatch(/fare_amount/)
    expect(await perMonth()).toEqual(table0)
    expect(await bq.sql(`SELECT * FROM "${DS}"."dezc_bq_ledger" ORDER BY month`)).toEqual(ledger0)
    expect(bq.tableMeta(DS, 'yellow_tripdata__dezc_staging_2021_03')).toBeUndefined()

    const restore = await dezc(['lake', 'upload', 'yellow', '2021-03', '--force', '--json'])
    ok(restore)
  })

  it('bq query --dry-run prints the bytes it would scan and the cost, and runs nothing', async () => {
    const jobs = bq.jobs.size
    const sql = `SELECT SUM(fare_amount) AS fare FROM ${ref('yellow_tripdata')}`
    const r = await dezc(['bq', 'query', sql, '--dry-run', '--json'])
    ok(r)
    const res = r.json()
    const nonNull = Number((await bq.sql(`SELECT count(fare_amount) AS n FROM ${table}`))[0].n)
    expect(res).toMatchObject({dryRun: true, bytesProcessed: 8 * nonNull, usdPerTib: 6.25})
    expect(res.costUsd).toBeCloseTo((8 * nonNull * 6.25) / 2 ** 40, 3)
    expect(res.command).toContain('--dry_run')
    expect(bq.jobs.size).toBe(jobs)
    const human = await dezc(['bq', 'query', sql, '--dry-run', '--usd-per-tib', '5'])
    ok(human)
    expect(human.stdout).toMatch(
      new RegExp(`would process .*\\(${(8 * nonNull).toLocaleString('en-US')} bytes\\).*at 5/TiB`),
    )
    // The external table: BigQuery cannot estimate it either.
    const ext = await dezc([
      'bq',
      'query',
      `SELECT SUM(fare_amount) FROM ${ref('yellow_tripdata_external')}`,
      '--dry-run',
      '--json',
    ])
    expect(ext.json().bytesProcessed).toBe(0)
  })

  it('bq query runs and prints rows; bad SQL is BQ_INVALID_QUERY', async () => {
    const r = await dezc([
      'bq',
      'query',
      `SELECT dezc_month, COUNT(*) AS n FROM ${ref('yellow_tripdata')} GROUP BY 1 ORDER BY 1`,
    ])
    ok(r)
    expect(r.stdout).toMatch(/2021-01\s+20000/)
    expect(r.stdout).toContain('3 rows')
    const bad = await dezc(['bq', 'query', `SELECT no_such_column FROM ${ref('yellow_tripdata')}`, '--json'])
    expect(bad.code).toBe(1)
    expect(bad.json().error.code).toBe('BQ_INVALID_QUERY')
  })

  it('bq load --dry-run shows skip/load per month and the bq commands', async () => {
    const r = await dezc(['bq', 'load', 'yellow', '2021-02..2021-04', '--dry-run', '--json'])
    ok(r)
    const plan = r.json()
    expect(plan.ledgerRead).toBe(true)
    expect(plan.steps.map((s: any) => [s.period, s.action])).toEqual([
      ['2021-02', 'skip'],
      ['2021-03', 'skip'],
      ['2021-04', 'load'],
    ])
    expect(plan.commands.join('\n')).toContain(
      `load --source_format=PARQUET --replace ${DS}.yellow_tripdata__dezc_staging_2021_04 gs://${BUCKET}/${obj('2021-04')}`,
    )
  })

  it('a month not uploaded is an error naming it and the upload command; nothing runs', async () => {
    bq.clear()
    const r = await dezc(['bq', 'load', 'yellow', '2021-03..2021-04', '--json'])
    expect(r.code).toBe(1)
    expect(r.json().error).toMatchObject({code: 'BQ_MONTH_NOT_UPLOADED', details: {missing: ['2021-04']}})
    expect(r.json().error.suggestions).toContain('Upload it first: dezc lake upload yellow 2021-04')
    expect(bq.requests.filter((q) => q.method === 'POST')).toEqual([])
  })

  it('a bucket and a dataset in different locations is an error naming both', async () => {
    const r = await dezc(['bq', 'load', 'yellow', '2021-01', '--bq-dataset', 'eu_data'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('[BQ_LOCATION_MISMATCH]')
    expect(r.stderr).toContain(`gs://${BUCKET} is in US-CENTRAL1`)
    expect(r.stderr).toContain(`${PROJECT}:eu_data in EU`)
    const ext = await dezc(['bq', 'external', 'yellow', '--bq-dataset', 'eu_data', '--json'])
    expect(ext.json().error).toMatchObject({
      code: 'BQ_LOCATION_MISMATCH',
      details: {bucketLocation: 'US-CENTRAL1', datasetLocation: 'EU'},
    })
  })

  it('a missing dataset is BQ_DATASET_NOT_FOUND with the fix', async () => {
    const r = await dezc(['bq', 'load', 'yellow', '2021-01', '--bq-dataset', 'no_such_dataset'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('[BQ_DATASET_NOT_FOUND]')
    expect(r.stderr).toContain(`${PROJECT}:no_such_dataset does not exist`)
    expect(r.stderr).toContain('dezc tf apply')
    expect(r.stderr).not.toMatch(/^\s+at /m)
  })

  it('an expired token (the stand-in answers 401 as Google does) is NOT_AUTHENTICATED with the login fix, exit 4; the table is unchanged', async () => {
    const before = await perMonth()
    bq.expiredTokens.add('ya29.expired')
    const r = await dezc(['bq', 'load', 'yellow', '2021-01', '--force', '--json'], {
      GOOGLE_OAUTH_ACCESS_TOKEN: 'ya29.expired',
    })
    expect(r.code).toBe(4)
    const e = r.json().error
    expect(e.code).toBe('NOT_AUTHENTICATED')
    expect(e.message).toContain('401')
    expect(e.suggestions.join(' ')).toContain('gcloud auth application-default login')
    expect(r.stdout + r.stderr).not.toContain('ya29.expired')
    expect(await perMonth()).toEqual(before)
  })

  it('a 403 naming a permission becomes PERMISSION_DENIED naming the role that grants it (BigQuery Job User); the table is unchanged', async () => {
    const before = await perMonth()
    bq.deny = 'bigquery.jobs.create'
    try {
      const r = await dezc(['bq', 'load', 'yellow', '2021-01', '--force', '--json'])
      expect(r.code).toBe(4)
      const e = r.json().error
      expect(e.code).toBe('PERMISSION_DENIED')
      expect(e.message).toContain('BigQuery Job User (bigquery.jobs.create)')
      expect(e.details).toMatchObject({permission: 'bigquery.jobs.create', role: 'roles/bigquery.jobUser'})
      expect(e.suggestions.join(' ')).toContain('--role=roles/bigquery.jobUser')
    } finally {
      bq.deny = undefined
    }
    expect(await perMonth()).toEqual(before)
  })
})
