/**
 * `dezc spark cluster up|status|down`: a Spark standalone cluster on an env stack's engine (local,
 * a NAS, another machine's Docker context), through the one Docker module and env's labels.
 *
 * up: converge idempotently (leave / start / create / recreate / remove extra workers), then wait
 * until every worker has registered with the master (its JSON at :8080/json/), failing fast with
 * the log of a container that exited. down removes exactly the cluster's containers (and the
 * network only when `cluster up` created it and nothing else uses it).
 */
import {DezcError, ExitCode} from '../core/errors.js'
import {shellQuote} from '../core/shell.js'
import {sleep} from '../core/sleep.js'
import {runTasks, type Task} from '../core/tasks.js'
import type {Ui} from '../core/ui.js'
import type {ContainerSummary} from '../docker/client.js'
import {connectStack, type StackEngine} from '../env/engine.js'
import {stackArgs, type Stack} from '../env/settings.js'
import {baseLabels} from '../env/spec.js'
import {
  assertClusterExposureAccepted,
  clusterHost,
  clusterLabels,
  clusterSpecs,
  CREATED_BY_LABEL,
  decideCluster,
  MASTER_SERVICE,
  WORKER_SERVICE,
  type ClusterAction,
  type ClusterSettings,
  type ClusterStep,
  type MasterJson,
  workerHealth,
  type WorkerHealth,
} from './cluster-spec.js'

export interface ClusterNode {
  container: string
  service: string
  state: string
  action?: ClusterAction
}

/** Which engine the cluster runs on (no secrets: a URL and a context name). */
export interface ClusterEngine {
  endpoint: string
  context: string | null
  remote: boolean
}

export interface ClusterUpResult {
  stack: string | null
  engine: ClusterEngine
  dryRun: boolean
  image: string
  network: {name: string; action: 'created' | 'exists' | 'planned'}
  /** spark://HOST:PORT as reachable from where dezc runs (the engine's host for a remote engine). */
  masterUrl: string
  uiUrl: string
  /** Inside the stack's network (other containers): spark://spark-master:7077. */
  internalUrl: string
  containers: ClusterNode[]
  workersRegistered: number
  workers: Array<{id: string; host: string; state: string; cores: number; memoryMb: number}>
  changed: boolean
  seconds: number
  /** --dry-run: the same as docker commands. */
  commands?: string[]
  next: string[]
}

export interface ClusterOptions {
  stack: Stack
  settings: ClusterSettings
  dryRun: boolean
  ui: Ui
  signal: AbortSignal
  /** --allow-lan: publish the master beyond loopback although it has no authentication. */
  allowLan?: boolean
  /** --docker-context NAME: the engine of that Docker CLI context instead of the profile's. */
  dockerContext?: string
}

function connect(o: {stack: Stack; dockerContext?: string}): Promise<StackEngine> {
  return connectStack(o.stack, {dockerContext: o.dockerContext})
}

function engineOf(engine: StackEngine): ClusterEngine {
  return {endpoint: engine.endpoint.url, context: engine.endpoint.contextName ?? null, remote: engine.endpoint.remote}
}

async function existingCluster(engine: StackEngine, stack: Stack): Promise<ContainerSummary[]> {
  const [m, w] = await Promise.all([
    engine.client.listContainers(clusterLabels(stack, MASTER_SERVICE)),
    engine.client.listContainers(clusterLabels(stack, WORKER_SERVICE)),
  ])
  return [...m, ...w]
}

function urls(engine: StackEngine, s: ClusterSettings, stack: Stack) {
  const host = clusterHost(stack, engine) ?? engine.host
  return {
    masterUrl: `spark://${host}:${s.masterPort}`,
    uiUrl: `http://${host}:${s.uiPort}`,
    internalUrl: 'spark://spark-master:7077',
    host,
  }
}

