/**
 * `dezc spark cluster` on the real Docker engine: a real Spark 4.0.1 standalone master and two
 * workers (the locally built apache/spark:4.0.1-python3 image: ensure-real-spark.sh's repack of
 * PyPI's pyspark on Debian's OpenJDK 17, scripts/build-test-images.sh) on an env stack's network
 * beside its real Postgres. Both workers register, `dezc spark submit --master <printed URL>` runs a
 * job whose executors run in the worker containers and counts a parquet file's rows (DuckDB-written
 * with the TLC schema, in a folder mounted into the containers), and `cluster down` removes only
 * the cluster.
 */
import {execFileSync} from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {docker, freePort, removeStack, uniqueStack} from '../../helpers/docker.js'
import {COUNT_JOB, JAVA17_HOME} from '../../helpers/spark-fixtures.js'
import {writeTripParquet} from '../../helpers/tlc-fixtures.js'
import {makeTempDir} from '../../helpers/tmp.js'

const CACHE = process.env.DEZC_TEST_REAL_SPARK_DIR ?? '/var/cache/dezc-test/real-spark'
const IMAGE = 'apache/spark:4.0.1-python3'
const ROWS = 2345
const stack = uniqueStack('spk')
let stackArgs: string[]
let clusterArgs: string[]
let data: string
let sparkHome: string
let masterPort: number

const names = {
  master: `${stack}-spark-master`,
  workers: [`${stack}-spark-worker-1`, `${stack}-spark-worker-2`],
  postgres: `${stack}-pgsql-dev`,
  network: `${stack}-pg-network`,
}

