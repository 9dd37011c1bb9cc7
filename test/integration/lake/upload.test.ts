/**
 * `dezc lake upload|ls` against the real fake-gcs-server (Go, from the Go module proxy) on loopback,
 * behind a recording proxy that can cut or hold an upload request; TLC months served by the loopback
 * file server. What is real: the Cloud Storage JSON API server, Google's Node client, DuckDB, the
 * HTTP. What is not: Google itself (fake-gcs-server accepts any token; the proxy checks one is sent).
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {isChunk, startFakeGcs, startGcsProxy, type FakeGcs, type GcsProxy} from '../../helpers/fake-gcs.js'
import {startFileServer, type FileServer} from '../../helpers/file-server.js'
import {CANONICAL_KINDS, sourceAggregates, writeTripParquet} from '../../helpers/tlc-fixtures.js'

const BUCKET = 'dezc-lake-test'
const TOKEN = 'ya29.test-token'
const CHUNK = 256 * 1024
let gcs: FakeGcs
let proxy: GcsProxy
let srv: FileServer
let dir: string
let env: NodeJS.ProcessEnv

const months = ['2021-01', '2021-02', '2021-03', '2021-04', '2021-05']
const src = (p: string) => path.join(dir, `yellow_tripdata_${p}.parquet`)
const obj = (p: string) => `yellow/yellow_tripdata_${p}.parquet`

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-lake-'))
  ;[gcs, srv] = await Promise.all([startFakeGcs(), startFileServer()])
  proxy = await startGcsProxy(gcs.url)
  await gcs.createBucket(BUCKET)
  for (const p of months) {
    await writeTripParquet(src(p), 'yellow', p, 40_000)
    srv.set(`/trip-data/yellow_tripdata_${p}.parquet`, {file: src(p)})
  }
  env = {
    GOOGLE_OAUTH_ACCESS_TOKEN: TOKEN,
    DEZC_GCS_API_ROOT: proxy.url,
    DEZC_LAKE_BUCKET: BUCKET,
    DEZC_INGEST_BASE_URL: `${srv.url}/trip-data/`,
    DEZC_RETRY_BASE_MS: '50',
  }
})

afterAll(async () => {
  await proxy?.close()
  await gcs?.stop()
  await srv?.close()
  if (dir) fs.rmSync(dir, {recursive: true, force: true})
})

const md5b64 = (b: Buffer) => createHash('md5').update(b).digest('base64')
/** Every request that writes object bytes or starts a session: resumable POST/PUT and single-request multipart POST. */
const uploadRequests = () =>
  proxy.requests.filter(
    (r) =>
      (r.method === 'POST' && (r.path.includes('uploadType=resumable') || r.path.includes('uploadType=multipart'))) ||
      r.method === 'PUT',
  )

