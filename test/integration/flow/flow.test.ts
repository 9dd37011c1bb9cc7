/**
 * End-to-end with the real Prefect 3 (server on SQLite, a real process worker; from PyPI, cached by
 * scripts/ensure-prefect.sh), a real env stack's Postgres, and a loopback mirror of TLC-shaped months:
 * init, up (idempotent), run -> Completed with the rows in Postgres, a month the source does not have
 * -> Failed with its logs shown and no retry, a month the source answers 503 for at first -> retried
 * by Prefect and Completed with one copy of the rows, down (the stack's data stays).
 */
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {engineAvailable, freePort, removeStack, uniqueStack} from '../../helpers/docker.js'
import {startFileServer, type FileServer} from '../../helpers/file-server.js'
import {writeTripParquet} from '../../helpers/tlc-fixtures.js'
import {makeTempDir} from '../../helpers/tmp.js'

const VENV = process.env.DEZC_TEST_PREFECT_VENV ?? '/var/cache/dezc-test/prefect/venv'
const ready = fs.existsSync(path.join(VENV, 'bin', 'prefect')) && (await engineAvailable())
const ROWS = 3000

let srv: FileServer
let stack: string
let dir: string
let env: NodeJS.ProcessEnv
let port: number

const flow = (args: string[], timeoutMs = 300_000) =>
  runCli(['flow', ...args, '--dir', dir, '--json'], {env, timeoutMs})

async function count(where: string): Promise<number> {
  const r = await runCli(['env', 'psql', '--stack', stack, '--json', '--', '-Atc', `select count(*) from ${where}`], {
    env,
  })
  expect(r.code, r.stderr).toBe(0)
  return Number(r.json().stdout.trim())
}

async function serve(period: string): Promise<void> {
  const file = path.join(dir, '..', `yellow_tripdata_${period}.parquet`)
  await writeTripParquet(file, 'yellow', period, ROWS)
  srv.set(`/trip-data/yellow_tripdata_${period}.parquet`, {file})
}

