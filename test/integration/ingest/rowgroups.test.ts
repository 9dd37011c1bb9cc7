/**
 * Parquet months load row group by row group while they download (src/ingest/rowgroups.ts),
 * through the built CLI against a private PostgreSQL 15 and a throttled loopback mirror (real HTTP,
 * Range, cuts):
 * - the footer comes first by Range; rows reach the database while the mirror is still sending, and
 *   the loaded rows match the source by count and aggregates; cache and ledger hold the whole file;
 * - a mirror without Range support: the month is loaded once the download is complete, correctly;
 * - a cut mid-row-group that the retries mend resumes inside the run; one they cannot mend rolls
 *   the month back, and the next run resumes the download and loads it exactly once;
 * - a file whose footer lists its row groups out of the order of their offsets loads them in the
 *   order they arrive, and every row once;
 * - Ctrl-C mid-month rolls back (exit 130).
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
  copiedRows,
  ledgerRows,
  rowGroupLayout,
  sentWhenRowsArrived,
  tableExists,
  writeReorderedParquet,
  writeTripParquet,
} from '../../helpers/tlc-fixtures.js'

let db: PgServer
let srv: FileServer
let client: pg.Client
let dir: string

const sha256 = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex')

interface Month {
  file: string
  urlPath: string
  size: number
  /** Row groups as DuckDB's parquet_metadata describes them, in the footer's order. */
  groups: Array<{id: number; rows: number; start: number; end: number}>
}

const ROWS = 120_000
const GROUP = 20_000

async function month(period: string, rows = ROWS, reorder?: (n: number) => number[]): Promise<Month> {
  const name = `yellow_tripdata_${period}.parquet`
  let file = path.join(dir, name)
  await writeTripParquet(file, 'yellow', period, rows, {rowGroupSize: GROUP})
  if (reorder) {
    const src = file
    file = path.join(dir, `reordered-${name}`)
    await writeReorderedParquet(src, file, reorder)
  }
  return {file, urlPath: `/trip-data/${name}`, size: fs.statSync(file).size, groups: await rowGroupLayout(file)}
}

function ingest(table: string, period: string, cache: string, options: Parameters<typeof runCli>[1] = {}) {
  return runCli(
    ['ingest', 'yellow', period, '--base-url', `${srv.url}/trip-data/`, '--table', table, '--db-url', db.url, '--json'],
    {timeoutMs: 180_000, ...options, env: {DEZC_CACHE_DIR: cache, DEZC_RETRY_BASE_MS: '20', ...options.env}},
  )
}

function ok(r: CliResult) {
  expect(r.code, r.stdout + r.stderr).toBe(0)
  return r.json()
}

const ledger = (table: string) => ledgerRows(client, table)

const expectLoadedOnce = (table: string, m: Month) => loadedOnce(client, table, {served: m.file, parquet: m.file})

const rowsWhileSending = (urlPath: string, run: () => Promise<CliResult>) =>
  sentWhenRowsArrived(client, () => srv.sent.get(urlPath) ?? 0, run)

const getsOf = (urlPath: string, since: number) =>
  srv.requests.slice(since).filter((q) => q.method === 'GET' && q.path === urlPath)

beforeAll(async () => {
  ;({db, srv, client, dir} = await startIngestFixture('dezc-ingest-rowgroups-'))
})

afterAll(() => stopIngestFixture({db, srv, client, dir}))