export async function clusterUp(o: ClusterOptions): Promise<ClusterUpResult> {
  const t0 = performance.now()
  const {settings: s, ui} = o
  // --publish binds the cluster's ports elsewhere than the profile's services (the stack is only read here).
  const stack = s.publish ? {...o.stack, publish: s.publish} : o.stack
  assertClusterExposureAccepted(stack, Boolean(o.allowLan))
  const engine = await connect(o)
  try {
    if (clusterHost(stack, engine) === undefined) throw unreachable(stack, engine, s)
    const u = urls(engine, s, stack)
    const specs = clusterSpecs(stack, s)
    const steps = decideCluster(specs, await existingCluster(engine, stack))
    const networkExists = await engine.client.networkExists(stack.network)
    const base = {
      stack: stack.name ?? null,
      engine: engineOf(engine),
      image: s.image,
      masterUrl: u.masterUrl,
      uiUrl: u.uiUrl,
      internalUrl: u.internalUrl,
    }
    const args = `${stackArgs(stack)}${o.dockerContext ? ` --docker-context ${shellQuote(o.dockerContext)}` : ''}`
    const next = [
      `dezc spark submit job.py --master ${u.masterUrl}`,
      `dezc spark cluster status${args}`,
      `dezc spark cluster down${args}`,
    ]
    if (o.dryRun) {
      return {
        ...base,
        dryRun: true,
        network: {name: stack.network, action: networkExists ? 'exists' : 'planned'},
        containers: steps.map((st) => ({container: st.name, service: st.service, state: 'planned', action: st.action})),
        workersRegistered: 0,
        workers: [],
        changed: false,
        seconds: 0,
        commands: dockerCommands(stack, s, steps, networkExists),
        next,
      }
    }
    const net: {action: 'created' | 'exists'} = {action: 'exists'}
    const tasks: Task<object>[] = [
      {
        title: `Network ${stack.network}`,
        task: async () => {
          net.action = await engine.client.ensureNetwork(stack.network, {
            ...baseLabels(stack),
            [CREATED_BY_LABEL]: 'spark-cluster',
          })
        },
      },
      {
        title: `Image ${s.image}`,
        task: async (_c, task) => {
          if (await engine.client.imageExists(s.image)) return
          task.title = `Pull ${s.image}`
          await engine.client.pullImage(s.image, (p) => (task.output = `${p.status} ${p.current}/${p.total}`), o.signal)
        },
      },
      ...steps.map((st): Task<object> => ({
        title: `${st.action === 'unchanged' ? 'Leave' : capital(st.action.replace(/d$/, ''))} ${st.name}`,
        task: async () => {
          if (st.action === 'unchanged') return
          if (st.action === 'removed' || st.action === 'recreated') await engine.client.removeContainer(st.name, true)
          if (st.action === 'created' || st.action === 'recreated')
            await engine.client.createContainer(st.name, st.spec!.body)
          if (st.action !== 'removed') await engine.client.startContainer(st.name)
        },
      })),
    ]
    await runTasks(ui, tasks, {})
    const status = await waitRegistered(engine, stack, s, u.uiUrl, o.signal, ui)
    const containers = await existingCluster(engine, stack)
    return {
      ...base,
      dryRun: false,
      network: {name: stack.network, action: net.action},
      containers: steps
        .filter((st) => st.action !== 'removed')
        .map((st) => ({
          container: st.name,
          service: st.service,
          state: containers.find((c) => c.name === st.name)?.state ?? 'missing',
          action: st.action,
        }))
        .concat(
          steps
            .filter((st) => st.action === 'removed')
            .map((st) => ({container: st.name, service: st.service, state: 'removed', action: st.action})),
        ),
      workersRegistered: status.aliveworkers ?? 0,
      workers: aliveWorkers(status),
      changed: net.action === 'created' || steps.some((st) => st.action !== 'unchanged'),
      seconds: Math.round((performance.now() - t0) / 100) / 10,
      next,
    }
  } finally {
    engine.client.close()
  }
}

function aliveWorkers(status: MasterJson): ClusterUpResult['workers'] {
  return (status.workers ?? [])
    .filter((w) => w.state === 'ALIVE')
    .map((w) => ({id: w.id, host: w.host, state: w.state, cores: w.cores, memoryMb: w.memory}))
}

/**
 * GET the master's /json/ (node:http with a referenced timer: while the master starts, docker-proxy
 * accepts and then drops connections, and a fetch timed by an unref'd AbortSignal.timeout can leave
 * nothing keeping the process alive).
 */
async function masterJson(uiUrl: string): Promise<MasterJson | undefined> {
  const http = await import('node:http')
  return new Promise((resolve) => {
    const req = http.get(`${uiUrl}/json/`, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => {
        clearTimeout(timer)
        try {
          resolve(res.statusCode === 200 ? (JSON.parse(body) as MasterJson) : undefined)
        } catch {
          resolve(undefined)
        }
      })
      res.on('error', () => resolve(undefined))
    })
    const timer = setTimeout(() => {
      req.destroy()
      resolve(undefined)
    }, 5000)
    req.on('error', () => {
      clearTimeout(timer)
      resolve(undefined)
    })
  })
}

