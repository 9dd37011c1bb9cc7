/**
 * csv.gz months load while they download (src/ingest/stream.ts), through the built CLI against a
 * private PostgreSQL 15 and a throttled loopback mirror (real HTTP, Range, cuts):
 * - rows reach the database while the mirror is still sending, and the loaded rows match the
 *   source by count and aggregates; the cached copy and the ledger hold the whole file;
 * - a cut the retries mend is resumed with Range inside the run (no row twice);
 * - a cut the retries cannot mend rolls the transaction back; the next run reads the partial file
 *   from disk, resumes the download with Range and loads the month exactly once;
 * - a mirror without Range support that cuts mid-stream: the download restarts, the streamed load
 *   rolls back and the month is loaded from the complete file (exactly once);
 * - --strict refuses an unknown column from the sample, before the download ends;
 * - Ctrl-C mid-stream rolls back (exit 130); the next run resumes the download and loads once;
 * - a cached month and a local --file csv.gz go through the same stream;
 * - peak RSS stays bounded: five times the rows need about the same memory (under 300 MiB).
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type pg from 'pg'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli, type CliResult} from '../../helpers/cli.js'
import type {FileServer} from '../../helpers/file-server.js'
import {startIngestFixture, stopIngestFixture} from '../../helpers/ingest-fixture.js'
import type {PgServer} from '../../helpers/postgres.js'
import {
  expectLoadedOnce as loadedOnce,
  ledgerRows,
  sentWhenRowsArrived,
  tableExists,
  writeTripCsvGz,
  writeTripParquet,
} from '../../helpers/tlc-fixtures.js'

let db: PgServer
let srv: FileServer
let client: pg.Client
let dir: string

const sha256 = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex')

interface Month {
  parquet: string
  gz: string
  urlPath: string
  size: number
}

async function month(period: string, rows: number): Promise<Month> {
  const parquet = path.join(dir, `src-yellow-${period}.parquet`)
  await writeTripParquet(parquet, 'yellow', period, rows)
  const gz = path.join(dir, `yellow_tripdata_${period}.csv.gz`)
  await writeTripCsvGz(parquet, gz)
  const urlPath = `/download/yellow/yellow_tripdata_${period}.csv.gz`
  return {parquet, gz, urlPath, size: fs.statSync(gz).size}
}

function ingest(
  table: string,
  period: string,
  cache: string,
  options: Parameters<typeof runCli>[1] = {},
  extra: string[] = [],
) {
  return runCli(
    [
      'ingest',
      'yellow',
      period,
      '--source',
      'backup',
      '--base-url',
      `${srv.url}/download/`,
      '--table',
      table,
      '--db-url',
      db.url,
      '--json',
      ...extra,
    ],
    {timeoutMs: 180_000, ...options, env: {DEZC_CACHE_DIR: cache, DEZC_RETRY_BASE_MS: '20', ...options.env}},
  )
}

function ok(r: CliResult) {
  expect(r.code, r.stdout + r.stderr).toBe(0)
  return r.json()
}

const ledger = (table: string) => ledgerRows(client, table)

const expectLoadedOnce = (table: string, m: Month) => loadedOnce(client, table, {served: m.gz, parquet: m.parquet})

const rowsWhileSending = (urlPath: string, run: () => Promise<CliResult>) =>
  sentWhenRowsArrived(client, () => srv.sent.get(urlPath) ?? 0, run)

beforeAll(async () => {
  ;({db, srv, client, dir} = await startIngestFixture('dezc-ingest-stream-'))
})

afterAll(() => stopIngestFixture({db, srv, client, dir}))

describe('csv.gz sources load while they download', () => {
  it('copies rows while the mirror is still sending; counts, aggregates, ledger and cache match the source', async () => {
    const m = await month('2021-01', 80_000)
    const rate = Math.round(m.size / 3) // about 3 s of download
    srv.set(m.urlPath, {file: m.gz, rate})
    const cache = path.join(dir, 'cache-a')
    // Watch the COPY from another session: how many bytes had the mirror sent when rows first arrived?
    const [r, sentAtFirstRows] = await rowsWhileSending(m.urlPath, () => ingest('yellow_stream', '2021-01', cache))
    const out = ok(r)
    expect(out.loads[0]).toMatchObject({status: 'loaded', rows: 80_000, bytes: m.size, fromCache: false})
    expect(sentAtFirstRows, 'no rows were seen in a COPY').toBeDefined()
    expect(sentAtFirstRows!).toBeLessThan(m.size * 0.8)
    await expectLoadedOnce('yellow_stream', m)
    // The cached copy was written as the bytes passed: the next run uses it and skips nothing else.
    const cached = path.join(cache, 'ingest', `127.0.0.1_${srv.port}`, 'download', 'yellow', path.basename(m.gz))
    expect(sha256(cached)).toBe(sha256(m.gz))
  }, 180_000)

  it('a cut the retries mend resumes with Range inside the run; no row is loaded twice', async () => {
    const m = await month('2021-02', 60_000)
    srv.set(m.urlPath, {file: m.gz, rate: Math.round(m.size / 2), cutAfter: {bytes: Math.round(m.size / 2), times: 1}})
    const before = srv.requests.length
    const out = ok(await ingest('yellow_cut1', '2021-02', path.join(dir, 'cache-b')))
    expect(out.loads[0]).toMatchObject({status: 'loaded', rows: 60_000})
    const gets = srv.requests.slice(before).filter((q) => q.method === 'GET' && q.path === m.urlPath)
    expect(gets.map((g) => g.status)).toEqual([200, 206])
    expect(gets[1].range).toMatch(/^bytes=[1-9]\d*-$/)
    await expectLoadedOnce('yellow_cut1', m)
  }, 180_000)

  it('a cut mid-stream rolls the month back; the next run resumes the download and loads it exactly once', async () => {
    const m = await month('2021-03', 60_000)
    const cutAt = Math.round(m.size * 0.6)
    // More cuts than retries (5): the run fails after rows were already copied.
    srv.set(m.urlPath, {file: m.gz, rate: Math.round(m.size / 2), cutAfter: {bytes: cutAt, times: 6}})
    const cache = path.join(dir, 'cache-c')
    const [first, copying] = await rowsWhileSending(m.urlPath, () => ingest('yellow_cut', '2021-03', cache))
    expect(copying, 'rows were being copied before the cut').toBeLessThanOrEqual(cutAt)
    expect(first.code, first.stdout + first.stderr).toBe(1)
    // The last attempts are cut before any body byte: the downloader's error after its retries.
    expect(first.json().error.code).toMatch(/^DOWNLOAD_(INTERRUPTED|FAILED)$/)
    // Rolled back: not even the table (created in the same transaction) is left, nor a ledger row.
    expect(await tableExists(client, 'yellow_cut')).toBe(false)
    expect(await ledger('yellow_cut').catch(() => [])).toEqual([])
    const part = fs.readdirSync(path.join(cache, 'ingest', `127.0.0.1_${srv.port}`, 'download', 'yellow'))
    expect(part).toContain(`${path.basename(m.gz)}.part`)

    srv.set(m.urlPath, {file: m.gz, rate: Math.round(m.size / 2)})
    const before = srv.requests.length
    const second = ok(await ingest('yellow_cut', '2021-03', cache))
    expect(second.loads[0]).toMatchObject({status: 'loaded', rows: 60_000, bytes: m.size})
    const gets = srv.requests.slice(before).filter((q) => q.method === 'GET' && q.path === m.urlPath)
    expect(gets).toHaveLength(1)
    expect(gets[0]).toMatchObject({status: 206, range: `bytes=${cutAt}-`})
    await expectLoadedOnce('yellow_cut', m)
  }, 180_000)

  it('another month failing while this one streams does not stop it: the streamed month commits, the run exits non-zero', async () => {
    const m = await month('2021-05', 60_000)
    srv.set(m.urlPath, {file: m.gz, rate: Math.round(m.size / 3)}) // about 3 s of streaming
    // The next month answers 404 (not retried) after 1 s: while 2021-05 is being copied.
    const failing = '/download/yellow/yellow_tripdata_2021-06.csv.gz'
    srv.set(failing, {body: Buffer.alloc(0), delayMs: 1000, failWith: {status: 404, times: 10}})
    const r = await ingest('yellow_sibling', '2021-05..2021-06', path.join(dir, 'cache-sib'), {}, ['--jobs', '2'])
    expect(r.code, r.stdout + r.stderr).not.toBe(0)
    expect(r.code).not.toBe(130)
    expect(JSON.stringify(r.json().error)).toContain('2021-06')
    await expectLoadedOnce('yellow_sibling', m)
  }, 180_000)

  it('without Range support a cut restarts the download; the month is loaded once, from the complete file', async () => {
    const m = await month('2021-04', 60_000)
    srv.set(m.urlPath, {
      file: m.gz,
      noRanges: true,
      rate: Math.round(m.size / 2),
      cutAfter: {bytes: Math.round(m.size * 0.6), times: 1},
    })
    const before = srv.requests.length
    const r = await ingest('yellow_norange', '2021-04', path.join(dir, 'cache-d'))
    const out = ok(r)
    expect(out.loads[0]).toMatchObject({status: 'loaded', rows: 60_000, bytes: m.size})
    expect(r.envelope().warnings.join('\n')).toMatch(/restarted from the beginning/)
    const gets = srv.requests.slice(before).filter((q) => q.method === 'GET' && q.path === m.urlPath)
    expect(gets.map((g) => g.status)).toEqual([200, 200])
    await expectLoadedOnce('yellow_norange', m)
  }, 180_000)
})

/** Peak RSS (VmHWM) of the CLI while `run` runs, sampled from /proc until it exits. */
async function peakRssMiB(
  run: (onSpawn: (c: import('node:child_process').ChildProcess) => void) => Promise<CliResult>,
) {
  let peak = 0
  const r = await run((child) => {
    const t = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))
        if (m) peak = Math.max(peak, Number(m[1]) / 1024)
      } catch {
        // exited
      }
    }, 20)
    child.on('exit', () => clearInterval(t))
  })
  return {r, peak}
}