describe('parquet sources load row group by row group while they download', () => {
  it('fetches the footer by Range, copies rows while the mirror is still sending; counts, aggregates, ledger and cache match', async () => {
    const m = await month('2021-01')
    expect(m.groups.length).toBeGreaterThanOrEqual(6)
    srv.set(m.urlPath, {file: m.file, rate: Math.round(m.size / 3)}) // about 3 s of download
    const cache = path.join(dir, 'cache-a')
    const before = srv.requests.length
    const [r, sentAtFirstRows] = await rowsWhileSending(m.urlPath, () => ingest('yellow_rg', '2021-01', cache))
    const out = ok(r)
    expect(out.loads[0]).toMatchObject({status: 'loaded', rows: ROWS, bytes: m.size, fromCache: false})
    expect(r.envelope().warnings).toEqual([])
    expect(sentAtFirstRows, 'no rows were seen in a COPY').toBeDefined()
    // The first row group is ~1/6 of the file: rows landed long before the last byte.
    expect(sentAtFirstRows!).toBeLessThan(m.size * 0.7)
    const gets = getsOf(m.urlPath, before)
    // The whole file once, plus the footer: a range that ends at the last byte.
    expect(gets.filter((g) => !g.range)).toHaveLength(1)
    const footerGets = gets.filter((g) => g.range)
    expect(footerGets.length).toBeGreaterThanOrEqual(1)
    for (const g of footerGets) expect(g).toMatchObject({status: 206, range: expect.stringMatching(/^bytes=\d+-\d+$/)})
    expect(footerGets[0].range).toBe(`bytes=${Math.max(0, m.size - 65536)}-${m.size - 1}`)
    await expectLoadedOnce('yellow_rg', m)
    const cached = path.join(cache, 'ingest', `127.0.0.1_${srv.port}`, 'trip-data', path.basename(m.urlPath))
    expect(sha256(cached)).toBe(sha256(m.file))
  }, 180_000)

  it('without Range support the month is loaded once the download is complete, with the same rows', async () => {
    const m = await month('2021-02')
    srv.set(m.urlPath, {file: m.file, noRanges: true, rate: Math.round(m.size / 2)})
    const before = srv.requests.length
    const [r, sentAtFirstRows] = await rowsWhileSending(m.urlPath, () =>
      ingest('yellow_rg_norange', '2021-02', path.join(dir, 'cache-b')),
    )
    const out = ok(r)
    expect(out.loads[0]).toMatchObject({status: 'loaded', rows: ROWS, bytes: m.size})
    expect(r.envelope().warnings.join('\n')).toMatch(
      /does not serve byte ranges; loading it once the download is complete/,
    )
    // The footer request was answered 200 (and dropped); the rows came after the whole file.
    const gets = getsOf(m.urlPath, before)
    expect(gets.map((g) => g.status)).toEqual([200, 200])
    expect(sentAtFirstRows!).toBeGreaterThanOrEqual(m.size)
    await expectLoadedOnce('yellow_rg_norange', m)
  }, 180_000)

  it('a cut mid-row-group that the retries mend resumes with Range inside the run; no row is loaded twice', async () => {
    const m = await month('2021-03')
    const g = m.groups[2]
    const cutAt = Math.round((g.start + g.end) / 2)
    srv.set(m.urlPath, {file: m.file, rate: Math.round(m.size / 2), cutAfter: {bytes: cutAt, times: 1}})
    const before = srv.requests.length
    const out = ok(await ingest('yellow_rg_cut1', '2021-03', path.join(dir, 'cache-c')))
    expect(out.loads[0]).toMatchObject({status: 'loaded', rows: ROWS})
    const whole = getsOf(m.urlPath, before).filter((q) => !q.range || q.range.endsWith('-'))
    expect(whole.map((q) => q.status)).toEqual([200, 206])
    expect(whole[1].range).toBe(`bytes=${cutAt}-`)
    await expectLoadedOnce('yellow_rg_cut1', m)
  }, 180_000)

  it('a cut mid-row-group the retries cannot mend rolls the month back; the next run resumes and loads it exactly once', async () => {
    const m = await month('2021-04')
    const g = m.groups[3]
    const cutAt = Math.round((g.start + g.end) / 2)
    // More cuts than retries (5): the run fails after the first row groups were copied.
    srv.set(m.urlPath, {file: m.file, rate: Math.round(m.size / 2), cutAfter: {bytes: cutAt, times: 6}})
    const cache = path.join(dir, 'cache-d')
    let rowsBeforeFailure = 0
    const poll = setInterval(
      async () => (rowsBeforeFailure = Math.max(rowsBeforeFailure, await copiedRows(client))),
      50,
    )
    const first = await ingest('yellow_rg_cut', '2021-04', cache).finally(() => clearInterval(poll))
    expect(first.code, first.stdout + first.stderr).toBe(1)
    expect(first.json().error.code).toMatch(/^DOWNLOAD_(INTERRUPTED|FAILED)$/)
    // Row groups before the cut were in the COPY, the one cut in half was not.
    expect(rowsBeforeFailure).toBeGreaterThan(0)
    expect(rowsBeforeFailure).toBeLessThanOrEqual(m.groups.slice(0, 3).reduce((n, x) => n + x.rows, 0))
    expect(await tableExists(client, 'yellow_rg_cut')).toBe(false)
    expect(await ledger('yellow_rg_cut').catch(() => [])).toEqual([])
    const parts = fs.readdirSync(path.join(cache, 'ingest', `127.0.0.1_${srv.port}`, 'trip-data'))
    expect(parts).toContain(`${path.basename(m.urlPath)}.part`)

    srv.set(m.urlPath, {file: m.file, rate: Math.round(m.size / 2)})
    const before = srv.requests.length
    const second = ok(await ingest('yellow_rg_cut', '2021-04', cache))
    expect(second.loads[0]).toMatchObject({status: 'loaded', rows: ROWS, bytes: m.size})
    const whole = getsOf(m.urlPath, before).filter((q) => q.range?.endsWith('-') ?? true)
    expect(whole).toEqual([expect.objectContaining({status: 206, range: `bytes=${cutAt}-`})])
    await expectLoadedOnce('yellow_rg_cut', m)
  }, 180_000)

  it('row groups listed out of the order of their offsets load in the order they arrive, each once', async () => {
    // The footer lists the row groups last-first: DuckDB reading the whole file returns them in that order.
    const m = await month('2021-05', ROWS, (n) => Array.from({length: n}, (_, i) => n - 1 - i))
    expect(m.groups.map((g) => g.start)).toEqual([...m.groups.map((g) => g.start)].sort((a, b) => b - a))
    srv.set(m.urlPath, {file: m.file, rate: Math.round(m.size / 3)})
    const [r, sentAtFirstRows] = await rowsWhileSending(m.urlPath, () =>
      ingest('yellow_rg_order', '2021-05', path.join(dir, 'cache-e')),
    )
    expect(ok(r).loads[0]).toMatchObject({status: 'loaded', rows: ROWS})
    // The footer's first row group is the last to arrive: waiting for it would have meant the whole file.
    expect(sentAtFirstRows!).toBeLessThan(m.size * 0.7)
    await expectLoadedOnce('yellow_rg_order', m)
    // Heap order is arrival order: the pickup times (increasing with the offset) never go back.
    const back = await client.query(
      `SELECT count(*)::int AS n FROM (SELECT tpep_pickup_datetime < lag(tpep_pickup_datetime) OVER (ORDER BY ctid) AS back FROM yellow_rg_order) x WHERE back`,
    )
    expect(back.rows[0].n).toBe(0)
  }, 180_000)
})

describe('Ctrl-C while row groups are being copied', () => {
  it('rolls the month back (exit 130); the next run resumes the download and loads it once', async () => {
    const m = await month('2021-06')
    srv.set(m.urlPath, {file: m.file, rate: Math.round(m.size / 3)})
    const cache = path.join(dir, 'cache-f')
    let sentAtSigint: number | undefined
    const r = await ingest('yellow_rg_sigint', '2021-06', cache, {
      onSpawn: (child) => {
        const poll = setInterval(async () => {
          if (sentAtSigint === undefined && (await copiedRows(client)) > 0) {
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
    expect(await tableExists(client, 'yellow_rg_sigint')).toBe(false)
    const before = srv.requests.length
    expect(ok(await ingest('yellow_rg_sigint', '2021-06', cache)).loads[0]).toMatchObject({
      status: 'loaded',
      rows: ROWS,
    })
    const whole = getsOf(m.urlPath, before).filter((q) => q.range?.endsWith('-') ?? true)
    expect(whole[0].range).toMatch(/^bytes=[1-9]\d*-$/)
    await expectLoadedOnce('yellow_rg_sigint', m)
  }, 180_000)
})
