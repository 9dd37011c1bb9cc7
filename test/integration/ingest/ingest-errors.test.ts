/**
 * Bad input and failures, through the built CLI: each gives a clear message, a non-zero exit and
 * leaves the database exactly as it was (checked with a fingerprint of every table + the ledger).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {runCli, type CliResult} from '../../helpers/cli.js'
import {startFileServer, type FileServer} from '../../helpers/file-server.js'
import {freePort, startPostgres, type PgServer} from '../../helpers/postgres.js'
import {writeTripParquet} from '../../helpers/tlc-fixtures.js'

let db: PgServer
let srv: FileServer
let dir: string
let base: string

async function query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const c = new pg.Client({connectionString: db.url})
  await c.connect()
  try {
    return (await c.query(sql)).rows as T[]
  } finally {
    await c.end()
  }
}

/** Every user table with its row count and column list, plus the ledger. */
async function fingerprint(): Promise<string> {
  const tables = await query<{t: string}>(
    `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
  )
  const parts: string[] = []
  for (const {t} of tables) {
    const [{n}] = await query<{n: number}>(`SELECT count(*)::int AS n FROM "${t}"`)
    const cols = await query<{c: string}>(
      `SELECT column_name || ':' || data_type AS c FROM information_schema.columns WHERE table_name = '${t}' ORDER BY ordinal_position`,
    )
    parts.push(`${t}(${n}) ${cols.map((c) => c.c).join(',')}`)
  }
  return parts.join('\n')
}

async function serve(name: string, build: (file: string) => Promise<void> | void): Promise<string> {
  const file = path.join(dir, name)
  await build(file)
  srv.set(`/trip-data/${name}`, {file})
  return file
}

const ingest = (args: string[], options: Parameters<typeof runCli>[1] = {}) =>
  runCli(['ingest', ...args, '--base-url', base, '--db-url', db.url, '--json'], {timeoutMs: 120_000, ...options})

function expectError(r: CliResult, code: string, exit = 1): {message: string; suggestions: string[]} {
  expect(r.code, r.stdout + r.stderr).toBe(exit)
  const e = r.json().error
  expect(e.code, e.message).toBe(code)
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/) // no stack trace
  expect(e.suggestions.length).toBeGreaterThan(0)
  return e
}

let baseline: string

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-ingest-err-'))
  ;[db, srv] = await Promise.all([startPostgres(), startFileServer({missingStatus: 403})])
  base = `${srv.url}/trip-data/`
  // Something already loaded, so "unchanged" is checked against a non-empty table and ledger.
  await serve('yellow_tripdata_2021-01.parquet', (f) => writeTripParquet(f, 'yellow', '2021-01', 3000))
  const r = await ingest(['yellow', '2021-01'])
  expect(r.code, r.stderr).toBe(0)
  baseline = await fingerprint()
})

afterAll(async () => {
  await srv?.close()
  await db?.stop()
  fs.rmSync(dir, {recursive: true, force: true})
})

beforeEach(async () => {
  if (db) expect(await fingerprint()).toBe(baseline)
})

describe('dezc ingest: bad input changes nothing', () => {
  it('unknown dataset', async () => {
    const e = expectError(await ingest(['purple', '2021-01']), 'UNKNOWN_DATASET', 2)
    expect(e.message).toContain('purple')
    expect(e.suggestions[0]).toContain('yellow, green, fhv, fhvhv, zones')
  })

  it('malformed and future periods', async () => {
    expectError(await ingest(['yellow', '2021-13']), 'INVALID_PERIOD', 2)
    expectError(await ingest(['yellow', '2021-1']), 'INVALID_PERIOD', 2)
    const future = expectError(await ingest(['yellow', `${new Date().getUTCFullYear() + 1}-01`]), 'FUTURE_PERIOD', 2)
    expect(future.message).toContain('future')
    expect(await fingerprint()).toBe(baseline)
  })

  it('a month missing at the source (403) names the month and the URL', async () => {
    const e = expectError(await ingest(['yellow', '2021-02']), 'NOT_AVAILABLE')
    expect(e.message).toContain('yellow 2021-02')
    expect(e.message).toContain(`${base}yellow_tripdata_2021-02.parquet`)
    expect(e.message).toContain('403')
    expect(await fingerprint()).toBe(baseline)
  })

  it('a range stops at the first missing month; the months before it are committed, the table otherwise unchanged', async () => {
    await serve('green_tripdata_2020-01.parquet', (f) => writeTripParquet(f, 'green', '2020-01', 500))
    const r = await ingest(['green', '2020-01..2020-02', '--table', 'green_partial', '--jobs', '1'])
    const e = expectError(r, 'NOT_AVAILABLE')
    expect(e.message).toContain('green 2020-02')
    expect(e.suggestions.join(' ')).toContain('Already committed: green 2020-01')
    expect(await query(`SELECT count(*)::int AS n FROM green_partial`)).toEqual([{n: 500}])
    await query(`DROP TABLE green_partial; DELETE FROM dezc_ingest_ledger WHERE table_name = 'green_partial'`)
  })

  it('a parquet file cut mid-way, and a file that is not parquet', async () => {
    const whole = path.join(dir, 'whole.parquet')
    await writeTripParquet(whole, 'yellow', '2021-03', 20_000)
    await serve('yellow_tripdata_2021-03.parquet', (f) =>
      fs.writeFileSync(f, fs.readFileSync(whole).subarray(0, Math.floor(fs.statSync(whole).size / 2))),
    )
    const cut = expectError(await ingest(['yellow', '2021-03']), 'CORRUPT_FILE')
    expect(cut.message).toMatch(/cut short|not .*parquet/)
    expect(cut.message).not.toContain('.part') // the cache's internal file is not the user's business
    expect(cut.message).toContain(`${base}yellow_tripdata_2021-03.parquet`)
    await serve('yellow_tripdata_2021-04.parquet', (f) => fs.writeFileSync(f, '<html><body>Moved</body></html>'))
    expectError(await ingest(['yellow', '2021-04']), 'CORRUPT_FILE')
    // A local --file: named as given, and no --no-cache advice (nothing was downloaded).
    const local = path.join(dir, 'half.parquet')
    fs.writeFileSync(local, fs.readFileSync(whole).subarray(0, 1000))
    const own = expectError(await ingest(['yellow', '--file', local]), 'CORRUPT_FILE')
    expect(own.message).toContain(local)
    expect(own.suggestions.join(' ')).not.toContain('--no-cache')
    // Valid magic at both ends, garbage inside: DuckDB refuses it.
    const bytes = fs.readFileSync(whole)
    await serve('yellow_tripdata_2021-05.parquet', (f) =>
      fs.writeFileSync(
        f,
        Buffer.concat([bytes.subarray(0, 4), Buffer.alloc(bytes.length - 8, 0x41), bytes.subarray(-4)]),
      ),
    )
    expectError(await ingest(['yellow', '2021-05']), 'CORRUPT_FILE')
    expect(await fingerprint()).toBe(baseline)
  })

  it('a column whose type cannot be cast (values and types)', async () => {
    await serve('yellow_tripdata_2021-06.parquet', (f) =>
      writeTripParquet(f, 'yellow', '2021-06', 5000, {
        replace: {
          passenger_count: [
            'passenger_count',
            'VARCHAR',
            "CASE WHEN i = 4321 THEN 'two' ELSE CAST(1 + i % 3 AS VARCHAR) END",
          ],
        },
      }),
    )
    const values = expectError(await ingest(['yellow', '2021-06']), 'UNCASTABLE_COLUMN')
    expect(values.message).toContain('passenger_count')
    expect(values.message).toContain('two')
    await serve('yellow_tripdata_2021-07.parquet', (f) =>
      writeTripParquet(f, 'yellow', '2021-07', 100, {
        replace: {trip_distance: ['trip_distance', 'STRUCT(km DOUBLE)', '{km: 1.5}']},
      }),
    )
    const types = expectError(await ingest(['yellow', '2021-07']), 'UNCASTABLE_COLUMN')
    expect(types.message).toMatch(/trip_distance.*STRUCT/)
    await serve('yellow_tripdata_2021-08.parquet', (f) =>
      writeTripParquet(f, 'yellow', '2021-08', 100, {
        replace: {tpep_pickup_datetime: ['tpep_pickup_datetime', 'DOUBLE', '1.5']},
      }),
    )
    const ts = expectError(await ingest(['yellow', '2021-08']), 'UNCASTABLE_COLUMN')
    expect(ts.message).toContain('tpep_pickup_datetime')
    expect(await fingerprint()).toBe(baseline)
  })

  it('database unreachable, wrong password, missing database: clear, and the password never printed', async () => {
    const port = await freePort()
    const down = await runCli([
      'ingest',
      'yellow',
      '2021-01',
      '--base-url',
      base,
      '--db-url',
      `postgresql://root:s3cretpw@127.0.0.1:${port}/nytaxi`,
      '--json',
    ])
    const e1 = expectError(down, 'DB_UNREACHABLE', 4)
    expect(e1.message).toContain(`127.0.0.1:${port}`)
    expect(down.stdout + down.stderr).not.toContain('s3cretpw')
    const badPw = db.url.replace(':root@', ':wrong-pw@')
    const auth = await runCli(['ingest', 'yellow', '2021-01', '--base-url', base, '--db-url', badPw])
    expect(auth.code).toBe(4)
    expect(auth.stderr).toMatch(/Error: PostgreSQL at .* rejected the login.*\[DB_AUTH_FAILED\]/)
    expect(auth.stderr).toContain('Try this:')
    expect(auth.stdout + auth.stderr).not.toContain('wrong-pw')
    const nodb = await runCli([
      'ingest',
      'yellow',
      '2021-01',
      '--base-url',
      base,
      '--db-url',
      db.url.replace('/nytaxi', '/nosuchdb'),
      '--json',
    ])
    expectError(nodb, 'DB_NOT_FOUND', 4)
    expect(await fingerprint()).toBe(baseline)
  })

  it('disk full while downloading', async () => {
    await serve('yellow_tripdata_2021-09.parquet', (f) => writeTripParquet(f, 'yellow', '2021-09', 20_000))
    const cache = path.join(dir, 'fullcache')
    const target = path.join(cache, 'ingest', `127.0.0.1_${srv.port}`, 'trip-data')
    fs.mkdirSync(target, {recursive: true})
    fs.symlinkSync('/dev/full', path.join(target, 'yellow_tripdata_2021-09.parquet.part'))
    srv.set('/trip-data/yellow_tripdata_2021-09.parquet', {
      file: path.join(dir, 'yellow_tripdata_2021-09.parquet'),
      chunked: true,
    })
    const e = expectError(await ingest(['yellow', '2021-09'], {env: {DEZC_CACHE_DIR: cache}}), 'DISK_FULL')
    expect(e.message).toContain('yellow 2021-09')
    expect(await fingerprint()).toBe(baseline)
  })

  it('Ctrl-C during the load rolls it back', async () => {
    await serve('yellow_tripdata_2020-01.parquet', (f) => writeTripParquet(f, 'yellow', '2020-01', 1_500_000))
    let sent = false
    const watcher = new pg.Client({connectionString: db.url})
    await watcher.connect()
    const r = await ingest(['yellow', '2020-01'], {
      onSpawn: (child) => {
        const poll = setInterval(async () => {
          const p = await watcher.query(`SELECT tuples_processed FROM pg_stat_progress_copy`).catch(() => ({rows: []}))
          if (!sent && p.rows.length > 0 && Number(p.rows[0].tuples_processed) > 0) {
            sent = true
            clearInterval(poll)
            child.kill('SIGINT')
          }
        }, 50)
        child.on('close', () => clearInterval(poll))
      },
    })
    await watcher.end()
    expect(sent).toBe(true)
    const e = expectError(r, 'INTERRUPTED', 130)
    expect(e.message).toMatch(/rolled back|Interrupted/)
    expect(await fingerprint()).toBe(baseline)
  })
})