/** Until the master lists every worker ALIVE; a container that exits fails at once, with its log. */
async function waitRegistered(
  engine: StackEngine,
  stack: Stack,
  s: ClusterSettings,
  uiUrl: string,
  signal: AbortSignal,
  ui: Ui,
): Promise<MasterJson> {
  const deadline = Date.now() + s.waitMs
  let last: MasterJson | undefined
  ui.reporter.info(`Waiting for ${s.workers} worker(s) to register with the master (${uiUrl}/json/)`)
  for (;;) {
    last = (await masterJson(uiUrl)) ?? last
    if ((last?.aliveworkers ?? 0) >= s.workers && last?.status === 'ALIVE') return last
    const containers = await existingCluster(engine, stack)
    const dead = containers.find((c) => c.state === 'exited' || c.state === 'dead')
    if (dead) throw clusterFailed(`${dead.name} exited`, await engine.client.logsTail(dead.name, 30), stack)
    if (Date.now() > deadline)
      throw clusterFailed(
        `only ${last?.aliveworkers ?? 0} of ${s.workers} worker(s) registered in ${Math.round(s.waitMs / 1000)} s`,
        await engine.client
          .logsTail(containers.find((c) => c.labels['dev.dezc.service'] === MASTER_SERVICE)?.name ?? '', 30)
          .catch(() => ''),
        stack,
      )
    await sleep(1000, signal)
  }
}

/** A remote engine publishing on its loopback: the master would be reachable only on that machine. */
function unreachable(stack: Stack, engine: StackEngine, s: ClusterSettings): DezcError {
  const where = engine.endpoint.ssh?.host ?? engine.endpoint.host ?? engine.endpoint.url
  const via = engine.endpoint.contextName ? ` (Docker context ${engine.endpoint.contextName})` : ''
  return new DezcError({
    code: 'SPARK_CLUSTER_UNREACHABLE',
    message: `The engine ${engine.endpoint.url}${via} is on another machine, but profile "${stack.profile}" publishes on ${stack.publish}: the Spark master would be reachable only on ${where} itself, so neither dezc nor spark-submit here could reach it. Nothing was changed.`,
    suggestion: [
      `Publish the cluster on that machine's LAN address: --publish 0.0.0.0 (or its address) --allow-lan (the master has no authentication: a network that is yours alone),`,
      `or tunnel the ports (ssh -N -L ${s.masterPort}:127.0.0.1:${s.masterPort} -L ${s.uiPort}:127.0.0.1:${s.uiPort} ${where}) and set DEZC_SERVICES_HOST=127.0.0.1.`,
    ],
    exit: ExitCode.USAGE,
  })
}

function clusterFailed(why: string, log: string, stack: Stack): DezcError {
  return new DezcError({
    code: 'SPARK_CLUSTER_FAILED',
    message: `The Spark cluster did not come up: ${why}.${log ? `\nLast log lines:\n${log.trim()}` : ''}`,
    suggestion: [
      `Look at the whole log with: docker logs ${stack.name ? `${stack.name}-` : ''}spark-master`,
      'A worker needs the memory it is given (--worker-memory) free on the engine host.',
    ],
    exit: ExitCode.UNHEALTHY,
  })
}

export interface ClusterStatusResult {
  stack: string | null
  engine: ClusterEngine
  /** healthy: master running and every worker registered; degraded: some worker lost; down: no master running. */
  state: 'healthy' | 'degraded' | 'down'
  running: boolean
  masterUrl?: string
  uiUrl?: string
  containers: ClusterNode[]
  workersExpected: number
  workersRegistered: number
  workers: ClusterUpResult['workers']
  /** Every worker container, with its container state and what the master says of it. */
  workerHealth: WorkerHealth[]
  /** The workers that are not running or that the master does not list ALIVE (killed, crashed, lost). */
  lost: WorkerHealth[]
  healthy: boolean
}

