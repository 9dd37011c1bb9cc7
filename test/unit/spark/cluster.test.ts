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
  clusterSpecs,
  decideCluster,
  DEFAULT_SPARK_IMAGE,
  resolveClusterSettings,
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