describe('dezc ingest: the database dying mid-load', () => {
  it('reports the lost connection and, after a restart, the table is as before', async () => {
    const own = await startPostgres()
    try {
      const file = await serve('yellow_tripdata_2020-02.parquet', (f) =>
        writeTripParquet(f, 'yellow', '2020-02', 1_500_000),
      )
      const small = await serve('yellow_tripdata_2020-03.parquet', (f) =>
        writeTripParquet(f, 'yellow', '2020-03', 1000),
      )
      expect(fs.existsSync(file) && fs.existsSync(small)).toBe(true)
      const ok = await runCli(['ingest', 'yellow', '2020-03', '--base-url', base, '--db-url', own.url, '--json'])
      expect(ok.code, ok.stderr).toBe(0)
      let crashed = false
      // Awaited below: the CLI can exit before pg_ctl has seen the server go, and a restart meanwhile
      // would leave that pg_ctl waiting on the new server (and failing once the folder is removed).
      let crash: Promise<void> | undefined
      const watcher = new pg.Client({connectionString: own.url})
      await watcher.connect()
      watcher.on('error', () => {})
      const r = await runCli(['ingest', 'yellow', '2020-02', '--base-url', base, '--db-url', own.url, '--json'], {
        timeoutMs: 120_000,
        onSpawn: () => {
          const poll = setInterval(async () => {
            if (crashed) return
            const p = await watcher
              .query(`SELECT tuples_processed FROM pg_stat_progress_copy`)
              .catch(() => ({rows: []}))
            // Polls overlap (each awaits a query): only the first one that sees the COPY crashes the server.
            if (crashed || !(p.rows.length > 0 && Number(p.rows[0].tuples_processed) > 0)) return
            crashed = true
            clearInterval(poll)
            crash = own.crash()
          }, 50)
        },
      })
      await watcher.end().catch(() => {})
      expect(crashed).toBe(true)
      await crash
      const e = expectError(r, 'DB_CONNECTION_LOST')
      expect(e.message).toContain('yellow 2020-02')
      expect(e.message).toContain('unchanged')
      await own.start()
      const c = new pg.Client({connectionString: own.url})
      await c.connect()
      const rows = await c.query(`SELECT count(*)::int AS n FROM yellow_taxi_data`)
      const ledger = await c.query(`SELECT period FROM dezc_ingest_ledger ORDER BY load_id`)
      await c.end()
      expect(rows.rows[0].n).toBe(1000)
      expect(ledger.rows.map((x) => x.period)).toEqual(['2020-03'])
    } finally {
      await own.stop()
    }
  })
})

