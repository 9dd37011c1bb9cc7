/**
 * bench/dbt: the week-4 local path on one machine.
 *   (a) `dezc ingest yellow 2021-01 --file F --to duckdb` into a new DuckDB file: the built CLI end to
 *       end, and the load time it reports (ledger, casts to the canonical columns, INSERT, commit);
 *   (b) the same command again: the ledger says loaded, nothing is read;
 *   (c) `--force`: the month's rows deleted and loaded again in one transaction;
 *   (d) DuckDB's own `CREATE TABLE AS SELECT * FROM read_parquet(F)` into a new file, in process
 *       (the same engine's floor: no ledger, no casts, no process start);
 *   (e) `dezc dbt init --target duckdb` + `dezc dbt seed`, `run`, `test` with the real dbt-duckdb of
 *       scripts/ensure-dbt.sh (each includes dbt's own start-up).
 * The data is generated locally by DuckDB (the TLC CDN is not reachable): the 2021-01 file's columns
 * and physical types. Usage: bench/dbt [--rows 1369769] [--runs 3] [--no-dbt]
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {DuckDBInstance} from '@duckdb/node-api'
import {writeTripParquet, zonesCsv} from '../test/helpers/tlc-fixtures.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const arg = (name: string, def: number) =>
  process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : def
const ROWS = arg('--rows', 1_369_769)
const RUNS = arg('--runs', 3)
const DBT = path.join(process.env.DEZC_TEST_DBT_DIR ?? '/var/cache/dezc-test/dbt', 'venv', 'bin', 'dbt')
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-bench-dbt-'))
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const env = {
  ...process.env,
  NODE_ENV: 'production',
  DEZC_CACHE_DIR: path.join(dir, 'cache'),
  DEZC_CONFIG_DIR: path.join(dir, 'config'),
  DEZC_DBT: DBT,
  DEZC_INGEST_BASE_URL: 'http://127.0.0.1:9/trip-data/',
}

function dezc(cwd: string, args: string[]): {seconds: number; stdout: string} {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'run.js'), ...args], {
    cwd,
    encoding: 'utf8',
    env,
    maxBuffer: 1 << 26,
  })
  const seconds = (performance.now() - t0) / 1000
  if (r.status !== 0) throw new Error(`dezc ${args.join(' ')} failed (${r.status}): ${r.stdout}\n${r.stderr}`)
  return {seconds, stdout: r.stdout}
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function main() {
  const parquet = path.join(dir, 'yellow_tripdata_2021-01.parquet')
  await writeTripParquet(parquet, 'yellow', '2021-01', ROWS, {rowGroupSize: 1_048_576})
  fs.writeFileSync(path.join(dir, 'taxi_zone_lookup.csv'), zonesCsv())
  const mb = fs.statSync(parquet).size / 1e6
  console.log(
    `bench/dbt: ${fmt(ROWS)} rows (${mb.toFixed(1)} MB parquet), ${os.cpus().length} cores, median of ${RUNS}`,
  )
  const load = (args: string[], cwd: string) => {
    const r = dezc(cwd, ['ingest', 'yellow', '2021-01', '--file', parquet, '--to', 'duckdb', '--json', ...args])
    const l = JSON.parse(r.stdout).result.loads[0]
    return {wall: r.seconds, load: l.seconds as number, status: l.status as string, rows: l.rows as number}
  }
  const fresh: Array<ReturnType<typeof load>> = []
  const again: Array<ReturnType<typeof load>> = []
  const force: Array<ReturnType<typeof load>> = []
  const ctas: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const cwd = fs.mkdtempSync(path.join(dir, 'run-'))
    fresh.push(load([], cwd))
    again.push(load([], cwd))
    force.push(load(['--force'], cwd))
    const file = path.join(cwd, 'ctas.duckdb')
    const instance = await DuckDBInstance.create(file, {threads: '2'})
    const conn = await instance.connect()
    const t0 = performance.now()
    await conn.run(`CREATE TABLE t AS SELECT * FROM read_parquet('${parquet}')`)
    ctas.push((performance.now() - t0) / 1000)
    conn.closeSync()
    instance.closeSync()
  }
  if (fresh.some((r) => r.status !== 'loaded' || r.rows !== ROWS) || again.some((r) => r.status !== 'skipped'))
    throw new Error(`unexpected statuses: ${JSON.stringify({fresh, again})}`)
  const line = (name: string, s: number, note = '') =>
    console.log(`  ${name.padEnd(58)} ${s.toFixed(2).padStart(6)} s ${note}`)
  const loadS = median(fresh.map((r) => r.load))
  line('(a) dezc ingest --to duckdb, new file: whole command', median(fresh.map((r) => r.wall)))
  line('    of which load (ledger + casts + INSERT + commit)', loadS, `${fmt(ROWS / loadS)} rows/s`)
  line('(b) the same command again (already loaded)', median(again.map((r) => r.wall)))
  line('(c) --force (delete + reload the month, one transaction): whole', median(force.map((r) => r.wall)))
  line('    of which load', median(force.map((r) => r.load)))
  const c = median(ctas)
  line("(d) DuckDB's CREATE TABLE AS read_parquet, in process", c, `dezc load / CTAS = ${(loadS / c).toFixed(2)}`)
  if (process.argv.includes('--no-dbt')) return
  const proj = fs.mkdtempSync(path.join(dir, 'proj-'))
  dezc(proj, ['ingest', 'zones', '--file', path.join(dir, 'taxi_zone_lookup.csv'), '--to', 'duckdb'])
  dezc(proj, ['ingest', 'yellow', '2021-01', '--file', parquet, '--to', 'duckdb'])
  line('(e) dezc dbt init --target duckdb', dezc(proj, ['dbt', 'init', '--target', 'duckdb', '--no-dbt-utils']).seconds)
  for (const cmd of ['seed', 'run', 'test']) line(`    dezc dbt ${cmd}`, dezc(proj, ['dbt', cmd]).seconds)
}

try {
  await main()
} finally {
  fs.rmSync(dir, {recursive: true, force: true})
}
