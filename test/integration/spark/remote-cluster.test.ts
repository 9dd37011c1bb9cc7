/**
 * `dezc spark cluster --docker-context NAME` on "another machine": Docker CLI contexts written as
 * `docker context create` writes them (in a private DOCKER_CONFIG), one pointing over ssh:// at a
 * real sshd that listens on the Docker bridge's gateway address (this machine as seen from the
 * network, not 127.0.0.1), one at the engine's tcp://127.0.0.1:2375. The same dockerd is behind
 * both, but the cluster is driven only through them: the printed master URL must name the address
 * the ports are published on, the workers must register there, a job submitted to that URL must
 * count right, and `cluster down` over the context must remove only the cluster.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {bridgeGateway, docker, freePort, removeStack, uniqueStack, writeDockerContext} from '../../helpers/docker.js'
import {COUNT_JOB, realSpark4Driver, requireTestImages} from '../../helpers/spark-fixtures.js'
import {startSshd, type Sshd} from '../../helpers/sshd.js'
import {writeTripParquet} from '../../helpers/tlc-fixtures.js'
import {configDir, makeTempDir} from '../../helpers/tmp.js'

const IMAGE = 'apache/spark:4.0.1-python3'
const ROWS = 1234
const stack = uniqueStack('rsp')
const names = {
  master: `${stack}-spark-master`,
  workers: [`${stack}-spark-worker-1`, `${stack}-spark-worker-2`],
  postgres: `${stack}-pgsql-dev`,
  network: `${stack}-pg-network`,
}
let sshd: Sshd
let gateway: string
let env: NodeJS.ProcessEnv
let cfg: string
let data: string

describe.skipIf(process.arch !== 'x64')('spark cluster on another engine through a Docker context', () => {
  beforeAll(async () => {
    await requireTestImages([IMAGE])
    gateway = await bridgeGateway()
    sshd = await startSshd({listen: gateway})
    const dockerConfig = makeTempDir('dezc-docker-config-')
    await writeDockerContext(dockerConfig, 'lab', `ssh://root@${gateway}:${sshd.port}`)
    await writeDockerContext(dockerConfig, 'lab-tcp', 'tcp://127.0.0.1:2375')
    // DOCKER_HOST points at nothing: --docker-context must beat it, as `docker --context` does.
    env = {DOCKER_CONFIG: dockerConfig, DEZC_SSH_COMMAND: sshd.sshCommand, DOCKER_HOST: 'tcp://127.0.0.1:9'}
    cfg = configDir('{}\n')
    data = makeTempDir('dezc-remote-spark-')
    await fs.chmod(data, 0o755)
    await writeTripParquet(path.join(data, 'yellow_tripdata_2021-01.parquet'), 'yellow', '2021-01', ROWS)
    await fs.chmod(path.join(data, 'yellow_tripdata_2021-01.parquet'), 0o644)
    await fs.writeFile(path.join(data, 'count.py'), COUNT_JOB)
    // The stack's Postgres on the same engine (the local socket), which cluster down must leave alone.
    const up = await runCli(
      ['env', 'up', '--stack', stack, '--no-pgadmin', '--pg-port', String(await freePort()), '--json'],
      {cwd: cfg, env: {DOCKER_HOST: ''}, timeoutMs: 180_000},
    )
    expect(up.code, up.stderr).toBe(0)
  }, 300_000)

  afterAll(async () => {
    sshd?.stop()
    await removeStack(stack)
  })

  it('an unknown context is a typed error naming the known ones; --docker-context with --host is refused; nothing is touched', async () => {
    const r = await runCli(['spark', 'cluster', 'status', '--docker-context', 'labb', '--stack', stack, '--json'], {
      cwd: cfg,
      env,
    })
    expect(r.code, r.stdout + r.stderr).toBe(2)
    expect(r.json().error).toMatchObject({code: 'DOCKER_CONTEXT_NOT_FOUND'})
    expect(r.json().error.message).toMatch(/"labb" \(from --docker-context\).*Known contexts: default, lab, lab-tcp\./)
    expect(r.json().error.suggestions.join('\n')).toContain('docker context create labb')

    const both = await runCli(['spark', 'cluster', 'up', '--docker-context', 'lab', '--host', 'local'], {cwd: cfg, env})
    expect(both.code).toBe(2)
    expect(both.stderr).toMatch(
      /--host=local cannot also be provided when using --docker-context|--docker-context.*--host/,
    )
    expect(both.stderr).not.toMatch(/\n\s+at /)
    expect(await docker.listContainers({all: true, filters: {name: [`${stack}-spark`]}})).toEqual([])
  }, 120_000)

  it('a remote engine with the profile publishing on its loopback is refused before anything is created (the master would be unreachable from here)', async () => {
    const r = await runCli(['spark', 'cluster', 'up', '--docker-context', 'lab', '--stack', stack, '--json'], {
      cwd: cfg,
      env,
      timeoutMs: 120_000,
    })
    expect(r.code, r.stdout + r.stderr).toBe(2)
    expect(r.json().error).toMatchObject({code: 'SPARK_CLUSTER_UNREACHABLE'})
    expect(r.json().error.message).toContain(`ssh://root@${gateway}:${sshd.port} (Docker context lab)`)
    expect(r.json().error.suggestions.join('\n')).toMatch(/--publish 0\.0\.0\.0.*--allow-lan/)
    expect(await docker.listContainers({all: true, filters: {name: [`${stack}-spark`]}})).toEqual([])
  }, 120_000)

  it('up over ssh:// (context lab): the master URL names the published address, both workers register, a job there counts right; status over tcp:// (context lab-tcp); down removes only the cluster', async () => {
    const [masterPort, uiPort] = [await freePort(), await freePort()]
    const upArgs = [
      ...['spark', 'cluster', 'up', '--docker-context', 'lab', '--stack', stack, '--publish', gateway, '--allow-lan'],
      ...['--workers', '2', '--worker-memory', '512m', '--master-port', String(masterPort)],
      ...['--ui-port', String(uiPort), '--data', data, '--json'],
    ]
    const up = await runCli(upArgs, {cwd: cfg, env, timeoutMs: 300_000})
    expect(up.code, up.stdout + up.stderr).toBe(0)
    const r = up.json()
    expect(r).toMatchObject({
      engine: {endpoint: `ssh://root@${gateway}:${sshd.port}`, context: 'lab', remote: true},
      masterUrl: `spark://${gateway}:${masterPort}`,
      uiUrl: `http://${gateway}:${uiPort}`,
      workersRegistered: 2,
      changed: true,
    })
    expect(r.workers.map((w: any) => w.host).sort()).toEqual(['spark-worker-1', 'spark-worker-2'])
    expect(r.next).toContain(`dezc spark cluster down --stack ${stack} --docker-context lab`)
    // Published on that address only, beside the stack's Postgres on its network.
    const master = await docker.getContainer(names.master).inspect()
    expect(master.HostConfig.PortBindings?.['7077/tcp']).toEqual([{HostIp: gateway, HostPort: String(masterPort)}])
    expect(Object.keys(master.NetworkSettings.Networks)).toEqual([names.network])

    // The same cluster seen through the other context (tcp://): the URL comes from what the master publishes.
    const status = await runCli(
      ['spark', 'cluster', 'status', '--docker-context', 'lab-tcp', '--stack', stack, '--json'],
      {cwd: cfg, env},
    )
    expect(status.code, status.stdout + status.stderr).toBe(0)
    expect(status.json()).toMatchObject({
      engine: {endpoint: 'tcp://127.0.0.1:2375', context: 'lab-tcp'},
      state: 'healthy',
      masterUrl: `spark://${gateway}:${masterPort}`,
      workersRegistered: 2,
      lost: [],
    })

    const driver = await realSpark4Driver()
    const parquet = path.join(data, 'yellow_tripdata_2021-01.parquet')
    const job = await runCli(
      ['spark', 'submit', path.join(data, 'count.py'), parquet, '--master', r.masterUrl, '--executor-memory', '512m'],
      {
        env: driver.env,
        cwd: data,
        timeoutMs: 300_000,
      },
    )
    expect(job.code, job.stderr.slice(-3000)).toBe(0)
    expect(job.stdout).toMatch(new RegExp(`^COUNT ${ROWS} positive=${ROWS} spark=4\\.0\\.1 `, 'm'))

    const down = await runCli(['spark', 'cluster', 'down', '--docker-context', 'lab', '--stack', stack, '--json'], {
      cwd: cfg,
      env,
      timeoutMs: 120_000,
    })
    expect(down.code, down.stdout + down.stderr).toBe(0)
    expect(down.json()).toMatchObject({
      engine: {context: 'lab'},
      containersRemoved: [names.master, ...names.workers].sort(),
      networkRemoved: null,
    })
    expect((await docker.getContainer(names.postgres).inspect()).State.Running).toBe(true)
    expect(await docker.listContainers({all: true, filters: {name: [`${stack}-spark`]}})).toEqual([])
  }, 900_000)
})
