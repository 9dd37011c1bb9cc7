/**
 * bench/flow: the week-2 workflow, three ways, on one machine, one env stack's Postgres (a real
 * container) and one loopback mirror serving the same generated yellow month:
 *   (a) `dezc ingest yellow 2021-01` alone (the built CLI, whole command: download, load, commit),
 *   (b) `dezc flow run ingest` of that month: Prefect 3 creates the run, the worker picks it up and
 *       starts a process, the task runs `dezc ingest`; timed from the trigger to Completed,
 *   (c) the course's week-2 flow ported to Prefect 3 (bench/flow_course.py: wget + pandas +
 *       to_sql in 100k chunks, tasks with retries), run as `python flow.py` against the same server,
 * then (d) the same `dezc flow run` again (the month is loaded: nothing to do) and `dezc flow up`
 * cold and warm. Prints seconds, rows/s and the ratios (b)/(a) = Prefect's overhead on dezc's
 * ingest, and (c)/(b) = how much longer the course's flow takes than dezc's.
 * Usage: bench/flow [--rows 1369769] [--keep]
 */
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {freePort} from '../test/helpers/docker.js'
import {startFileServer} from '../test/helpers/file-server.js'
import {writeTripParquet} from '../test/helpers/tlc-fixtures.js'
import {WORKER_QUERY_SECONDS} from '../src/flow/settings.js'
import {benchPython} from './python-env.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const arg = (name: string, def: number) =>
  process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : def
const ROWS = arg('--rows', 1_369_769)
const KEEP = process.argv.includes('--keep')
const PREFECT_VERSION = process.env.DEZC_TEST_PREFECT_VERSION ?? '3.9.1'
const PREFECT_VENV = process.env.DEZC_TEST_PREFECT_VENV ?? '/var/cache/dezc-test/prefect/venv'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-bench-flow-'))
const project = path.join(dir, 'flow')
const stack = `dezc-bench-flow-${process.pid}`
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

/** Runs a program (async: the mirror serves from this process), with its seconds and output. */
function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{code: number; seconds: number; stdout: string; stderr: string}> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({code: code ?? 1, seconds: (performance.now() - t0) / 1000, stdout, stderr}))
  })
}

let env: NodeJS.ProcessEnv = {}
/** `--json` goes before a `--` (what follows it is psql's). */
const withJson = (args: string[]) =>
  args.includes('--')
    ? [...args.slice(0, args.indexOf('--')), '--json', ...args.slice(args.indexOf('--'))]
    : [...args, '--json']