describe.skipIf(process.arch !== 'x64')('spark cluster on a real engine: real Spark 4 master + 2 workers', () => {
  beforeAll(async () => {
    try {
      await docker.getImage(IMAGE).inspect()
    } catch {
      throw new Error(`No ${IMAGE} image: run bash scripts/ensure-real-spark.sh && bash scripts/build-test-images.sh`)
    }
    masterPort = await freePort()
    stackArgs = ['--stack', stack]
    clusterArgs = [
      ...stackArgs,
      ...['--workers', '2', '--worker-memory', '512m', '--worker-cores', '1'],
      ...['--master-port', String(masterPort), '--ui-port', String(await freePort())],
    ]
    // The data folder is mounted at the same path in every container (uid 185 reads it).
    data = makeTempDir('dezc-spark-cluster-')
    await fs.chmod(data, 0o755)
    await writeTripParquet(path.join(data, 'yellow_tripdata_2021-01.parquet'), 'yellow', '2021-01', ROWS)
    await fs.chmod(path.join(data, 'yellow_tripdata_2021-01.parquet'), 0o644)
    await fs.writeFile(path.join(data, 'count.py'), COUNT_JOB)
    // The driver's Spark: the same distribution, extracted (the installer is tested in real-spark4.test.ts).
    const dir = makeTempDir('dezc-spark-driver-')
    execFileSync('tar', ['-xzf', path.join(CACHE, 'spark-4.0.1-bin-hadoop3.tgz'), '-C', dir])
    sparkHome = path.join(dir, 'spark-4.0.1-bin-hadoop3')
    // The stack's Postgres, so the cluster joins an existing env stack (and must leave it alone).
    const env = await runCli(
      ['env', 'up', ...stackArgs, '--no-pgadmin', '--pg-port', String(await freePort()), '--json'],
      {
        timeoutMs: 180_000,
      },
    )
    expect(env.code, env.stderr).toBe(0)
  }, 300_000)
  afterAll(() => removeStack(stack))

  it('--dry-run plans the master and the workers as docker commands and creates nothing', async () => {
    const r = await runCli(['spark', 'cluster', 'up', ...clusterArgs, '--data', data, '--dry-run', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const plan = r.json()
    expect(plan).toMatchObject({dryRun: true, network: {name: names.network, action: 'exists'}, image: IMAGE})
    expect(plan.containers.map((c: any) => [c.container, c.action])).toEqual([
      [names.master, 'created'],
      [names.workers[0], 'created'],
      [names.workers[1], 'created'],
    ])
    expect(plan.commands.join('\n')).toContain(`-p 127.0.0.1:${masterPort}:7077`)
    expect(await docker.listContainers({all: true, filters: {name: [`${stack}-spark`]}})).toEqual([])
  })

  it('up: both workers register; again: nothing changes; submit --master <printed URL> counts the rows on the workers; a dead worker is reported and restarted; down removes only the cluster', async () => {
    const up = await runCli(['spark', 'cluster', 'up', ...clusterArgs, '--data', data, '--json'], {timeoutMs: 300_000})
    expect(up.code, up.stderr).toBe(0)
    const r = up.json()
    expect(r).toMatchObject({
      masterUrl: `spark://127.0.0.1:${masterPort}`,
      internalUrl: 'spark://spark-master:7077',
      workersRegistered: 2,
      changed: true,
    })
    expect(r.workers.map((w: any) => [w.host, w.state, w.cores, w.memoryMb]).sort()).toEqual([
      ['spark-worker-1', 'ALIVE', 1, 512],
      ['spark-worker-2', 'ALIVE', 1, 512],
    ])
    // On the stack's network, beside its Postgres.
    const net = await docker.getNetwork(names.network).inspect()
    const onNet = Object.values(net.Containers as Record<string, {Name: string}>).map((c) => c.Name)
    expect(onNet.sort()).toEqual([names.postgres, names.master, ...names.workers].sort())

    const again = await runCli(['spark', 'cluster', 'up', ...clusterArgs, '--data', data, '--json'], {
      timeoutMs: 120_000,
    })
    expect(again.code, again.stderr).toBe(0)
    expect(again.json()).toMatchObject({changed: false, workersRegistered: 2})
    expect(again.json().containers.map((c: any) => c.action)).toEqual(['unchanged', 'unchanged', 'unchanged'])

    const parquet = path.join(data, 'yellow_tripdata_2021-01.parquet')
    const job = await runCli(
      ['spark', 'submit', path.join(data, 'count.py'), parquet, '--master', r.masterUrl, '--executor-memory', '512m'],
      {
        env: {JAVA_HOME: JAVA17_HOME, SPARK_HOME: sparkHome, PYSPARK_PYTHON: '/usr/bin/python3', PYTHONPATH: ''},
        cwd: data,
        timeoutMs: 300_000,
      },
    )
    expect(job.code, job.stderr.slice(-3000)).toBe(0)
    expect(job.stdout).toMatch(new RegExp(`^COUNT ${ROWS} positive=${ROWS} spark=4\\.0\\.1 python=3\\.11$`, 'm'))
    // The executors ran in the worker containers, not in the driver.
    expect(job.stderr).toMatch(/Executor added: \S+ on worker-\S+ \(spark-worker-[12]:\d+\)/)

    const status = await runCli(['spark', 'cluster', 'status', ...stackArgs, '--json'])
    expect(status.code, status.stderr).toBe(0)
    expect(status.json()).toMatchObject({running: true, healthy: true, workersExpected: 2, workersRegistered: 2})

    // A worker that dies is reported (exit 5), and `up` repairs it: only that container is started again.
    await docker.getContainer(names.workers[1]).kill()
    const hurt = await runCli(['spark', 'cluster', 'status', ...stackArgs, '--json'])
    expect(hurt.code, hurt.stderr).toBe(5)
    expect(hurt.json()).toMatchObject({running: true, healthy: false, workersExpected: 2})
    expect(hurt.json().containers.find((c: any) => c.container === names.workers[1]).state).toBe('exited')
    const repaired = await runCli(['spark', 'cluster', 'up', ...clusterArgs, '--data', data, '--json'], {
      timeoutMs: 300_000,
    })
    expect(repaired.code, repaired.stderr).toBe(0)
    expect(repaired.json().containers.map((c: any) => c.action)).toEqual(['unchanged', 'unchanged', 'started'])
    expect(repaired.json().workersRegistered).toBe(2)

    const down = await runCli(['spark', 'cluster', 'down', ...stackArgs, '--json'])
    expect(down.code, down.stderr).toBe(0)
    expect(down.json()).toMatchObject({
      containersRemoved: [names.master, ...names.workers].sort(),
      networkRemoved: null,
    })
    expect((await docker.getContainer(names.postgres).inspect()).State.Running).toBe(true)
    expect(await docker.listContainers({all: true, filters: {name: [`${stack}-spark`]}})).toEqual([])
    const gone = await runCli(['spark', 'cluster', 'status', ...stackArgs, '--json'])
    expect(gone.code).toBe(5)
    expect(gone.json()).toMatchObject({running: false, healthy: false, containers: []})
  }, 600_000)
})