describe('Ctrl-C mid-stream', () => {
  it('rolls the month back (exit 130), keeps the partial download, and the next run loads it once', async () => {
    const m = await month('2021-06', 60_000)
    srv.set(m.urlPath, {file: m.gz, rate: Math.round(m.size / 3)})
    const cache = path.join(dir, 'cache-f')
    let sentAtSigint: number | undefined
    const r = await ingest('yellow_sigint', '2021-06', cache, {
      onSpawn: (child) => {
        const poll = setInterval(async () => {
          const p = await client.query('SELECT tuples_processed FROM pg_stat_progress_copy').catch(() => ({rows: []}))
          if (
            sentAtSigint === undefined &&
            p.rows.length > 0 &&
            Number((p.rows[0] as {tuples_processed: string}).tuples_processed) > 0
          ) {
            sentAtSigint = srv.sent.get(m.urlPath)
            clearInterval(poll)
            child.kill('SIGINT')
          }
        }, 50)
        child.on('close', () => clearInterval(poll))
      },
    })
    expect(sentAtSigint).toBeLessThan(m.size)
    expect(r.code, r.stdout + r.stderr).toBe(130)
    expect(r.json().error.code).toBe('INTERRUPTED')
    expect(await tableExists(client, 'yellow_sigint')).toBe(false)
    const before = srv.requests.length
    expect(ok(await ingest('yellow_sigint', '2021-06', cache)).loads[0]).toMatchObject({status: 'loaded', rows: 60_000})
    const gets = srv.requests.slice(before).filter((q) => q.method === 'GET' && q.path === m.urlPath)
    expect(gets[0].range).toMatch(/^bytes=[1-9]\d*-$/)
    await expectLoadedOnce('yellow_sigint', m)
  }, 180_000)
})

