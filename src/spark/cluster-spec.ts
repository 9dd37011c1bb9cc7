/**
 * What `dezc spark cluster` puts on an env stack's engine: a Spark standalone master and N workers
 * as containers on the stack's network, with dezc's labels (so `env down` and `cluster down` find
 * them), and the pure decision per container (leave, start, create, recreate, remove). The image
 * follows the official apache/spark layout: SPARK_HOME /opt/spark, `spark-class` runs each daemon
 * in the foreground.
 */
import {createHash} from 'node:crypto'
import net from 'node:net'
import path from 'node:path'
import {usageError} from '../core/errors.js'
import type {ContainerSummary} from '../docker/client.js'
import {isLoopback, type Stack} from '../env/settings.js'
import {baseLabels, LABEL} from '../env/spec.js'
import type {SparkConfig} from './settings.js'

export const DEFAULT_SPARK_IMAGE = 'apache/spark:4.0.1-python3'
export const IMAGE_SPARK_HOME = '/opt/spark'
export const MASTER_SERVICE = 'spark-master'
export const WORKER_SERVICE = 'spark-worker'
/** On a network `cluster up` had to create (no env stack yet): `cluster down` may remove it. */
export const CREATED_BY_LABEL = 'dev.dezc.created-by'

export interface ClusterFlagValues {
  workers?: number
  'worker-memory'?: string
  'worker-cores'?: number
  image?: string
  'master-port'?: number
  'ui-port'?: number
  data?: string
  publish?: string
  'wait-timeout'?: number
}

export interface ClusterSettings {
  image: string
  workers: number
  workerMemory: string
  workerCores: number
  masterPort: number
  uiPort: number
  /** A host folder mounted at the same path in every container, so file:// paths mean the same on the driver and the workers. */
  data?: string
  /** --publish: the address on the engine host the master's ports are bound to, instead of the profile's. */
  publish?: string
  /** How long `up` waits for every worker to register. */
  waitMs: number
}

