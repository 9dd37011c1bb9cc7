/**
 * `dezc ingest --to bigquery` against the BigQuery **stand-in** (test/helpers/fake-bigquery.ts: a
 * loopback imitation of the BigQuery v2 REST API backed by DuckDB, not BigQuery) reading the real
 * fake-gcs-server. The one-step path: download (the loopback file server as the TLC), normalise
 * (DuckDB), upload (the real fake-gcs-server through @google-cloud/storage), load job + one
 * transaction per month (@google-cloud/bigquery). Rows, counts and aggregates come from the data.
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
import {CANONICAL_KINDS, sourceAggregates, writeTripCsvGz, writeTripParquet} from '../../helpers/tlc-fixtures.js'

clearGoogleEnv()

/** The real dbt-core + dbt-bigquery of scripts/ensure-dbt.sh. */
const DBT = path.join(process.env.DEZC_TEST_DBT_DIR ?? '/var/cache/dezc-test/dbt', 'venv', 'bin', 'dbt')
const PROJECT = 'dezc-ingest-bq'
const BUCKET = 'dezc-ingest-bq-bucket'
const DS = 'trips_data_all'
const ROWS: Record<string, number> = {'2021-01': 12_000, '2021-02': 9_000, '2021-03': 7_000}
let gcs: FakeGcs
let bq: FakeBigQuery
let srv: FileServer
let dir: string
let env: NodeJS.ProcessEnv

const src = (p: string) => path.join(dir, `yellow_tripdata_${p}.parquet`)
const obj = (p: string) => `yellow/yellow_tripdata_${p}.parquet`
const table = `"${DS}"."yellow_tripdata"`
const dezc = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCli(args, {env: {...env, ...extra}, cwd: dir})
const loadJobs = () => loadJobsOf(bq)
const perMonth = () => perMonthOf(bq, table)
/** The month's rows as BigQuery holds them, written to parquet by the stand-in's DuckDB, then aggregated like the source. */
async function monthAggregates(p: string) {
  const out = path.join(dir, `from-bq-${p}.parquet`)
  await bq.sql(
    `COPY (SELECT * EXCLUDE (dezc_month) FROM ${table} WHERE dezc_month = '${p}') TO '${out}' (FORMAT parquet)`,
  )
  return sourceAggregates(out, CANONICAL_KINDS.yellow)
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-ingest-bq-'))
  ;[gcs, srv] = await Promise.all([startFakeGcs(), startFileServer()])
  await gcs.createBucket(BUCKET)
  bq = new FakeBigQuery({project: PROJECT, gcsUrl: gcs.url})
  await bq.start()
  await bq.addDataset(DS, 'US')
  for (const [p, n] of Object.entries(ROWS)) {
    await writeTripParquet(src(p), 'yellow', p, n)
    srv.set(`/trip-data/yellow_tripdata_${p}.parquet`, {file: src(p)})
  }
  env = {
    GOOGLE_OAUTH_ACCESS_TOKEN: 'ya29.ingest-bq',
    GOOGLE_CLOUD_PROJECT: PROJECT,
    DEZC_GCS_API_ROOT: gcs.url,
    DEZC_BQ_API_ROOT: bq.url,
    DEZC_LAKE_BUCKET: BUCKET,
    DEZC_INGEST_BASE_URL: `${srv.url}/trip-data/`,
    DEZC_CACHE_DIR: path.join(dir, 'cache'),
    DEZC_RETRY_BASE_MS: '50',
  }
})

afterAll(async () => {
  await bq?.stop()
  await gcs?.stop()
  await srv?.close()
  if (dir) fs.rmSync(dir, {recursive: true, force: true})
})