async function dezc(
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{seconds: number; json: Record<string, any>}> {
  const r = await run(process.execPath, [path.join(root, 'bin', 'run.js'), ...withJson(args)], {...env, ...extraEnv})
  if (r.code !== 0) throw new Error(`dezc ${args.join(' ')} failed (${r.code}): ${r.stdout}\n${r.stderr.slice(-2000)}`)
  return {seconds: r.seconds, json: JSON.parse(r.stdout).result}
}

async function count(table: string): Promise<number> {
  const r = await dezc(['env', 'psql', '--stack', stack, '--', '-Atc', `select count(*) from ${table}`])
  return Number(String(r.json.stdout).trim())
}

async function main(): Promise<void> {
  const file = path.join(dir, 'yellow_tripdata_2021-01.parquet')
  const t0 = performance.now()
  await writeTripParquet(file, 'yellow', '2021-01', ROWS, {rowGroupSize: 1_048_576})
  const mib = fs.statSync(file).size / 2 ** 20
  console.log(
    `generated ${fmt(ROWS)} rows, ${mib.toFixed(1)} MiB parquet in ${((performance.now() - t0) / 1000).toFixed(1)} s (${dir})`,
  )
  const course = benchPython(
    'flow-course',
    [`prefect==${PREFECT_VERSION}`, 'pandas', 'pyarrow', 'sqlalchemy', 'psycopg2-binary'],
    'prefect, pandas, pyarrow, sqlalchemy, psycopg2',
  )
  const srv = await startFileServer({missingStatus: 403})
  srv.set('/trip-data/yellow_tripdata_2021-01.parquet', {file})
  const pgPort = await freePort()
  const prefectPort = await freePort()
  env = {
    DEZC_STACK: stack,
    DEZC_FLOW_VENV: PREFECT_VENV,
    DEZC_INGEST_BASE_URL: `${srv.url}/trip-data/`,
    // The worker (started by flow up) and (a) download into separate caches: both fetch the month.
    DEZC_CACHE_DIR: path.join(dir, 'cache-flow'),
    DEZC_CONFIG_DIR: path.join(dir, 'config'),
    NODE_ENV: 'production',
  }
  try {
    await dezc(['env', 'up', '--stack', stack, '--pg-port', String(pgPort), '--no-pgadmin'])
    const cred = (await dezc(['env', 'credentials', '--stack', stack])).json.postgres
    // The default local profile's well-known password (the course's root/root); loopback only.
    const dbUrl = `postgresql://${cred.user}:root@127.0.0.1:${cred.port}/${cred.database}`

    await dezc(['flow', 'init', '--dir', project])
    const upCold = await dezc(['flow', 'up', '--dir', project, '--port', String(prefectPort)])
    const upWarm = await dezc(['flow', 'up', '--dir', project])

    const a = await dezc(['ingest', 'yellow', '2021-01', '--table', 'bench_direct'], {
      DEZC_CACHE_DIR: path.join(dir, 'cache-direct'),
    })
    if ((await count('bench_direct')) !== ROWS) throw new Error('(a) did not load every row')

    const flowParams = ['-p', 'months=2021-01', '-p', 'table=bench_flow']
    const b = await dezc(['flow', 'run', 'ingest', '--dir', project, ...flowParams])
    if (b.json.state !== 'COMPLETED') throw new Error(`(b) ended ${b.json.state}`)
    if ((await count('bench_flow')) !== ROWS) throw new Error('(b) did not load every row')
    const d = await dezc(['flow', 'run', 'ingest', '--dir', project, ...flowParams])
    if ((await count('bench_flow')) !== ROWS) throw new Error('(d) loaded the month twice')

    const c = await run(
      course,
      [
        path.join(root, 'bench', 'flow_course.py'),
        srv.url + '/trip-data/yellow_tripdata_2021-01.parquet',
        dbUrl,
        'bench_course',
      ],
      {
        PREFECT_API_URL: `http://127.0.0.1:${prefectPort}/api`,
        PREFECT_HOME: path.join(dir, 'prefect-home'),
      },
    )
    if (c.code !== 0) throw new Error(`(c) the course's flow failed (${c.code}): ${c.stderr.slice(-3000)}`)
    const cRows = await count('bench_course')
    const cOut = JSON.parse(c.stdout.trim().split('\n').pop()!)

    const rows = (name: string, n: number, s: number, note = '') =>
      console.log(`${name.padEnd(58)} ${s.toFixed(2).padStart(7)} s ${fmt(n / s).padStart(10)} rows/s  ${note}`)
    console.log(`\nload average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`)
    console.log(`${fmt(ROWS)} rows, ${mib.toFixed(1)} MiB, into the stack's Postgres (a real container)`)
    rows('(a) dezc ingest (whole command)', ROWS, a.seconds)
    rows(
      '(b) dezc flow run ingest (trigger -> Completed)',
      ROWS,
      b.seconds,
      `the worker polls every ${process.env.PREFECT_WORKER_QUERY_SECONDS ?? WORKER_QUERY_SECONDS} s`,
    )
    rows(
      "(c) the course's flow: python flow.py (pandas + to_sql)",
      cRows,
      c.seconds,
      `${cRows} rows after its transform; flow body ${cOut.seconds.toFixed(2)} s`,
    )
    console.log(`${'(d) dezc flow run again (month already loaded)'.padEnd(58)} ${d.seconds.toFixed(2).padStart(7)} s`)
    console.log(
      `${'dezc flow up, cold (server, pool, deployment, worker)'.padEnd(58)} ${upCold.seconds.toFixed(2).padStart(7)} s`,
    )
    console.log(`${'dezc flow up, warm (nothing to start)'.padEnd(58)} ${upWarm.seconds.toFixed(2).padStart(7)} s`)
    console.log(`\nratio (b)/(a), Prefect's overhead on dezc ingest:     ${(b.seconds / a.seconds).toFixed(2)}x`)
    console.log(`ratio (c)/(b), the course's flow vs dezc flow run:    ${(c.seconds / b.seconds).toFixed(2)}x slower`)
    console.log(`ratio (d)/(b), a re-run of a loaded month:            ${(d.seconds / b.seconds).toFixed(2)}x`)
  } finally {
    await dezc(['flow', 'down', '--dir', project]).catch((error) => console.error(String(error)))
    if (!KEEP) {
      await dezc(['env', 'down', '--stack', stack, '--volumes', '--yes']).catch((error) => console.error(String(error)))
      fs.rmSync(dir, {recursive: true, force: true})
    }
    await srv.close()
  }
}

await main()