/** flag > env (DEZC_SPARK_IMAGE) > config spark.cluster > default. */
export function resolveClusterSettings(
  flags: ClusterFlagValues,
  config: SparkConfig | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ClusterSettings {
  const c = config?.cluster ?? {}
  const workerMemory = flags['worker-memory'] ?? c.workerMemory ?? '2g'
  if (!/^\d+[mg]$/i.test(workerMemory))
    throw usageError(
      'INVALID_FLAG',
      `--worker-memory ${workerMemory} is not a size like 512m or 2g.`,
      'Example: --worker-memory 2g',
    )
  if (flags.publish !== undefined && net.isIP(flags.publish) === 0)
    throw usageError(
      'INVALID_FLAG',
      `--publish ${flags.publish} is not an IP address.`,
      'Example: --publish 0.0.0.0 (every interface of the engine host) or --publish 192.168.2.137 (one LAN address).',
    )
  const workers = flags.workers ?? c.workers ?? 2
  if (workers < 1 || workers > 32)
    throw usageError('INVALID_FLAG', `--workers ${workers} is out of range.`, 'Use 1 to 32 workers.')
  return {
    image: flags.image ?? (env.DEZC_SPARK_IMAGE || undefined) ?? c.image ?? DEFAULT_SPARK_IMAGE,
    workers,
    workerMemory,
    workerCores: flags['worker-cores'] ?? c.workerCores ?? 1,
    masterPort: flags['master-port'] ?? c.masterPort ?? 7077,
    uiPort: flags['ui-port'] ?? c.uiPort ?? 8090,
    data: flags.data === undefined ? undefined : path.resolve(flags.data),
    publish: flags.publish,
    waitMs: (flags['wait-timeout'] ?? 180) * 1000,
  }
}

export interface ClusterSpec {
  service: typeof MASTER_SERVICE | typeof WORKER_SERVICE
  name: string
  alias: string
  body: Record<string, any>
  hash: string
}

export const masterAlias = MASTER_SERVICE
export const workerAlias = (i: number) => `${WORKER_SERVICE}-${i}`

/** Container names of the stack's cluster (`<stack>-spark-master`, `<stack>-spark-worker-N`). */
export function clusterName(stack: Stack, alias: string): string {
  return stack.name ? `${stack.name}-${alias}` : alias
}

export function clusterSpecs(stack: Stack, s: ClusterSettings): ClusterSpec[] {
  const labels = baseLabels(stack)
  const mounts = s.data ? [{Type: 'bind', Source: s.data, Target: s.data}] : []
  const common = (alias: string) => ({
    Image: s.image,
    Hostname: alias,
    // The daemons in the foreground, like the official image's standalone use (no sbin/start-*.sh).
    Entrypoint: [`${IMAGE_SPARK_HOME}/bin/spark-class`],
    Env: ['SPARK_NO_DAEMONIZE=true', 'PYSPARK_PYTHON=python3'],
    NetworkingConfig: {EndpointsConfig: {[stack.network]: {Aliases: [alias]}}},
  })
  const restart = {Name: stack.restart, ...(stack.restart === 'on-failure' ? {MaximumRetryCount: 5} : {})}
  const specs: Array<Omit<ClusterSpec, 'hash'>> = [
    {
      service: MASTER_SERVICE,
      name: clusterName(stack, masterAlias),
      alias: masterAlias,
      body: {
        ...common(masterAlias),
        Cmd: ['org.apache.spark.deploy.master.Master', '--host', masterAlias, '--port', '7077', '--webui-port', '8080'],
        Labels: {...labels, [LABEL.service]: MASTER_SERVICE},
        ExposedPorts: {'7077/tcp': {}, '8080/tcp': {}},
        HostConfig: {
          PortBindings: {
            '7077/tcp': [{HostIp: stack.publish, HostPort: String(s.masterPort)}],
            '8080/tcp': [{HostIp: stack.publish, HostPort: String(s.uiPort)}],
          },
          Mounts: mounts,
          RestartPolicy: restart,
        },
      },
    },
  ]
  for (let i = 1; i <= s.workers; i++) {
    const alias = workerAlias(i)
    specs.push({
      service: WORKER_SERVICE,
      name: clusterName(stack, alias),
      alias,
      body: {
        ...common(alias),
        Cmd: [
          'org.apache.spark.deploy.worker.Worker',
          '--host',
          alias,
          '--cores',
          String(s.workerCores),
          '--memory',
          s.workerMemory,
          '--webui-port',
          '8081',
          `spark://${masterAlias}:7077`,
        ],
        Labels: {...labels, [LABEL.service]: WORKER_SERVICE},
        HostConfig: {Mounts: mounts, RestartPolicy: restart},
      },
    })
  }
  return specs.map((spec) => {
    const hash = createHash('sha256').update(JSON.stringify(spec.body)).digest('hex').slice(0, 16)
    spec.body.Labels[LABEL.configHash] = hash
    return {...spec, hash}
  })
}

export type ClusterAction = 'unchanged' | 'started' | 'created' | 'recreated' | 'removed'

export interface ClusterStep {
  name: string
  service: string
  action: ClusterAction
  spec?: ClusterSpec
}

/** Per container: what `cluster up` does, from the specs and the stack's existing cluster containers. Pure. */
export function decideCluster(specs: ClusterSpec[], existing: ContainerSummary[]): ClusterStep[] {
  const steps: ClusterStep[] = []
  for (const spec of specs) {
    const found = existing.find((c) => c.name === spec.name)
    let action: ClusterAction = 'created'
    if (found) {
      const same = found.labels[LABEL.configHash] === spec.hash
      action = !same ? 'recreated' : found.state === 'running' ? 'unchanged' : 'started'
    }
    steps.push({name: spec.name, service: spec.service, action, spec})
  }
  // Workers beyond --workers (a smaller cluster than last time) go.
  for (const c of existing)
    if (!specs.some((s) => s.name === c.name))
      steps.push({name: c.name, service: c.labels[LABEL.service], action: 'removed'})
  return steps
}

/** The stack's cluster containers (master and workers), by dezc's labels. */
export function clusterLabels(stack: Stack, service: string): Record<string, string> {
  return {[LABEL.managed]: 'true', [LABEL.stack]: stack.label, [LABEL.service]: service}
}

/** One worker container as the master and the engine see it (`cluster status`). */
export interface WorkerHealth {
  container: string
  /** Its name on the stack's network, which is also the host the master lists it under. */
  host: string
  /** The engine's state of the container: running, exited (killed, crashed), restarting... */
  containerState: string
  /** ALIVE, DEAD (the master lost it), another state of the master's, or unregistered / unknown (no status). */
  masterState: string
  ok: boolean
}

/**
 * Per worker container: is it running, and does the master list it ALIVE? A restarted worker
 * registers again under a new id while the master still lists the old one DEAD: any ALIVE entry
 * for its host counts. Pure.
 */
export function workerHealth(stack: Stack, containers: ContainerSummary[], status?: MasterJson): WorkerHealth[] {
  const prefix = stack.name ? `${stack.name}-` : ''
  return containers
    .filter((c) => c.labels[LABEL.service] === WORKER_SERVICE)
    .sort((a, b) => a.name.localeCompare(b.name, 'en', {numeric: true}))
    .map((c) => {
      const host = c.name.startsWith(prefix) ? c.name.slice(prefix.length) : c.name
      const entries = (status?.workers ?? []).filter((w) => w.host === host)
      const masterState = !status
        ? 'unknown'
        : entries.some((w) => w.state === 'ALIVE')
          ? 'ALIVE'
          : (entries.at(-1)?.state ?? 'unregistered')
      return {
        container: c.name,
        host,
        containerState: c.state,
        masterState,
        ok: c.state === 'running' && masterState === 'ALIVE',
      }
    })
}

/**
 * The host people and `spark submit` reach the master on: the published address when the profile
 * names one (a NAS's LAN address); the engine's host when published on every interface; on a local
 * engine's loopback, that loopback address. A remote engine's loopback is reachable from here only
 * through a tunnel: then the services host the user set (DEZC_SERVICES_HOST / servicesHost), else
 * undefined (nothing here can reach it).
 */
export function clusterHost(
  stack: Pick<Stack, 'publish' | 'servicesHostOverride'>,
  engine: {host: string; endpoint: {remote: boolean}},
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (stack.publish === '0.0.0.0' || stack.publish === '::') return engine.host
  if (!isLoopback(stack.publish)) return stack.publish
  if (!engine.endpoint.remote) return stack.publish
  return env.DEZC_SERVICES_HOST || stack.servicesHostOverride ? engine.host : undefined
}

/** The master's /json/ status (the fields dezc reads). */
export interface MasterJson {
  url?: string
  aliveworkers?: number
  status?: string
  workers?: Array<{id: string; host: string; state: string; cores: number; memory: number}>
}

/**
 * A standalone master takes applications from anyone who reaches its port (Spark's own
 * authentication is off by default), and an application runs arbitrary code on the workers and
 * their --data folder. Published beyond loopback (a NAS or LAN profile), that needs a yes.
 */
export function assertClusterExposureAccepted(stack: Pick<Stack, 'publish' | 'profile'>, allowLan: boolean): void {
  if (isLoopback(stack.publish) || allowLan) return
  throw usageError(
    'SPARK_CLUSTER_EXPOSED',
    `Profile "${stack.profile}" publishes on ${stack.publish}: the Spark master (7077) and its UI would be reachable from the network without authentication, and anyone reaching them can run code on the workers.`,
    [
      'Pass --allow-lan if that network is yours alone (a home LAN behind a router),',
      'or set publish: 127.0.0.1 in the profile and reach the master through an ssh tunnel.',
    ],
  )
}