describe('dezc lake upload against fake-gcs-server', () => {
  it('uploads three months as three objects with the predictable names; checksums agree with what the server stores', async () => {
    proxy.clear()
    const r = await runCli(['lake', 'upload', 'yellow', '2021-01..2021-03', '--json'], {env})
    expect(r.code, r.stderr).toBe(0)
    const res = r.json()
    expect(res.bucket).toBe(BUCKET)
    expect(res.layout).toBe('canonical')
    expect(res.uploads.map((u: any) => [u.period, u.status, u.object, u.rows])).toEqual([
      ['2021-01', 'uploaded', obj('2021-01'), 40_000],
      ['2021-02', 'uploaded', obj('2021-02'), 40_000],
      ['2021-03', 'uploaded', obj('2021-03'), 40_000],
    ])
    expect((await gcs.list(BUCKET)).map((o) => o.name).sort()).toEqual(['2021-01', '2021-02', '2021-03'].map(obj))
    // Files that fit in one chunk go in one multipart request each (no session, no read-back).
    expect(res.uploads.map((u: any) => u.method)).toEqual(['single', 'single', 'single'])
    expect(uploadRequests().map((q) => `${q.method} ${/uploadType=(\w+)/.exec(q.path)?.[1]}`)).toEqual([
      'POST multipart',
      'POST multipart',
      'POST multipart',
    ])
    for (const u of res.uploads) {
      const meta = await gcs.object(BUCKET, u.object)
      const bytes = await gcs.media(BUCKET, u.object)
      expect({md5: meta!.md5Hash, crc32c: meta!.crc32c, size: Number(meta!.size)}).toEqual({
        md5: u.md5,
        crc32c: u.crc32c,
        size: u.bytes,
      })
      expect(md5b64(bytes)).toBe(u.md5)
      expect(meta!.metadata).toMatchObject({'dezc-layout': 'canonical', 'dezc-period': u.period, 'dezc-rows': '40000'})
    }
    // Every API call carried the credential (fake-gcs-server would accept none: the proxy checks). The
    // chunk PUTs to a session URI do not: @google-cloud/storage 7 drops useAuthWithCustomEndpoint for
    // them on custom endpoints; on storage.googleapis.com they are authorised, and the session URI
    // itself is the credential there.
    expect(proxy.requests.length).toBeGreaterThan(6)
    expect(proxy.requests.filter((q) => !isChunk(q) && q.authorization !== `Bearer ${TOKEN}`)).toEqual([])
  })

  it('a re-run uploads nothing: every month is skipped and no upload request is made', async () => {
    proxy.clear()
    const r = await runCli(['lake', 'upload', 'yellow', '2021-01..2021-03', '--json'], {env})
    expect(r.code, r.stderr).toBe(0)
    const res = r.json()
    expect(res.uploads.map((u: any) => u.status)).toEqual(['skipped', 'skipped', 'skipped'])
    expect(res.totals).toMatchObject({uploaded: 0, skipped: 3})
    expect(uploadRequests()).toEqual([])
    expect(res.uploads.every((u: any) => u.downloadFromCache)).toBe(true)
  })

  it('--force replaces the month (a new generation with the same content)', async () => {
    const before = await gcs.object(BUCKET, obj('2021-02'))
    proxy.clear()
    const r = await runCli(['lake', 'upload', 'yellow', '2021-02', '--force', '--json'], {env})
    expect(r.code, r.stderr).toBe(0)
    expect(r.json().uploads.map((u: any) => u.status)).toEqual(['replaced'])
    const after = await gcs.object(BUCKET, obj('2021-02'))
    expect(after!.generation).not.toBe(before!.generation)
    expect(after!.md5Hash).toBe(before!.md5Hash)
    expect(uploadRequests().length).toBeGreaterThan(0)
  })

  it('the uploaded file holds exactly the source rows, in the canonical types (read back with DuckDB)', async () => {
    const back = path.join(dir, 'back-2021-01.parquet')
    fs.writeFileSync(back, await gcs.media(BUCKET, obj('2021-01')))
    expect(await sourceAggregates(back, CANONICAL_KINDS.yellow)).toEqual(
      await sourceAggregates(src('2021-01'), CANONICAL_KINDS.yellow),
    )
    const {DuckDBInstance} = await import('@duckdb/node-api')
    const conn = await (await DuckDBInstance.create(':memory:')).connect()
    const types = Object.fromEntries(
      (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${back}')`))
        .getRowObjects()
        .map((x) => [String(x.column_name), String(x.column_type)]),
    )
    conn.closeSync()
    // 2021 files have passenger_count as DOUBLE and no cbd_congestion_fee: the canonical file does not.
    expect(types).toMatchObject({
      passenger_count: 'BIGINT',
      RatecodeID: 'BIGINT',
      VendorID: 'BIGINT',
      tpep_pickup_datetime: 'TIMESTAMP',
      airport_fee: 'DOUBLE',
      cbd_congestion_fee: 'DOUBLE',
    })
  })

  it('a connection cut mid-chunk resumes at the acknowledged offset (not from zero) and the object verifies', async () => {
    proxy.clear()
    proxy.cut({nth: 2, afterBytes: 100_000, match: isChunk})
    const r = await runCli(['lake', 'upload', 'yellow', '2021-04', '--json'], {
      env: {...env, DEZC_LAKE_CHUNK_BYTES: String(CHUNK)},
    })
    expect(r.code, r.stderr).toBe(0)
    const [u] = r.json().uploads
    expect(u).toMatchObject({status: 'uploaded', resumes: 1, resumedFrom: 0})
    expect(r.stderr).toMatch(/resuming at byte 262144 of \d+/)
    const chunks = proxy.requests.filter(isChunk)
    expect(chunks.filter((c) => c.cut)).toHaveLength(1)
    const starts = chunks.map((c) => Number(/bytes (\d+)-/.exec(c.contentRange!)![1]))
    // 0, then the cut chunk at 262144, then the same chunk again at 262144 (not 0), ...
    expect(starts.slice(0, 3)).toEqual([0, CHUNK, CHUNK])
    // At most the cut chunk is sent twice (a restart from zero would resend everything before it too).
    expect(u.sentBytes).toBeLessThanOrEqual(u.bytes + CHUNK)
    expect(chunks.reduce((a, c) => a + c.bodyBytes, 0)).toBeLessThan(u.bytes + CHUNK)
    expect(md5b64(await gcs.media(BUCKET, obj('2021-04')))).toBe(u.md5)
  })

  it('a cut single-request upload is sent again whole and the object verifies', async () => {
    proxy.clear()
    proxy.cut({
      nth: 1,
      afterBytes: 50_000,
      match: (q) => q.method === 'POST' && q.path.includes('uploadType=multipart'),
    })
    const r = await runCli(['lake', 'upload', 'yellow', '2021-04', '--force', '--json'], {env})
    expect(r.code, r.stderr).toBe(0)
    const u = r.json().uploads[0]
    expect(u).toMatchObject({status: 'replaced', method: 'single', resumes: 1})
    const posts = proxy.requests.filter((q) => q.method === 'POST' && q.path.includes('uploadType=multipart'))
    expect(posts.map((q) => Boolean(q.cut))).toEqual([true, false])
    expect(r.stderr).toContain('sending it again')
    const meta = await gcs.object(BUCKET, obj('2021-04'))
    expect({md5: meta!.md5Hash, size: Number(meta!.size)}).toEqual({md5: u.md5, size: u.bytes})
    proxy.clear()
  })

  it('a dezc killed mid-upload continues the same session in the next run', async () => {
    proxy.clear()
    const {held} = proxy.hold({nth: 3, match: isChunk})
    const killed = await runCli(['lake', 'upload', 'yellow', '2021-05', '--json'], {
      env: {...env, DEZC_LAKE_CHUNK_BYTES: String(CHUNK)},
      onSpawn: (child) => void held.then(() => setTimeout(() => child.kill('SIGKILL'), 300)),
    })
    expect(killed.code).toBe(null)
    expect(await gcs.object(BUCKET, obj('2021-05'))).toBeUndefined()
    proxy.clear()
    const r = await runCli(['lake', 'upload', 'yellow', '2021-05', '--json'], {
      env: {...env, DEZC_LAKE_CHUNK_BYTES: String(CHUNK)},
    })
    expect(r.code, r.stderr).toBe(0)
    const [u] = r.json().uploads
    expect(u).toMatchObject({status: 'uploaded', resumedFrom: 2 * CHUNK})
    // No new session: the first chunk of this run starts where the killed one was acknowledged.
    expect(proxy.requests.filter((q) => q.method === 'POST' && q.path.includes('uploadType=resumable'))).toEqual([])
    expect(proxy.requests.filter(isChunk)[0].contentRange).toMatch(new RegExp(`^bytes ${2 * CHUNK}-`))
    expect(md5b64(await gcs.media(BUCKET, obj('2021-05')))).toBe(u.md5)
  })

  it('lake ls lists the objects and the months per dataset', async () => {
    const r = await runCli(['lake', 'ls', 'yellow', '--json'], {env})
    expect(r.code, r.stderr).toBe(0)
    const res = r.json()
    expect(res.months).toEqual({yellow: months})
    expect(res.objects.map((o: any) => o.name)).toEqual(months.map(obj))
    expect(res.objects.every((o: any) => o.bytes > 0 && typeof o.updated === 'string')).toBe(true)
    const human = await runCli(['lake', 'ls'], {env})
    expect(human.stdout).toContain('yellow: 5 months (2021-01 .. 2021-05)')
  })

  it('--dry-run plans check/upload with gcloud storage cp commands and writes nothing', async () => {
    proxy.clear()
    const files = srv.requests.length
    const r = await runCli(['lake', 'upload', 'yellow', '2021-05..2021-06', '--dry-run', '--json'], {env})
    expect(r.code, r.stderr).toBe(0)
    const plan = r.json()
    expect(plan.steps.map((s: any) => [s.period, s.action])).toEqual([
      ['2021-05', 'check'],
      ['2021-06', 'upload'],
    ])
    expect(plan.commands).toContain(
      `gcloud storage cp yellow_tripdata_2021-06.canonical.parquet gs://${BUCKET}/${obj('2021-06')}`,
    )
    expect(uploadRequests()).toEqual([])
    expect(srv.requests.length).toBe(files)
  })

  it('missing object permissions (testIamPermissions answered by a stand-in: fake-gcs-server has no IAM) name Storage Object Admin; nothing is uploaded', async () => {
    proxy.clear()
    proxy.answer({
      match: (q) => q.path.includes('/iam/testPermissions'),
      status: 200,
      body: {kind: 'storage#testIamPermissionsResponse', permissions: ['storage.objects.get', 'storage.objects.list']},
    })
    const gen = (await gcs.object(BUCKET, obj('2021-05')))?.generation
    const r = await runCli(['lake', 'upload', 'yellow', '2021-05', '--force', '--json'], {env})
    const writes = uploadRequests()
    const asked = proxy.requests.filter((q) => q.path.includes('/iam/testPermissions'))
    proxy.clear()
    expect(r.code).toBe(4)
    expect(asked).toHaveLength(1)
    expect(writes).toEqual([])
    const e = r.json().error
    expect(e.code).toBe('PERMISSION_DENIED')
    expect(e.message).toContain('Storage Object Admin (roles/storage.objectAdmin)')
    expect(e.message).toContain('storage.objects.create')
    expect(e.details.missing).toEqual(['storage.objects.create', 'storage.objects.delete'])
    expect((await gcs.object(BUCKET, obj('2021-05')))?.generation).toBe(gen)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('an expired token (401 from Cloud Storage, answered by the proxy: fake-gcs-server checks no token) is NOT_AUTHENTICATED with the login fix; nothing is uploaded', async () => {
    proxy.clear()
    proxy.answer({
      match: () => true,
      status: 401,
      body: {
        error: {
          code: 401,
          message:
            'Invalid Credentials: Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
          errors: [{message: 'Invalid Credentials', domain: 'global', reason: 'authError'}],
        },
      },
    })
    const gen = (await gcs.object(BUCKET, obj('2021-05')))?.generation
    const r = await runCli(['lake', 'upload', 'yellow', '2021-05', '--force', '--json'], {env})
    const writes = uploadRequests()
    proxy.clear()
    expect(r.code).toBe(4)
    expect(writes).toEqual([])
    const e = r.json().error
    expect(e.code).toBe('NOT_AUTHENTICATED')
    expect(e.message).toContain('401')
    expect(e.suggestions.join(' ')).toContain('gcloud auth application-default login')
    expect((await gcs.object(BUCKET, obj('2021-05')))?.generation).toBe(gen)
  })

  it('an unknown bucket is a typed error with a fix, a non-zero exit and no stack trace', async () => {
    const r = await runCli(['lake', 'upload', 'yellow', '2021-01', '--bucket', 'no-such-bucket-here'], {env})
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('gs://no-such-bucket-here does not exist')
    expect(r.stderr).toContain('[BUCKET_NOT_FOUND]')
    expect(r.stderr).toContain('Try this: Create the course bucket: dezc tf apply')
    expect(r.stderr).not.toMatch(/^\s+at /m)
    const j = await runCli(['lake', 'ls', '--bucket', 'no-such-bucket-here', '--json'], {env})
    expect(j.code).toBe(1)
    expect(j.json().error).toMatchObject({code: 'BUCKET_NOT_FOUND', exit: 1})
  })

  it('without a bucket anywhere it says where it looked (usage error, exit 2)', async () => {
    const r = await runCli(['lake', 'ls'], {env: {...env, DEZC_LAKE_BUCKET: ''}, cwd: dir})
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('[LAKE_BUCKET_REQUIRED]')
    expect(r.stderr).toContain('terraform.tfvars')
  })

  it('reads the bucket dezc tf set up (terraform.tfvars in the tf dir)', async () => {
    const tf = path.join(dir, 'terraform')
    fs.mkdirSync(tf, {recursive: true})
    fs.writeFileSync(
      path.join(tf, 'terraform.tfvars'),
      `project         = "dezc-test-123"\ngcs_bucket_name = "${BUCKET}"\n`,
    )
    const r = await runCli(['lake', 'ls', '--json'], {env: {...env, DEZC_LAKE_BUCKET: ''}, cwd: dir})
    expect(r.code, r.stderr).toBe(0)
    expect(r.json().bucket).toBe(BUCKET)
  })
})