describe.skipIf(!ready)('dezc flow with a real Prefect 3 server and worker', () => {
  beforeAll(async () => {
    srv = await startFileServer({missingStatus: 403})
    stack = uniqueStack('fl')
    const root = makeTempDir('dezc-flow-')
    dir = path.join(root, 'project')
    port = await freePort()
    env = {
      DEZC_FLOW_VENV: VENV,
      DEZC_STACK: stack,
      DEZC_INGEST_BASE_URL: `${srv.url}/trip-data/`,
      DEZC_RETRY_BASE_MS: '10',
      PREFECT_WORKER_QUERY_SECONDS: '1',
    }
    const up = await runCli(
      ['env', 'up', '--stack', stack, '--pg-port', String(await freePort()), '--no-pgadmin', '--json'],
      {
        env,
        timeoutMs: 180_000,
      },
    )
    expect(up.code, up.stderr).toBe(0)
    await Promise.all([serve('2021-02'), serve('2021-03')])
  }, 400_000)

  afterAll(async () => {
    if (dir) await runCli(['flow', 'down', '--dir', dir, '--json'], {env, timeoutMs: 60_000})
    if (stack) {
      await runCli(['env', 'down', '--stack', stack, '--volumes', '--yes', '--json'], {env, timeoutMs: 120_000})
      await removeStack(stack)
    }
    await srv?.close()
  }, 200_000)

  it('init writes the project, keeps an edited file, --dry-run writes nothing', async () => {
    const dry = await flow(['init', '--dry-run'])
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.json().files.map((f: {action: string}) => f.action)).toEqual(Array(5).fill('create'))
    expect(fs.existsSync(dir)).toBe(false)
    const r = await flow(['init'])
    expect(r.code, r.stderr).toBe(0)
    for (const f of ['flows/ingest.py', 'prefect.yaml', 'requirements.txt', 'README.md', '.gitignore'])
      expect(fs.existsSync(path.join(dir, f)), f).toBe(true)
    expect(fs.readFileSync(path.join(dir, 'requirements.txt'), 'utf8')).toMatch(/^prefect==3\.\d+\.\d+$/m)
    const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8')
    for (const old of [
      'prefect deployment build',
      'prefect deployment apply',
      'prefect agent start --work-queue default',
    ])
      expect(readme).toContain(old)
    const flowPy = fs.readFileSync(path.join(dir, 'flows/ingest.py'), 'utf8')
    expect(flowPy).not.toMatch(/password|root:root/i)
    fs.appendFileSync(path.join(dir, 'README.md'), '\nmy notes\n')
    const again = await flow(['init'])
    expect(again.json().files.find((f: {name: string}) => f.name === 'README.md').action).toBe('keep-edited')
    expect(fs.readFileSync(path.join(dir, 'README.md'), 'utf8')).toContain('my notes')
  })

  it('up starts server, pool, deployment and worker; a second up starts nothing', async () => {
    const dry = await flow(['up', '--port', String(port), '--dry-run'])
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.json().plan).toMatchObject({server: 'start', worker: 'start', port})
    const r = await flow(['up', '--port', String(port)], 400_000)
    expect(r.code, r.stderr).toBe(0)
    const up = r.json()
    expect(up).toMatchObject({
      url: `http://127.0.0.1:${port}`,
      pool: 'dezc',
      deployed: true,
      deployments: ['ingest/ingest'],
    })
    expect(up.server.started).toBe(true)
    expect(up.worker.started).toBe(true)
    const health = await fetch(`http://127.0.0.1:${port}/api/health`)
    expect(await health.json()).toBe(true)
    const again = await flow(['up'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.json()).toMatchObject({
      deployed: false,
      server: {started: false, pid: up.server.pid},
      worker: {started: false},
    })
    const status = await flow(['status'])
    expect(status.code, status.stderr).toBe(0)
    expect(status.json()).toMatchObject({
      up: true,
      server: {healthy: true},
      worker: {online: true},
      deployments: ['ingest/ingest'],
    })
  }, 500_000)

  it('run ingest -> Completed, the month is in Postgres; a second run loads nothing', async () => {
    const r = await flow(['run', 'ingest', '--param', 'dataset=yellow', '--param', 'months=2021-02'])
    expect(r.code, r.stderr).toBe(0)
    const run = r.json()
    expect(run).toMatchObject({state: 'COMPLETED', deployment: 'ingest/ingest', parameters: {months: ['2021-02']}})
    expect(run.runId).toMatch(/^[0-9a-f-]{36}$/)
    expect(run.taskRuns).toEqual([expect.objectContaining({name: 'yellow-2021-02', state: 'COMPLETED', runCount: 1})])
    expect(await count(`yellow_taxi_data`)).toBe(ROWS)
    const again = await flow(['run', 'ingest', '-p', 'months=2021-02'])
    expect(again.code, again.stderr).toBe(0)
    expect(await count(`yellow_taxi_data`)).toBe(ROWS)
    expect(await count(`dezc_ingest_ledger where period = '2021-02'`)).toBe(1)
  }, 300_000)

  it('a month the source does not have fails for good (not retried) and its logs are shown', async () => {
    const r = await flow(['run', 'ingest', '-p', 'months=2021-05', '-p', 'retry_delay_seconds=[1]'])
    expect(r.code).toBe(1)
    const {error} = r.json()
    expect(error.code).toBe('FLOW_RUN_FAILED')
    expect(error.details.state).toBe('FAILED')
    expect(error.details.taskRuns[0]).toMatchObject({name: 'yellow-2021-05', runCount: 1})
    expect(error.details.logs.join('\n')).toMatch(/NOT_AVAILABLE/)
    const human = await runCli(['flow', 'run', 'ingest', '--dir', dir, '-p', 'months=2021-05'], {
      env,
      timeoutMs: 300_000,
    })
    expect(human.code).toBe(1)
    expect(human.stderr).toMatch(/\| .*yellow-2021-05: .*NOT_AVAILABLE/)
    expect(human.stderr).toContain('FLOW_RUN_FAILED')
  }, 400_000)

  it('a task whose source answers 503 at first is retried by Prefect and completes with one copy', async () => {
    // dezc's own downloader retries 5 times: 6 answers of 503 fail its first attempt.
    srv.set('/trip-data/yellow_tripdata_2021-03.parquet', {
      file: path.join(dir, '..', 'yellow_tripdata_2021-03.parquet'),
      failWith: {status: 503, times: 6},
    })
    const r = await flow(['run', 'ingest', '-p', 'months=2021-03', '-p', 'retry_delay_seconds=[1]'])
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0)
    expect(r.json().taskRuns[0]).toMatchObject({name: 'yellow-2021-03', state: 'COMPLETED', runCount: 2})
    expect(await count(`yellow_taxi_data`)).toBe(2 * ROWS)
    expect(await count(`dezc_ingest_ledger where period = '2021-03' and active`)).toBe(1)
  }, 300_000)

  it('bad input: an unknown deployment, an unknown parameter', async () => {
    const unknown = await flow(['run', 'nope'])
    expect(unknown.code).toBe(2)
    expect(unknown.json().error).toMatchObject({code: 'UNKNOWN_DEPLOYMENT'})
    expect(unknown.json().error.suggestions.join(' ')).toContain('ingest/ingest')
    const param = await flow(['run', 'ingest', '-p', 'month=2021-01'])
    expect(param.code).toBe(2)
    expect(param.json().error.code).toBe('INVALID_PARAMETER')
  })

  it('down stops worker and server; the stack keeps its data; status says so', async () => {
    const rowsBefore = await count('yellow_taxi_data')
    expect(rowsBefore).toBeGreaterThan(0)
    const r = await flow(['down'], 60_000)
    expect(r.code, r.stderr).toBe(0)
    expect(r.json().stopped.map((s: {name: string}) => s.name)).toEqual(['worker', 'server'])
    const status = await flow(['status'])
    expect(status.code).toBe(5)
    expect(status.json()).toMatchObject({up: false, server: {running: false}, worker: {running: false}})
    const run = await flow(['run', 'ingest'])
    expect(run.json().error.code).toBe('FLOW_SERVER_DOWN')
    expect(await count('yellow_taxi_data')).toBe(rowsBefore)
    const again = await flow(['down'])
    expect(again.json().stopped).toEqual([])
  }, 120_000)
})
