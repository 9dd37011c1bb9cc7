/**
 * bench/ingest: load the same yellow-2021-01-shaped month into the same local PostgreSQL 15 with
 *   (a) `dezc ingest --file` (the built CLI, end to end: process start, DuckDB read, binary COPY, ledger, commit),
 *   (b) `psql \copy` FORMAT binary of the same rows pre-encoded (the server's practical limit),
 *   (c) `psql \copy` CSV of the same rows,
 *   (d) multi-row INSERTs of 1,000 rows per statement through `pg`, on the first --insert-rows rows only,
 *   (e) the course's own approach (bench/ingest_peers.py course): pandas in 100,000-row chunks +
 *       SQLAlchemy `to_sql` over psycopg2, whole command including Python's start-up and imports,
 *   (f) dlt's postgres destination fed the same chunks (bench/ingest_peers.py dlt),
 *   both from a project-local Python environment that uv creates from PyPI (cached in
 *   $DEZC_BENCH_CACHE, default /var/cache/dezc-bench), on the first --peer-rows rows (default all),
 * and print rows/s and ratios, plus dezc's peak RSS for the file and for a file 3x larger.
 * The data is generated locally by DuckDB (the TLC CDN is not reachable): same columns and physical
 * types as the real 2021-01 file, 2 row groups (1,048,576 + rest) as pyarrow writes them.
 * The server runs with durable settings (fsync, full_page_writes, synchronous_commit on).
 * Then the network part (bench/ingest-network.ts): a throttled loopback mirror at 5 and 50 MB/s.
 * Usage: bench/ingest [--rows 1369769] [--insert-rows 200000] [--no-3x] [--no-network | --network-only]
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import pg from 'pg'
import {startPostgres} from '../test/helpers/postgres.js'
import {writeTripParquet} from '../test/helpers/tlc-fixtures.js'
import {benchPython} from './python-env.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const arg = (name: string, def: number) =>
  process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : def
const ROWS = arg('--rows', 1_369_769)
const INSERT_ROWS = Math.min(arg('--insert-rows', 200_000), ROWS)
const TRIPLE = !process.argv.includes('--no-3x')
const PEER_ROWS = Math.min(arg('--peer-rows', ROWS), ROWS)
const PEERS = !process.argv.includes('--no-peers')

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-bench-ingest-'))
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

interface Run {
  name: string
  rows: number
  seconds: number
  note?: string
}

function dezc(
  db: string,
  file: string,
  table: string,
): {seconds: number; loadSeconds: number; rows: number; rssMiB: number} {
  const rssFile = path.join(dir, 'rss')
  const t0 = performance.now()
  const r = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      '%M',
      '-o',
      rssFile,
      process.execPath,
      path.join(root, 'bin', 'run.js'),
      'ingest',
      'yellow',
      '2021-01',
      '--file',
      file,
      '--table',
      table,
      '--db-url',
      db,
      '--json',
    ],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        NODE_ENV: 'production',
        DEZC_CACHE_DIR: path.join(dir, 'cache'),
        DEZC_CONFIG_DIR: path.join(dir, 'config'),
        DEZC_DATA_DIR: path.join(dir, 'data'),
      },
      maxBuffer: 1 << 26,
    },
  )
  const seconds = (performance.now() - t0) / 1000
  if (r.status !== 0) throw new Error(`dezc failed (${r.status}): ${r.stdout}\n${r.stderr}`)
  const load = JSON.parse(r.stdout).result.loads[0]
  return {
    seconds,
    loadSeconds: load.seconds,
    rows: load.rows,
    rssMiB: Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024,
  }
}

function peer(
  python: string,
  mode: 'course' | 'dlt',
  db: string,
  file: string,
  table: string,
  rows: number,
): {rows: number; seconds: number; loadSeconds: number} {
  const t0 = performance.now()
  const r = spawnSync(python, [path.join(root, 'bench', 'ingest_peers.py'), mode, file, db, table, String(rows)], {
    encoding: 'utf8',
    env: {...process.env, DLT_DATA_DIR: path.join(dir, 'dlt'), RUNTIME__LOG_LEVEL: 'WARNING'},
    maxBuffer: 1 << 26,
  })
  const seconds = (performance.now() - t0) / 1000
  if (r.status !== 0) throw new Error(`${mode} peer failed (${r.status}): ${r.stderr.slice(-2000)}`)
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!)
  return {rows: out.rows, seconds, loadSeconds: out.seconds}
}

function psql(db: string, command: string): number {
  const t0 = performance.now()
  const r = spawnSync('psql', [db, '-v', 'ON_ERROR_STOP=1', '-qc', command], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`)
  return (performance.now() - t0) / 1000
}

async function main(): Promise<void> {
  const server = await startPostgres({settings: {fsync: 'on', full_page_writes: 'on', synchronous_commit: 'on'}})
  const c = new pg.Client({connectionString: server.url})
  try {
    await c.connect()
    const file = path.join(dir, 'yellow_tripdata_2021-01.parquet')
    let t0 = performance.now()
    await writeTripParquet(file, 'yellow', '2021-01', ROWS, {rowGroupSize: 1_048_576})
    console.log(
      `generated ${fmt(ROWS)} rows, ${(fs.statSync(file).size / 2 ** 20).toFixed(1)} MiB parquet in ${((performance.now() - t0) / 1000).toFixed(1)} s (${dir})`,
    )

    const runs: Run[] = []
    await c.query('CHECKPOINT')
    const a = dezc(server.url, file, 'bench_dezc')
    if (a.rows !== ROWS) throw new Error(`dezc loaded ${a.rows} rows, expected ${ROWS}`)
    runs.push({
      name: '(a) dezc ingest --file (whole command)',
      rows: a.rows,
      seconds: a.seconds,
      note: `peak RSS ${a.rssMiB.toFixed(0)} MiB`,
    })
    runs.push({name: '    of which download check + load + commit', rows: a.rows, seconds: a.loadSeconds})

    // The same rows, pre-encoded by the server itself, for psql.
    const cols = (
      await c.query(
        `SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) AS c FROM information_schema.columns WHERE table_name = 'bench_dezc' AND column_name <> 'dezc_load_id'`,
      )
    ).rows[0].c as string
    const bin = path.join(dir, 'rows.bin')
    const csv = path.join(dir, 'rows.csv')
    psql(server.url, `\\copy (SELECT ${cols} FROM bench_dezc) TO '${bin}' (FORMAT binary)`)
    psql(server.url, `\\copy (SELECT ${cols} FROM bench_dezc) TO '${csv}' (FORMAT csv, HEADER)`)
    for (const [name, target, f, opts] of [
      ['(b) psql \\copy binary (pre-encoded)', 'bench_bin', bin, 'FORMAT binary'],
      ['(c) psql \\copy CSV', 'bench_csv', csv, 'FORMAT csv, HEADER'],
    ] as const) {
      await c.query(`CREATE TABLE ${target} (LIKE bench_dezc); ALTER TABLE ${target} DROP COLUMN dezc_load_id`)
      await c.query('CHECKPOINT')
      const s = psql(server.url, `\\copy ${target} (${cols}) FROM '${f}' (${opts})`)
      const n = Number((await c.query(`SELECT count(*) AS n FROM ${target}`)).rows[0].n)
      if (n !== ROWS) throw new Error(`${name} loaded ${n} rows`)
      runs.push({name, rows: n, seconds: s, note: `${(fs.statSync(f).size / 2 ** 20).toFixed(0)} MiB file`})
    }

    // (d) multi-row INSERTs of 1,000 rows, as to_sql does (values come back from the loaded table).
    await c.query(`CREATE TABLE bench_insert (LIKE bench_dezc); ALTER TABLE bench_insert DROP COLUMN dezc_load_id`)
    const rows = (await c.query({text: `SELECT ${cols} FROM bench_dezc LIMIT ${INSERT_ROWS}`, rowMode: 'array'}))
      .rows as unknown[][]
    const width = rows[0].length
    await c.query('CHECKPOINT')
    t0 = performance.now()
    for (let i = 0; i < rows.length; i += 1000) {
      const batch = rows.slice(i, i + 1000)
      const values = batch
        .map((_, r) => `(${Array.from({length: width}, (_, k) => `$${r * width + k + 1}`).join(', ')})`)
        .join(', ')
      await c.query(`INSERT INTO bench_insert (${cols}) VALUES ${values}`, batch.flat())
    }
    const insertS = (performance.now() - t0) / 1000
    runs.push({
      name: '(d) INSERT 1,000 rows/statement (to_sql-like)',
      rows: rows.length,
      seconds: insertS,
      note: `first ${fmt(rows.length)} rows only`,
    })

    if (PEERS) {
      const python = benchPython(
        'py',
        ['pandas', 'pyarrow', 'sqlalchemy', 'psycopg2-binary', 'dlt[postgres]'],
        'pandas, pyarrow, sqlalchemy, psycopg2, dlt',
      )
      for (const [mode, name, table] of [
        ['course', "(e) the course's pandas to_sql (chunks of 100k)", 'bench_course'],
        ['dlt', "(f) dlt's postgres destination", 'bench_dlt'],
      ] as const) {
        await c.query('CHECKPOINT')
        const r = peer(python, mode, server.url, file, table, PEER_ROWS)
        if (r.rows !== PEER_ROWS) throw new Error(`${name} loaded ${r.rows} rows, expected ${PEER_ROWS}`)
        runs.push({
          name,
          rows: r.rows,
          seconds: r.seconds,
          note: `load ${r.loadSeconds.toFixed(1)} s after imports${PEER_ROWS < ROWS ? `; first ${fmt(PEER_ROWS)} rows` : ''}`,
        })
      }
    }

    let triple: ReturnType<typeof dezc> | undefined
    if (TRIPLE) {
      const big = path.join(dir, 'yellow_3x.parquet')
      await writeTripParquet(big, 'yellow', '2021-01', ROWS * 3, {rowGroupSize: 1_048_576})
      await c.query('CHECKPOINT')
      triple = dezc(server.url, big, 'bench_dezc_3x')
      runs.push({
        name: '(a) dezc ingest --file, 3x rows',
        rows: triple.rows,
        seconds: triple.seconds,
        note: `peak RSS ${triple.rssMiB.toFixed(0)} MiB`,
      })
    }

    const rate = (r: Run) => r.rows / r.seconds
    const dezcRate = rate(runs[0])
    console.log(
      `\nPostgreSQL 15 (fsync on), ${os.cpus().length} cores, Node ${process.version}; yellow 2021-01 shape, ${fmt(ROWS)} rows`,
    )
    console.log(
      `${'method'.padEnd(48)} ${'rows'.padStart(11)} ${'seconds'.padStart(8)} ${'rows/s'.padStart(11)}  dezc is   notes`,
    )
    for (const r of runs) {
      const ratio = dezcRate / rate(r)
      console.log(
        `${r.name.padEnd(48)} ${fmt(r.rows).padStart(11)} ${r.seconds.toFixed(2).padStart(8)} ${fmt(rate(r)).padStart(11)}  ${(ratio >= 1 ? `${ratio.toFixed(2)}x` : `1/${(1 / ratio).toFixed(2)}`).padStart(7)}   ${r.note ?? ''}`,
      )
    }
    const [, inner, b, csvRun, d] = runs
    console.log(
      `\ndezc (whole command) vs (b) binary \\copy: takes ${(runs[0].seconds / b.seconds).toFixed(2)}x as long (target <= 1.3x); load phase alone ${(inner.seconds / b.seconds).toFixed(2)}x`,
    )
    console.log(`dezc vs (c) CSV \\copy: ${(dezcRate / rate(csvRun)).toFixed(2)}x the rows/s`)
    console.log(`dezc vs (d) 1,000-row INSERTs: ${(dezcRate / rate(d)).toFixed(1)}x the rows/s (target >= 50x)`)
    for (const r of runs.filter((x) => x.name.startsWith('(e)') || x.name.startsWith('(f)')))
      console.log(`dezc vs ${r.name}: ${(dezcRate / rate(r)).toFixed(1)}x the rows/s`)
    console.log(
      `dezc peak RSS: ${a.rssMiB.toFixed(0)} MiB${triple ? `; ${triple.rssMiB.toFixed(0)} MiB for 3x the rows` : ''} (target <= 300 MiB, flat)`,
    )
  } finally {
    await c.end().catch(() => {})
    await server.stop()
    fs.rmSync(dir, {recursive: true, force: true})
  }
}

// The network part (bench/ingest-network.ts): a throttled mirror, whole command vs download vs load.
if (!process.argv.includes('--network-only')) await main()
if (!process.argv.includes('--no-network')) await (await import('./ingest-network.js')).networkBench()