describe('a refusal before the first row', () => {
  it('--strict with an unknown column fails at once while the download runs; nothing is loaded', async () => {
    const parquet = path.join(dir, 'src-yellow-2021-07.parquet')
    await writeTripParquet(parquet, 'yellow', '2021-07', 60_000, {extraColumns: [['surprise_fee', 'DOUBLE', '1.5']]})
    const gz = path.join(dir, 'yellow_tripdata_2021-07.csv.gz')
    await writeTripCsvGz(parquet, gz)
    const urlPath = '/download/yellow/yellow_tripdata_2021-07.csv.gz'
    srv.set(urlPath, {file: gz, rate: Math.round(fs.statSync(gz).size / 8)})
    const t0 = Date.now()
    const r = await ingest('yellow_strict', '2021-07', path.join(dir, 'cache-g'), {}, ['--strict'])
    expect(r.code, r.stdout + r.stderr).toBe(1)
    expect(r.json().error.code).toBe('UNKNOWN_COLUMN')
    expect(r.json().error.message).toContain('surprise_fee')
    // Refused from the sample, not after the whole ~8 s download.
    expect(Date.now() - t0).toBeLessThan(6000)
    expect(await tableExists(client, 'yellow_strict')).toBe(false)
  }, 120_000)
})

describe('complete csv.gz files take the same path', () => {
  it('a cached month (--force) and a local --file csv.gz match the source', async () => {
    const m = await month('2021-05', 30_000)
    srv.set(m.urlPath, {file: m.gz})
    const cache = path.join(dir, 'cache-e')
    expect(ok(await ingest('yellow_cached', '2021-05', cache)).loads[0]).toMatchObject({status: 'loaded', rows: 30_000})
    const again = ok(await ingest('yellow_cached', '2021-05', cache, {}, ['--force']))
    expect(again.loads[0]).toMatchObject({status: 'replaced', rows: 30_000, fromCache: true})
    await expectLoadedOnce('yellow_cached', m)
    const local = ok(
      await runCli([
        'ingest',
        'yellow',
        '2021-05',
        '--file',
        m.gz,
        '--table',
        'yellow_local',
        '--db-url',
        db.url,
        '--json',
      ]),
    )
    expect(local.loads[0]).toMatchObject({status: 'loaded', rows: 30_000, bytes: m.size})
    await expectLoadedOnce('yellow_local', m)
  }, 180_000)
})

describe('memory', () => {
  it('a streamed month five times larger needs about the same peak RSS', async () => {
    const small = await month('2022-01', 60_000)
    const big = await month('2022-02', 300_000)
    for (const m of [small, big]) srv.set(m.urlPath, {file: m.gz, rate: Math.round(m.size / 2)})
    const a = await peakRssMiB((onSpawn) => ingest('yellow_mem', '2022-01', path.join(dir, 'cache-m'), {onSpawn}))
    const b = await peakRssMiB((onSpawn) => ingest('yellow_mem', '2022-02', path.join(dir, 'cache-m'), {onSpawn}))
    expect(ok(a.r).loads[0].rows).toBe(60_000)
    expect(ok(b.r).loads[0].rows).toBe(300_000)
    console.log(`peak RSS: ${a.peak.toFixed(0)} MiB for 60,000 rows, ${b.peak.toFixed(0)} MiB for 300,000`)
    expect(a.peak).toBeGreaterThan(50)
    expect(b.peak).toBeLessThan(300)
    expect(b.peak).toBeLessThan(a.peak * 1.3)
  }, 300_000)
})