export async function clusterStatus(o: Omit<ClusterOptions, 'dryRun'>): Promise<ClusterStatusResult> {
  const {stack} = o
  const engine = await connect(o)
  try {
    const containers = await existingCluster(engine, stack)
    const master = containers.find((c) => c.labels['dev.dezc.service'] === MASTER_SERVICE)
    const workersExpected = containers.filter((c) => c.labels['dev.dezc.service'] === WORKER_SERVICE).length
    const base = {
      stack: stack.name ?? null,
      engine: engineOf(engine),
      containers: containers.map((c) => ({container: c.name, service: c.labels['dev.dezc.service'], state: c.state})),
      workersExpected,
    }
    if (!master || master.state !== 'running') {
      const health = workerHealth(stack, containers)
      return {
        ...base,
        state: 'down',
        running: false,
        workersRegistered: 0,
        workers: [],
        workerHealth: health,
        lost: health,
        healthy: false,
      }
    }
    // The ports and the address the master publishes on (its container says, whatever flags this call got).
    const bound = (p: number) => master.ports.find((x) => x.privatePort === p && x.publicPort)
    const port = (p: number) => bound(p)?.publicPort
    const publish = bound(7077)?.ip ?? stack.publish
    const host = clusterHost({...stack, publish}, engine) ?? engine.host
    const uiUrl = port(8080) ? `http://${host}:${port(8080)}` : undefined
    const status = uiUrl ? await masterJson(uiUrl) : undefined
    const registered = status?.aliveworkers ?? 0
    const health = workerHealth(stack, containers, status)
    const lost = health.filter((w) => !w.ok)
    const healthy = workersExpected > 0 && lost.length === 0 && registered >= workersExpected
    return {
      ...base,
      state: healthy ? 'healthy' : 'degraded',
      running: true,
      masterUrl: port(7077) ? `spark://${host}:${port(7077)}` : undefined,
      uiUrl,
      workersRegistered: registered,
      workers: status ? aliveWorkers(status) : [],
      workerHealth: health,
      lost,
      healthy,
    }
  } finally {
    engine.client.close()
  }
}

export interface ClusterDownResult {
  stack: string | null
  engine: ClusterEngine
  dryRun: boolean
  containersRemoved: string[]
  networkRemoved: string | null
}

export async function clusterDown(o: Omit<ClusterOptions, 'settings'>): Promise<ClusterDownResult> {
  const {stack} = o
  const engine = await connect(o)
  try {
    const containers = await existingCluster(engine, stack)
    const net = await engine.client.inspectNetwork(stack.network)
    // The network only when `cluster up` made it and no other container is on it (env's stays).
    const ours = net?.labels[CREATED_BY_LABEL] === 'spark-cluster'
    // Stopped containers count too: env's Postgres, stopped, still needs the network to start again.
    const attached = net ? (await engine.client.listContainersOnNetwork(stack.network)).map((c) => c.name) : []
    const others = [...new Set([...(net?.containers ?? []), ...attached])].filter(
      (name) => !containers.some((c) => c.name === name),
    )
    const removeNetwork = Boolean(ours && others.length === 0)
    if (o.dryRun)
      return {
        stack: stack.name ?? null,
        engine: engineOf(engine),
        dryRun: true,
        containersRemoved: containers.map((c) => c.name),
        networkRemoved: removeNetwork ? stack.network : null,
      }
    const removed: string[] = []
    await Promise.all(
      containers.map(async (c) => {
        if (await engine.client.removeContainer(c.name, true)) removed.push(c.name)
      }),
    )
    const networkRemoved = removeNetwork && (await engine.client.removeNetwork(stack.network)) ? stack.network : null
    return {
      stack: stack.name ?? null,
      engine: engineOf(engine),
      dryRun: false,
      containersRemoved: removed.sort(),
      networkRemoved,
    }
  } finally {
    engine.client.close()
  }
}

function dockerCommands(stack: Stack, s: ClusterSettings, steps: ClusterStep[], networkExists: boolean): string[] {
  const out: string[] = []
  if (!networkExists) out.push(`docker network create ${stack.network}`)
  for (const st of steps) {
    if (st.action === 'unchanged') continue
    if (st.action === 'removed' || st.action === 'recreated') out.push(`docker rm -f ${st.name}`)
    if (st.action === 'started') out.push(`docker start ${st.name}`)
    if (st.action !== 'created' && st.action !== 'recreated') continue
    const b = st.spec!.body
    const ports = Object.entries(
      (b.HostConfig.PortBindings ?? {}) as Record<string, Array<{HostIp: string; HostPort: string}>>,
    )
      .map(([p, [h]]) => ` -p ${h.HostIp}:${h.HostPort}:${p.replace('/tcp', '')}`)
      .join('')
    const mounts = s.data ? ` -v ${s.data}:${s.data}` : ''
    out.push(
      `docker run -d --name ${st.name} --network ${stack.network} --network-alias ${st.spec!.alias} --hostname ${st.spec!.alias}${ports}${mounts} --entrypoint ${b.Entrypoint[0]} ${s.image} ${b.Cmd.join(' ')}`,
    )
  }
  return out
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}
