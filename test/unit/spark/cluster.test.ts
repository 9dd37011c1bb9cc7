import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadConfig} from '../../../src/config/load.js'
import type {ContainerSummary} from '../../../src/docker/client.js'
import {resolveStack, type StackOverrides} from '../../../src/env/settings.js'
import {decideContainers} from '../../../src/env/plan.js'
import {
  assertClusterExposureAccepted,
  clusterHost,
  clusterSpecs,
  decideCluster,
  DEFAULT_SPARK_IMAGE,
  resolveClusterSettings,
  workerHealth,
} from '../../../src/spark/cluster-spec.js'
import {reachableAddress} from '../../../src/spark/submit.js'

async function stack(overrides: StackOverrides = {}) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dezc-cluster-unit-'))
  return resolveStack(await loadConfig({cwd: dir, env: {HOME: dir, DEZC_CONFIG_DIR: dir}}), overrides)
}

const running = (name: string, service: string, hash: string, state = 'running'): ContainerSummary => ({
  id: name,
  name,
  image: DEFAULT_SPARK_IMAGE,
  state,
  labels: {'dev.dezc.service': service, 'dev.dezc.config-hash': hash},
  ports: [],
})

describe('spark cluster specs and decisions', () => {
  it('settings: flag > env > config > default; bad sizes and counts are usage errors', () => {
    expect(resolveClusterSettings({}, undefined, {})).toMatchObject({
      image: 'apache/spark:4.0.1-python3',
      workers: 2,
      workerMemory: '2g',
      workerCores: 1,
      masterPort: 7077,
      uiPort: 8090,
      waitMs: 180_000,
    })
    const cfg = {cluster: {image: 'cfg/spark:1', workers: 3}}
    expect(resolveClusterSettings({}, cfg, {DEZC_SPARK_IMAGE: 'env/spark:2'})).toMatchObject({
      image: 'env/spark:2',
      workers: 3,
    })
    expect(resolveClusterSettings({image: 'flag/spark:3', workers: 1}, cfg, {}).image).toBe('flag/spark:3')
    expect(() => resolveClusterSettings({'worker-memory': 'lots'}, undefined, {})).toThrow(/not a size like 512m/)
  })

  it('master and workers on the stack network with its labels; the hash follows the settings', async () => {
    const s = await stack({stack: 'd26'})
    const settings = resolveClusterSettings({workers: 2, 'worker-memory': '1g', data: '/srv/data'}, undefined, {})
    const specs = clusterSpecs(s, settings)
    expect(specs.map((x) => x.name)).toEqual(['d26-spark-master', 'd26-spark-worker-1', 'd26-spark-worker-2'])
    const [master, worker] = specs
    expect(master.body.Labels).toMatchObject({
      'dev.dezc.managed': 'true',
      'dev.dezc.project': 'd26',
      'dev.dezc.service': 'spark-master',
    })
    expect(master.body.NetworkingConfig.EndpointsConfig[s.network].Aliases).toEqual(['spark-master'])
    expect(master.body.HostConfig.PortBindings['7077/tcp']).toEqual([{HostIp: s.publish, HostPort: '7077'}])
    expect(worker.body.Cmd).toEqual(
      expect.arrayContaining(['org.apache.spark.deploy.worker.Worker', '--memory', '1g', 'spark://spark-master:7077']),
    )
    expect(worker.body.HostConfig.Mounts).toEqual([{Type: 'bind', Source: '/srv/data', Target: '/srv/data'}])
    const other = clusterSpecs(s, {...settings, workerMemory: '2g'})
    expect(other[0].hash).toBe(master.hash)
    expect(other[1].hash).not.toBe(worker.hash)
  })

  it('decide: leave, start, recreate a changed one, create a missing one, remove extra workers', async () => {
    const specs = clusterSpecs(await stack(), resolveClusterSettings({workers: 2}, undefined, {}))
    const [m, w1, w2] = specs
    const steps = decideCluster(specs, [
      running(m.name, 'spark-master', m.hash),
      running(w1.name, 'spark-worker', 'old', 'running'),
      running('spark-worker-3', 'spark-worker', 'x'),
    ])
    expect(steps.map((st) => [st.name, st.action])).toEqual([
      [m.name, 'unchanged'],
      [w1.name, 'recreated'],
      [w2.name, 'created'],
      ['spark-worker-3', 'removed'],
    ])
    expect(decideCluster([m], [running(m.name, 'spark-master', m.hash, 'exited')])[0].action).toBe('started')
  })

  it("env up does not treat the stack's Spark containers as orphans", async () => {
    const plan = decideContainers([], {ours: [running('spark-master', 'spark-master', 'h')], foreign: new Map()} as any)
    expect(plan.orphans).toEqual([])
  })

  it('the driver advertises a LAN address before a Docker bridge, never loopback', () => {
    const ifs = {
      lo: [{family: 'IPv4', internal: true, address: '127.0.0.1'}],
      docker0: [{family: 'IPv4', internal: false, address: '172.17.0.1'}],
      eth0: [{family: 'IPv4', internal: false, address: '192.168.2.10'}],
    } as any
    expect(reachableAddress(ifs)).toBe('192.168.2.10')
    expect(reachableAddress({lo: ifs.lo, docker0: ifs.docker0} as any)).toBe('172.17.0.1')
    expect(reachableAddress({lo: ifs.lo} as any)).toBeUndefined()
  })
})