describe('credentials inside the source URL', () => {
  it('become an Authorization header, are never printed (progress, debug, --json), and a missing month fails once, not after retries', async () => {
    const secret = 's3cr3t-pw-7781'
    await serve('yellow_tripdata_2018-05.parquet', (f) => writeTripParquet(f, 'yellow', '2018-05', 500))
    const authed = base.replace('http://', `http://reader:${secret}@`)
    const t0 = srv.requests.length
    const ok = await runCli(
      [
        'ingest',
        'yellow',
        '2018-05',
        '--base-url',
        authed,
        '--db-url',
        db.url,
        '--table',
        'yellow_authed',
        '--verbose',
        '--json',
      ],
      {timeoutMs: 120_000},
    )
    expect(ok.code, ok.stdout + ok.stderr).toBe(0)
    expect(ok.stdout + ok.stderr).not.toContain(secret)
    const sent = srv.requests.slice(t0).filter((q) => q.path.endsWith('2018-05.parquet'))
    expect(sent.length).toBeGreaterThan(0)
    for (const q of sent) expect(q.authorization).toBe(`Basic ${Buffer.from(`reader:${secret}`).toString('base64')}`)
    await query('DROP TABLE yellow_authed')
    await query("DELETE FROM dezc_ingest_ledger WHERE table_name = 'yellow_authed'")
    const t1 = srv.requests.length
    const started = Date.now()
    const missing = await runCli(
      ['ingest', 'yellow', '2019-07', '--base-url', authed, '--db-url', db.url, '--verbose', '--json'],
      {timeoutMs: 120_000},
    )
    const e = expectError(missing, 'NOT_AVAILABLE')
    expect(missing.stdout + missing.stderr).not.toContain(secret)
    expect(e.message).toMatch(/http:\/\/127\.0\.0\.1:\d+\/trip-data\/yellow_tripdata_2019-07\.parquet/)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(srv.requests.slice(t1).filter((q) => q.method === 'GET')).toHaveLength(1)
  })
})