describe('dezc ingest --to bigquery (BigQuery stand-in + real fake-gcs-server)', () => {
  it('downloads, normalises, uploads and loads two months: one canonical object and one load job each; counts and aggregates match the files', async () => {
    bq.clear()
    const r = await dezc(['ingest', 'yellow', '2021-01..2021-02', '--to', 'bigquery', '--source', 'tlc', '--json'])
    ok(r)
    const res = r.json()
    expect(res.table).toBe('yellow_tripdata')
    expect(res.target).toContain(`${PROJECT}:${DS}`)
    expect(res.loads.map((l: any) => [l.period, l.status, l.rows])).toEqual([
      ['2021-01', 'loaded', ROWS['2021-01']],
      ['2021-02', 'loaded', ROWS['2021-02']],
    ])
    expect(await perMonth()).toEqual({'2021-01': ROWS['2021-01'], '2021-02': ROWS['2021-02']})
    for (const p of ['2021-01', '2021-02'])
      expect(await monthAggregates(p)).toEqual(await sourceAggregates(src(p), CANONICAL_KINDS.yellow))
    // The lake holds the canonical month, as dezc lake upload writes it.
    for (const p of ['2021-01', '2021-02'])
      expect((await gcs.object(BUCKET, obj(p)))?.metadata).toMatchObject({
        'dezc-layout': 'canonical',
        'dezc-rows': String(ROWS[p]),
      })
    // One load job per month (loads run one at a time, in the order downloads finish).
    expect(
      loadJobs()
        .map((j) => j.body.configuration.load.sourceUris)
        .sort(),
    ).toEqual([[`gs://${BUCKET}/${obj('2021-01')}`], [`gs://${BUCKET}/${obj('2021-02')}`]])
    const ledger = await bq.sql(`SELECT month, row_count FROM "${DS}"."dezc_bq_ledger" ORDER BY month`)
    expect(ledger.map((x) => [x.month, Number(x.row_count)])).toEqual([
      ['2021-01', ROWS['2021-01']],
      ['2021-02', ROWS['2021-02']],
    ])
  })

  it('a re-run skips both months before downloading: no file request, no upload, no load job, only the ledger read', async () => {
    bq.clear()
    const files = srv.requests.length
    const gen = (await gcs.object(BUCKET, obj('2021-01')))!.generation
    const r = await dezc(['ingest', 'yellow', '2021-01..2021-02', '--to', 'bigquery', '--source', 'tlc', '--json'])
    ok(r)
    expect(r.json().loads.map((l: any) => [l.status, l.rows])).toEqual([
      ['skipped', ROWS['2021-01']],
      ['skipped', ROWS['2021-02']],
    ])
    expect(srv.requests.length).toBe(files)
    const jobs = bq.requests.filter((q) => q.method === 'POST' && q.body?.configuration)
    expect(jobs.map((q) => q.body.configuration.query?.query ?? 'load')).toEqual([
      expect.stringMatching(/^SELECT month, row_count, generation, source_uri FROM `[^`]+\.dezc_bq_ledger`/),
    ])
    expect((await gcs.object(BUCKET, obj('2021-01')))!.generation).toBe(gen)
    expect(await perMonth()).toEqual({'2021-01': ROWS['2021-01'], '2021-02': ROWS['2021-02']})
  })

  it('shares the ledger with dezc bq load: bq load of the same months loads nothing', async () => {
    bq.clear()
    const r = await dezc(['bq', 'load', 'yellow', '2021-01..2021-02', '--json'])
    ok(r)
    expect(r.json().months.map((m: any) => m.status)).toEqual(['skipped', 'skipped'])
    expect(loadJobs()).toEqual([])
  })

  it('--dry-run reads the ledger (skip / load per month), prints the manual commands and changes nothing', async () => {
    bq.clear()
    const objects = (await gcs.list(BUCKET)).length
    const r = await dezc([
      'ingest',
      'yellow',
      '2021-01..2021-03',
      '--to',
      'bigquery',
      '--source',
      'tlc',
      '--dry-run',
      '--json',
    ])
    ok(r)
    const plan = r.json()
    expect(plan.ledgerRead).toBe(true)
    expect(plan.steps.map((x: any) => [x.period, x.action])).toEqual([
      ['2021-01', 'skip'],
      ['2021-02', 'skip'],
      ['2021-03', 'load'],
    ])
    expect(plan.commands.join('\n')).toContain(
      `gcloud storage cp yellow_tripdata_2021-03.parquet gs://${BUCKET}/${obj('2021-03')}`,
    )
    expect(plan.commands.join('\n')).toContain(
      'bq --project_id=dezc-ingest-bq --location=LOCATION load --source_format=PARQUET',
    )
    expect(loadJobs()).toEqual([])
    expect((await gcs.list(BUCKET)).length).toBe(objects)
  })

  it('a csv.gz file (the course backup layout) goes through the same normalisation into the same table', async () => {
    const gz = path.join(dir, 'yellow_tripdata_2021-03.csv.gz')
    await writeTripCsvGz(src('2021-03'), gz)
    const r = await dezc(['ingest', 'yellow', '2021-03', '--file', gz, '--to', 'bigquery', '--json'])
    ok(r)
    expect(r.json().loads.map((l: any) => [l.period, l.status, l.rows])).toEqual([
      ['2021-03', 'loaded', ROWS['2021-03']],
    ])
    expect(await monthAggregates('2021-03')).toEqual(await sourceAggregates(src('2021-03'), CANONICAL_KINDS.yellow))
  })

  it('--force replaces exactly that month (the others untouched)', async () => {
    const before = await monthAggregates('2021-01')
    bq.clear()
    const r = await dezc(['ingest', 'yellow', '2021-02', '--to', 'bigquery', '--source', 'tlc', '--force', '--json'])
    ok(r)
    expect(r.json().loads.map((l: any) => l.status)).toEqual(['replaced'])
    expect(loadJobs()).toHaveLength(1)
    expect(await perMonth()).toEqual(ROWS)
    expect(await monthAggregates('2021-01')).toEqual(before)
  })

  it('dezc dbt init --target bigquery reads what was loaded from dezc_bq_ledger and writes the BigQuery profile', async () => {
    const home = path.join(dir, 'home')
    fs.mkdirSync(home, {recursive: true})
    const r = await dezc(['dbt', 'init', '--target', 'bigquery', '--dir', 'dbt-bq', '--json'], {HOME: home})
    ok(r)
    const res = r.json()
    expect(res.target).toBe('bigquery')
    expect(res.sources.map((x: any) => [x.table, x.dataset, x.periods, x.rows])).toEqual([
      [
        'yellow_tripdata',
        'yellow',
        ['2021-01', '2021-02', '2021-03'],
        ROWS['2021-01'] + ROWS['2021-02'] + ROWS['2021-03'],
      ],
    ])
    const profile = fs.readFileSync(path.join(dir, 'dbt-bq', 'profiles.yml'), 'utf8')
    expect(profile).toContain('type: bigquery')
    expect(profile).toContain('method: service-account')
    expect(profile).toContain(`project: "${PROJECT}"`)
    expect(profile).toContain(`dataset: "${DS}"`)
    expect(profile).toContain('location: "US"')
    expect(profile).toContain(path.join(home, '.gc', 'dezc-sa.json'))
    expect(fs.statSync(path.join(dir, 'dbt-bq', 'profiles.yml')).mode & 0o777).toBe(0o600)
  })

  it('the real dbt-bigquery takes the generated profile: dbt parse, then dbt debug, run and test reach the stand-in with a token for the key file', async () => {
    expect(fs.existsSync(DBT), `${DBT} missing: run scripts/ensure-dbt.sh`).toBe(true)
    // A key whose token_uri is the stand-in: dbt signs a JWT with it, as with a bootstrap key at Google.
    const keyfile = path.join(dir, 'dbt-sa.json')
    fs.writeFileSync(keyfile, JSON.stringify(bq.serviceAccountKey('dbt')), {mode: 0o600})
    const withKey = {GOOGLE_APPLICATION_CREDENTIALS: keyfile, DEZC_DBT: DBT}
    const init = await dezc(
      ['dbt', 'init', '--target', 'bigquery', '--dir', 'dbt-real', '--no-dbt-utils', '--json'],
      withKey,
    )
    ok(init)
    const profile = fs.readFileSync(path.join(dir, 'dbt-real', 'profiles.yml'), 'utf8')
    // The endpoint dezc used, so dbt reads and writes nowhere else.
    expect(profile).toContain(`api_endpoint: "${bq.url}"`)
    expect(profile).toContain(keyfile)

    bq.clear()
    const parse = await dezc(['dbt', 'parse', '--dir', 'dbt-real'], withKey)
    expect(parse.code, parse.stdout + parse.stderr).toBe(0)
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'dbt-real', 'target', 'manifest.json'), 'utf8'))
    expect(Object.keys(manifest.nodes)).toContain('model.taxi_rides_ny.stg_yellow_tripdata')
    expect(Object.keys(manifest.sources)).toContain('source.taxi_rides_ny.raw.yellow_tripdata')
    // dbt parse reads the profile but opens no connection.
    expect(bq.requests).toEqual([])

    const debug = await dezc(['dbt', 'debug', '--dir', 'dbt-real'], withKey)
    expect(debug.code, debug.stdout + debug.stderr).toBe(0)
    expect(debug.stdout).toContain('All checks passed!')
    const tokens = new Set(bq.requests.map((r) => r.authorization?.replace(/^Bearer /, '')))
    expect([...tokens].every((t) => t !== undefined && bq.issuedTokens.get(t)?.startsWith('dbt@'))).toBe(true)

    const seed = await dezc(['dbt', 'seed', '--dir', 'dbt-real'], withKey)
    expect(seed.code, seed.stdout + seed.stderr).toBe(0)
    const seedRows =
      fs
        .readFileSync(path.join(dir, 'dbt-real', 'seeds', 'taxi_zone_lookup.csv'), 'utf8')
        .trim()
        .split('\n').length - 1
    expect(Number((await bq.sql(`SELECT count(*) AS n FROM "${DS}"."taxi_zone_lookup"`))[0].n)).toBe(seedRows)

    const run = await dezc(['dbt', 'run', '--dir', 'dbt-real'], withKey)
    expect(run.code, run.stdout + run.stderr).toBe(0)
    const staged = await bq.sql(`SELECT count(*) AS n FROM "${DS}"."stg_yellow_tripdata"`)
    expect(Number(staged[0].n)).toBe(ROWS['2021-01'] + ROWS['2021-02'] + ROWS['2021-03'])
    expect(bq.tableMeta(DS, 'stg_yellow_tripdata')?.type).toBe('VIEW')
    expect(Number((await bq.sql(`SELECT count(*) AS n FROM "${DS}"."dim_zones"`))[0].n)).toBe(seedRows)
    const test = await dezc(['dbt', 'test', '--dir', 'dbt-real'], withKey)
    expect(test.code, test.stdout + test.stderr).toBe(0)
    // The row-count test (staging rows = the ledger's) and dim_zones' keys, all run and passed.
    expect(test.stdout).toMatch(/PASS=3 WARN=0 ERROR=0/)
  }, 600_000)

  it('bad input: zones, --table, a missing BigQuery dataset (typed errors, nothing loaded)', async () => {
    const zones = await dezc(['ingest', 'zones', '--to', 'bigquery', '--json'])
    expect(zones.code).not.toBe(0)
    expect(zones.json().error.code).toBe('LAKE_DATASET_NOT_MONTHLY')
    const t = await dezc(['ingest', 'yellow', '2021-01', '--to', 'bigquery', '--table', 'x', '--json'])
    expect(t.code).toBe(2)
    expect(t.stdout).toContain('INVALID_FLAG')
    const missing = await dezc(['ingest', 'yellow', '2021-01', '--to', 'bigquery', '--bq-dataset', 'nope', '--json'])
    expect(missing.code).not.toBe(0)
    expect(missing.stdout).toMatch(/BQ_DATASET_NOT_FOUND|DATASET_NOT_FOUND/)
    expect(missing.stderr).not.toMatch(/\n\s+at /)
    expect(await perMonth()).toEqual(ROWS)
  })
})