describe('a cluster published beyond loopback', () => {
  it('is refused without --allow-lan (no authentication on a standalone master); loopback and --allow-lan pass', () => {
    expect(() => assertClusterExposureAccepted({profile: 'synology', publish: '0.0.0.0'}, false)).toThrow(
      expect.objectContaining({code: 'SPARK_CLUSTER_EXPOSED', exit: 2}),
    )
    expect(() => assertClusterExposureAccepted({profile: 'lan', publish: '192.168.2.137'}, false)).toThrow(
      /192\.168\.2\.137.*without authentication/,
    )
    expect(() => assertClusterExposureAccepted({profile: 'synology', publish: '0.0.0.0'}, true)).not.toThrow()
    expect(() => assertClusterExposureAccepted({profile: 'local', publish: '127.0.0.1'}, false)).not.toThrow()
  })
})

describe('which host the printed master URL names', () => {
  const local = {host: '127.0.0.1', endpoint: {remote: false}}
  const nas = {host: 'nas.lan', endpoint: {remote: true}}
  it('the published LAN address; the engine host on every interface; loopback only where it is this machine', () => {
    expect(clusterHost({publish: '192.168.2.137'}, nas, {})).toBe('192.168.2.137')
    expect(clusterHost({publish: '0.0.0.0'}, nas, {})).toBe('nas.lan')
    expect(clusterHost({publish: '::'}, nas, {})).toBe('nas.lan')
    expect(clusterHost({publish: '127.0.0.1'}, local, {})).toBe('127.0.0.1')
    // A remote engine's loopback: unreachable from here, unless the user tunnels and names the host.
    expect(clusterHost({publish: '127.0.0.1'}, nas, {})).toBeUndefined()
    expect(clusterHost({publish: '127.0.0.1'}, {...nas, host: '127.0.0.1'}, {DEZC_SERVICES_HOST: '127.0.0.1'})).toBe(
      '127.0.0.1',
    )
    expect(clusterHost({publish: '127.0.0.1', servicesHostOverride: 'tunnel'}, {...nas, host: 'tunnel'}, {})).toBe(
      'tunnel',
    )
  })

  it('--publish takes an IP address only', () => {
    expect(resolveClusterSettings({publish: '0.0.0.0'}, undefined, {}).publish).toBe('0.0.0.0')
    expect(() => resolveClusterSettings({publish: 'nas.lan'}, undefined, {})).toThrow(
      expect.objectContaining({code: 'INVALID_FLAG'}),
    )
  })
})

describe('worker health from the containers and the master', () => {
  it('a killed worker is lost (exited, DEAD); a restarted one counts ALIVE beside its old DEAD entry', async () => {
    const st = await stack({stack: 'd26'})
    const containers = [
      running('d26-spark-master', 'spark-master', 'h'),
      running('d26-spark-worker-10', 'spark-worker', 'h'),
      running('d26-spark-worker-2', 'spark-worker', 'h', 'exited'),
      running('d26-spark-worker-1', 'spark-worker', 'h'),
    ]
    const w = (id: string, host: string, state: string) => ({id, host, state, cores: 1, memory: 512})
    const health = workerHealth(st, containers, {
      aliveworkers: 2,
      workers: [
        w('a', 'spark-worker-1', 'DEAD'),
        w('b', 'spark-worker-1', 'ALIVE'),
        w('c', 'spark-worker-2', 'DEAD'),
        w('d', 'spark-worker-10', 'ALIVE'),
      ],
    })
    expect(health.map((h) => [h.container, h.host, h.containerState, h.masterState, h.ok])).toEqual([
      ['d26-spark-worker-1', 'spark-worker-1', 'running', 'ALIVE', true],
      ['d26-spark-worker-2', 'spark-worker-2', 'exited', 'DEAD', false],
      ['d26-spark-worker-10', 'spark-worker-10', 'running', 'ALIVE', true],
    ])
    // Running but never registered, and no status at all.
    expect(workerHealth(st, containers.slice(0, 2), {workers: []})[0]).toMatchObject({
      masterState: 'unregistered',
      ok: false,
    })
    expect(workerHealth(st, containers.slice(0, 2))[0]).toMatchObject({masterState: 'unknown', ok: false})
  })
})
