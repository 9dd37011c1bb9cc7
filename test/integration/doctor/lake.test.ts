/**
 * `dezc doctor`'s lake and warehouse rows against the real fake-gcs-server and the BigQuery
 * **stand-in** (test/helpers/fake-bigquery.ts, not BigQuery): the bucket and its location, the
 * dataset and its location, a dataset that does not exist, nothing set up.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {clearGoogleEnv} from '../../helpers/bq-test.js'
import {runCli} from '../../helpers/cli.js'
import {FakeBigQuery} from '../../helpers/fake-bigquery.js'
import {startFakeGcs, type FakeGcs} from '../../helpers/fake-gcs.js'
import {makeTempDir} from '../../helpers/tmp.js'

clearGoogleEnv()
const PROJECT = 'dezc-doctor-lake'
let gcs: FakeGcs
let bq: FakeBigQuery
let env: NodeJS.ProcessEnv

interface Row {
  id: string
  status: string
  detail: string
  fix?: string
}
async function rows(extra: NodeJS.ProcessEnv = {}): Promise<Record<string, Row>> {
  const r = await runCli(['doctor', '--only', 'lake', '--only', 'bq', '--json'], {
    env: {...env, ...extra},
    cwd: makeTempDir('dezc-doctor-lake-'),
  })
  return Object.fromEntries((r.json().checks as Row[]).map((c) => [c.id, c]))
}

beforeAll(async () => {
  gcs = await startFakeGcs()
  await gcs.createBucket('dezc-doctor-bucket')
  bq = new FakeBigQuery({project: PROJECT, gcsUrl: gcs.url})
  await bq.start()
  await bq.addDataset('trips_data_all', 'US')
  await bq.addDataset('eu_data', 'EU')
  env = {
    GOOGLE_OAUTH_ACCESS_TOKEN: 'ya29.doctor',
    GOOGLE_CLOUD_PROJECT: PROJECT,
    DEZC_GCS_API_ROOT: gcs.url,
    DEZC_BQ_API_ROOT: bq.url,
    DEZC_LAKE_BUCKET: 'dezc-doctor-bucket',
  }
})

afterAll(async () => {
  await bq?.stop()
  await gcs?.stop()
})

describe('doctor: lake and warehouse', () => {
  it('the bucket and the dataset with their locations', async () => {
    const r = await rows()
    expect(r['lake.bucket']).toMatchObject({status: 'ok'})
    expect(r['lake.bucket'].detail).toContain('gs://dezc-doctor-bucket in US-CENTRAL1')
    expect(r['bq.dataset']).toMatchObject({status: 'ok'})
    expect(r['bq.dataset'].detail).toContain(`${PROJECT}:trips_data_all in US`)
  })

  it('a dataset BigQuery cannot read the bucket from fails, naming both locations', async () => {
    const r = await rows({DEZC_BQ_DATASET: 'eu_data'})
    expect(r['bq.dataset'].status).toBe('fail')
    expect(r['bq.dataset'].detail).toContain('in EU')
    expect(r['bq.dataset'].detail).toContain('US-CENTRAL1')
  })

  it('a missing dataset and a missing bucket are named with the fix', async () => {
    const r = await rows({DEZC_BQ_DATASET: 'nope', DEZC_LAKE_BUCKET: 'no-such-bucket-dezc'})
    expect(r['bq.dataset']).toMatchObject({status: 'warn'})
    expect(r['bq.dataset'].fix).toContain('dezc tf apply')
    expect(r['lake.bucket']).toMatchObject({status: 'fail'})
    expect(r['lake.bucket'].detail).toContain('gs://no-such-bucket-dezc does not exist')
  })

  it('nothing set up (no bucket anywhere, no credentials): skipped, with why', async () => {
    const r = await rows({DEZC_LAKE_BUCKET: '', GOOGLE_OAUTH_ACCESS_TOKEN: '', GOOGLE_CLOUD_PROJECT: ''})
    expect(r['lake.bucket'].status).toBe('skip')
    expect(r['bq.dataset'].status).toBe('skip')
  })
})
