/**
 * Issue 14's "done means", walked end to end on the real programs, then a worker killed mid-job:
 *
 * 1. `dezc env up --course 2026 --stack <s>`: the real PostgreSQL 18 and pgAdmin 9 images healthy;
 *    `dezc ingest yellow 2021-01 --file F --stack <s>` loads F (a yellow-shaped parquet written by
 *    the TLC fixtures) into ny_taxi; `dezc spark cluster up --workers 2 --stack <s> --json` reports
 *    two workers (the real Spark 4.0.1 image); `dezc spark submit count.py --master <printed URL>`
 *    prints the count of F's rows, which is the count Postgres holds.
 * 2. On that cluster, a job slow enough to be caught running (a sleeping Python function per
 *    partition); one worker container is killed by the engine while its executor runs tasks.
 *    `spark cluster status` says the cluster is degraded and names the lost worker (exit 5, also
 *    in --json), and the job still prints the right count: Spark runs the lost tasks again on the
 *    surviving worker.
 *
 * 3. The walk's end: `cluster down` removes only the cluster, `env down --volumes` the rest. The
 *    afterAll does the same (and the label sweep) whatever failed before.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {docker, freePort, removeStack, uniqueStack} from '../../helpers/docker.js'
import {queryStack} from '../../helpers/postgres.js'
import {COUNT_JOB, realSpark4Driver, requireTestImages, SLOW_COUNT_JOB} from '../../helpers/spark-fixtures.js'
import {writeTripParquet} from '../../helpers/tlc-fixtures.js'
import {configDir, makeTempDir} from '../../helpers/tmp.js'

const IMAGE = 'apache/spark:4.0.1-python3'
const ROWS = 4321
const stack = uniqueStack('d26')
const names = {
  master: `${stack}-spark-master`,
  workers: [`${stack}-spark-worker-1`, `${stack}-spark-worker-2`],
}
let cfg: string
let data: string
let file: string
let jobEnv: NodeJS.ProcessEnv
let pgPort: number
let clusterArgs: string[]
let masterUrl: string

describe.skipIf(process.arch !== 'x64')(
  'done means: course 2026 stack, ingest, a 2-worker Spark cluster, a job',
  () => {
    beforeAll(async () => {
      await requireTestImages([IMAGE, 'postgres:18', 'dpage/pgadmin4:9'])
      cfg = configDir('{}\n')
      // F lives in the folder the cluster mounts at the same path (uid 185 in the containers reads it).
      data = makeTempDir('dezc-done-means-')
      await fs.chmod(data, 0o755)
      file = path.join(data, 'yellow_tripdata_2021-01.parquet')
      await writeTripParquet(file, 'yellow', '2021-01', ROWS)
      await fs.chmod(file, 0o644)
      await fs.writeFile(path.join(data, 'count.py'), COUNT_JOB)
      await fs.writeFile(path.join(data, 'slow_count.py'), SLOW_COUNT_JOB)
      jobEnv = (await realSpark4Driver()).env
      pgPort = await freePort()
      clusterArgs = [
        ...['--workers', '2', '--stack', stack, '--worker-memory', '512m'],
        ...['--master-port', String(await freePort()), '--ui-port', String(await freePort()), '--data', data],
      ]
    }, 300_000)

    afterAll(async () => {
      // What the walk started, by dezc itself first (that is what a user runs), then the label sweep.
      await runCli(['spark', 'cluster', 'down', '--stack', stack], {cwd: cfg, timeoutMs: 120_000}).catch(() => {})
      await runCli(['env', 'down', '--stack', stack, '--volumes', '--yes'], {cwd: cfg, timeoutMs: 120_000}).catch(
        () => {},
      )
      await removeStack(stack)
    }, 300_000)

    it('env up --course 2026 (Postgres 18 + pgAdmin 9 healthy) → ingest yellow 2021-01 --file F → cluster up --workers 2 reports two workers → submit count.py --master <printed URL> prints the right count', async () => {
      const up = await runCli(
        [
          ...['env', 'up', '--course', '2026', '--stack', stack],
          ...['--pg-port', String(pgPort), '--pgadmin-port', String(await freePort()), '--json'],
        ],
        {cwd: cfg, timeoutMs: 280_000},
      )
      expect(up.code, up.stdout + up.stderr).toBe(0)
      expect(up.json().services.map((s: any) => [s.service, s.image, s.health])).toEqual([
        ['postgres', 'postgres:18', 'healthy'],
        ['pgadmin', 'dpage/pgadmin4:9', 'healthy'],
      ])

      const ingest = await runCli(['ingest', 'yellow', '2021-01', '--file', file, '--stack', stack, '--json'], {
        cwd: cfg,
        timeoutMs: 180_000,
      })
      expect(ingest.code, ingest.stdout + ingest.stderr).toBe(0)
      const [loaded] = await queryStack(
        pgPort,
        "select current_setting('server_version_num')::int / 10000 as v, (select count(*)::int from yellow_taxi_data) as n",
        'ny_taxi',
      )
      expect(loaded).toEqual({v: 18, n: ROWS})

      const cluster = await runCli(['spark', 'cluster', 'up', ...clusterArgs, '--json'], {cwd: cfg, timeoutMs: 300_000})
      expect(cluster.code, cluster.stdout + cluster.stderr).toBe(0)
      const c = cluster.json()
      expect(c).toMatchObject({workersRegistered: 2, engine: {remote: false, context: null}})
      expect(c.workers.map((w: any) => [w.host, w.state]).sort()).toEqual([
        ['spark-worker-1', 'ALIVE'],
        ['spark-worker-2', 'ALIVE'],
      ])
      expect(c.masterUrl).toMatch(/^spark:\/\/127\.0\.0\.1:\d+$/)
      masterUrl = c.masterUrl

      const job = await runCli(
        ['spark', 'submit', path.join(data, 'count.py'), file, '--master', masterUrl, '--executor-memory', '512m'],
        {env: jobEnv, cwd: data, timeoutMs: 300_000},
      )
      expect(job.code, job.stderr.slice(-3000)).toBe(0)
      // The count Spark prints on the workers is the count Postgres holds after ingest.
      expect(job.stdout).toMatch(new RegExp(`^COUNT ${loaded.n} positive=${ROWS} spark=4\\.0\\.1 python=3\\.11$`, 'm'))
      expect(job.stderr).toMatch(/Executor added: \S+ on worker-\S+ \(spark-worker-[12]:\d+\)/)
    }, 900_000)

    it('a worker killed mid-job: status reports the cluster degraded and names the lost worker (exit 5, --json too); the job completes with the right count on the surviving worker', async () => {
      // Idempotent: the walk above left the cluster up (nothing changes), or this brings it up alone.
      const cluster = await runCli(['spark', 'cluster', 'up', ...clusterArgs, '--json'], {cwd: cfg, timeoutMs: 300_000})
      expect(cluster.code, cluster.stdout + cluster.stderr).toBe(0)
      masterUrl = cluster.json().masterUrl
      const parts = 16
      let stderr = ''
      // Kill worker-2 once tasks of the slow stage run on both workers' executors.
      let onStderr: (d: string) => void = () => {}
      const running = new Promise<void>((resolve) => {
        const executors = new Set<string>()
        onStderr = (d) => {
          stderr += d
          for (const m of stderr.matchAll(
            /Starting task \S+ in stage (\d+)\.\d+ \(TID \d+\) \([^,]+, ?executor (\w+),/g,
          ))
            if (Number(m[1]) >= 1) executors.add(m[2])
          if (executors.size >= 2) resolve()
        }
      })
      const submitted = runCli(
        [
          ...['spark', 'submit', path.join(data, 'slow_count.py'), file, String(parts), '1.5'],
          ...['--master', masterUrl, '--executor-memory', '512m'],
        ],
        {
          env: jobEnv,
          cwd: data,
          timeoutMs: 400_000,
          onSpawn: (child) => child.stderr!.on('data', (d: Buffer | string) => onStderr(String(d))),
        },
      )
      await Promise.race([
        running,
        submitted.then((r) => {
          throw new Error(`the job ended before both workers ran tasks: exit ${r.code}\n${r.stderr.slice(-3000)}`)
        }),
      ])
      const killed = names.workers[1]
      await docker.getContainer(killed).kill()

      // While the job goes on: the engine shows the container exited and the master drops the worker.
      let status = await runCli(['spark', 'cluster', 'status', '--stack', stack, '--json'], {cwd: cfg})
      for (let i = 0; i < 30 && status.json().lost?.[0]?.masterState !== 'DEAD'; i++) {
        await new Promise((r) => setTimeout(r, 1000))
        status = await runCli(['spark', 'cluster', 'status', '--stack', stack, '--json'], {cwd: cfg})
      }
      expect(status.code, status.stdout + status.stderr).toBe(5)
      const s = status.json()
      expect(s).toMatchObject({
        state: 'degraded',
        running: true,
        healthy: false,
        workersExpected: 2,
        workersRegistered: 1,
      })
      expect(s.lost).toEqual([
        {container: killed, host: 'spark-worker-2', containerState: 'exited', masterState: 'DEAD', ok: false},
      ])
      expect(s.workers.map((w: any) => w.host)).toEqual(['spark-worker-1'])
      const human = await runCli(['spark', 'cluster', 'status', '--stack', stack], {cwd: cfg})
      expect(human.code).toBe(5)
      expect(human.stdout).toContain('DEGRADED: 1 worker(s) lost')
      expect(human.stdout).toContain(`lost spark-worker-2: container ${killed} exited, the master lists it DEAD`)

      const r = await submitted
      expect(r.code, r.stderr.slice(-4000)).toBe(0)
      expect(r.stdout).toMatch(new RegExp(`^SLOWCOUNT ${ROWS} partitions=${parts}$`, 'm'))
      // Spark saw the executor go and finished on the other worker.
      expect(r.stderr).toMatch(/Lost executor \d+ on spark-worker-2|Executor \S+ removed|worker lost/i)
    }, 900_000)

    it('teardown: cluster down removes only the cluster (Postgres and pgAdmin run on); env down --volumes removes the stack and its data', async () => {
      const down = await runCli(['spark', 'cluster', 'down', '--stack', stack, '--json'], {
        cwd: cfg,
        timeoutMs: 120_000,
      })
      expect(down.code, down.stdout + down.stderr).toBe(0)
      expect(down.json().containersRemoved).toEqual([names.master, ...names.workers].sort())
      expect((await docker.getContainer(`${stack}-pgsql-dev`).inspect()).State.Running).toBe(true)
      expect((await docker.getContainer(`${stack}-pgadmin-dev`).inspect()).State.Running).toBe(true)
      const env = await runCli(['env', 'down', '--stack', stack, '--volumes', '--yes', '--json'], {
        cwd: cfg,
        timeoutMs: 120_000,
      })
      expect(env.code, env.stdout + env.stderr).toBe(0)
      const label = `dev.dezc.project=${stack}`
      expect(await docker.listContainers({all: true, filters: {label: [label]}})).toEqual([])
      expect((await docker.listVolumes({filters: {label: [label]}})).Volumes ?? []).toEqual([])
    }, 300_000)
  },
)
