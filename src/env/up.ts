/**
 * `env up`: converge the engine to the stack, idempotently.
 *
 * A running, healthy container whose config hash matches is left alone; a stopped one is started;
 * a changed one is recreated (volumes always kept); an absent one is created. Ports are checked
 * before anything is created, and the holder named. The wait fails fast on unhealthy, exited or
 * restart-looping services and shows their last log lines.
 */
import {createHash} from 'node:crypto'
import type Dockerode from 'dockerode'
import {DezcError, ExitCode} from '../core/errors.js'
import {mb} from '../core/units.js'
import {runTasks, type Task} from '../core/tasks.js'
import type {Ui} from '../core/ui.js'
import type {ContainerSummary, DockerClient} from '../docker/client.js'
import {describeEndpoint} from '../docker/endpoint.js'
import {connectStack, type StackEngine} from './engine.js'
import {hostPort, serviceAnswers, tcpOpen} from './probe.js'
import {dataMajor, runThrowaway, withActiveDataVolume} from './data-volume.js'
import {isLoopback, postgresUrl, redactUrl, stackArgs, type Mount, type Stack} from './settings.js'
import {
  baseLabels,
  containerSpecs,
  dataWriter,
  LABEL,
  postgresMajor,
  type ContainerSpec,
  type ServiceName,
} from './spec.js'

import {planContainers, type ContainerPlan, type ServiceAction, type ServicePlan} from './plan.js'

export type {ServiceAction} from './plan.js'

export interface ServiceUpResult {
  service: ServiceName
  container: string
  image: string
  action: ServiceAction
  health: string
  url: string
}

export interface EnvUpResult {
  profile: string
  stack: string | null
  engine: {endpoint: string; version: string; apiVersion: string}
  network: {name: string; action: 'created' | 'exists'}
  volumes: Array<{name: string; type: 'volume' | 'bind'; action: 'created' | 'exists'}>
  services: ServiceUpResult[]
  postgres: {host: string; port: number; database: string; user: string; url: string; networkAlias: string}
  pgadmin: {url: string; email: string; serverRegisteredAs: string} | null
  changed: boolean
  seconds: number
}

interface UpContext {
  engine?: StackEngine
  specs?: ContainerSpec[]
  plan?: ContainerPlan['services']
  orphans?: ContainerSummary[]
  /** What this run created, so a failure before the containers run undoes exactly that (never an earlier run's). */
  created: {network?: string; volumes: string[]; containers: string[]}
  result: Partial<EnvUpResult>
}

export async function envUp(stack: Stack, ui: Ui, signal: AbortSignal): Promise<EnvUpResult> {
  const t0 = performance.now()
  const ctx: UpContext = {created: {volumes: [], containers: []}, result: {volumes: [], services: []}}
  const tasks: Task<UpContext>[] = [
    {
      title: 'Connect to the Docker engine',
      task: async (c, task) => {
        c.engine = await connectStack(stack)
        const e = c.engine
        task.title = `Docker ${e.info.version} (API ${e.info.apiVersion}) at ${describeEndpoint(e.endpoint)}`
        c.result.engine = {endpoint: e.endpoint.url, version: e.info.version, apiVersion: e.info.apiVersion}
        if (e.endpoint.remote && isLoopback(stack.publish)) {
          ui.reporter.warn(
            `The engine is remote but profile "${stack.profile}" publishes on ${stack.publish}: the ports are only reachable on the engine host (use an SSH tunnel, or set publish: 0.0.0.0).`,
          )
        }
      },
    },
    {
      title: 'Compare with what is running',
      task: async (c, task) => {
        const {client, info} = c.engine!
        // After `env upgrade`, the data lives on the volume it restored into.
        stack = await withActiveDataVolume(client, stack)
        const {loggingDriver: driver} = await client.info().catch(() => ({loggingDriver: undefined}))
        // Synology's default "db" log driver cannot be read back through the API: use json-file.
        c.specs = containerSpecs(stack, {
          apiVersion: info.apiVersion,
          forceJsonFileLogs: driver !== undefined && !['json-file', 'local', 'journald'].includes(driver),
        })
        const plan = await planContainers(client, stack, c.specs)
        c.plan = plan.services
        c.orphans = plan.orphans
        const actions = [...c.plan.values()].map(
          (p) =>
            `${p.spec.service}: ${p.action === 'unchanged' ? 'up to date' : p.action === 'started' ? 'start' : p.action === 'recreated' ? 'recreate' : 'create'}`,
        )
        task.title = `Plan: ${actions.join(', ')}${c.orphans.length > 0 ? `; remove ${c.orphans.map((o) => o.name).join(', ')}` : ''}`
      },
    },
    {
      // Everything that can be checked is checked before anything is created.
      title: 'Check ports, images and data folders',
      skip: (c) => allUnchanged(c) && 'all services up to date',
      task: async (c, task) => {
        const {client} = c.engine!
        await checkPorts(c.engine!, stack, c.plan!)
        await ensureImages(client, c.specs!, task, signal)
        await checkMounts(client, stack, ui)
        task.title = 'Ports free, images present, data folders ready'
      },
    },
    {
      title: 'Network, volumes and containers',
      skip: (c) => allUnchanged(c) && c.orphans!.length === 0 && 'all services up to date',
      task: async (c, task) => {
        const {client} = c.engine!
        try {
          const network = await client.ensureNetwork(stack.network, baseLabels(stack))
          if (network === 'created') c.created.network = stack.network
          c.result.network = {name: stack.network, action: network}
          await createVolumes(client, stack, c)
          for (const orphan of c.orphans!) {
            await client.stopContainer(orphan.name, 10)
            await client.removeContainer(orphan.name, true)
          }
          await Promise.all([...c.plan!.values()].map((p) => applyPlan(client, stack, p, c.created.containers)))
        } catch (error) {
          await undoCreated(client, c.created, ui)
          throw error
        }
        task.title = `Network ${stack.network} ${c.result.network.action === 'created' ? 'created' : 'present'}; containers started`
      },
    },
    {
      title: 'Wait until healthy',
      task: async (c, task) => {
        await waitHealthy(
          c.engine!,
          stack,
          [...c.plan!.values()].map((p) => p.spec),
          signal,
          (msg) => (task.output = msg),
        )
        task.title = 'All services healthy'
      },
    },
  ]
  try {
    await runTasks(ui, tasks, ctx)
  } finally {
    ctx.engine?.client.close()
  }
  if (!ctx.result.network) ctx.result.network = {name: stack.network, action: 'exists'}
  const e = ctx.engine!
  const pg = stack.postgres
  const plan = ctx.plan!
  const services: ServiceUpResult[] = [...plan.values()].map((p) => ({
    service: p.spec.service,
    container: p.spec.name,
    image: p.spec.image,
    action: p.action,
    health: 'healthy',
    url:
      p.spec.service === 'postgres'
        ? redactUrl(postgresUrl(stack, e.host))
        : `http://${hostPort(e.host, stack.pgadmin.port)}`,
  }))
  return {
    profile: stack.profile,
    stack: stack.name ?? null,
    engine: ctx.result.engine!,
    network: ctx.result.network,
    volumes: ctx.result.volumes ?? [],
    services,
    postgres: {
      host: e.host,
      port: pg.port,
      database: pg.db,
      user: pg.user,
      url: redactUrl(postgresUrl(stack, e.host)),
      networkAlias: pg.alias,
    },
    pgadmin: stack.pgadmin.enabled
      ? {
          url: `http://${hostPort(e.host, stack.pgadmin.port)}`,
          email: stack.pgadmin.email,
          serverRegisteredAs: `${pg.alias}:5432`,
        }
      : null,
    changed: services.some((s) => s.action !== 'unchanged') || ctx.result.network.action === 'created',
    seconds: Math.round(performance.now() - t0) / 1000,
  }
}

function allUnchanged(c: UpContext): boolean {
  return [...(c.plan?.values() ?? [])].every((p) => p.action === 'unchanged')
}

/** Remove what this run created (containers, then volumes, then the network), after a failure. */
async function undoCreated(client: DockerClient, created: UpContext['created'], ui: Ui): Promise<void> {
  const left: string[] = []
  const remove = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn() // "not there" counts as removed
    } catch {
      left.push(what)
    }
  }
  for (const name of created.containers) await remove(`container ${name}`, () => client.removeContainer(name, true))
  for (const name of created.volumes) await remove(`volume ${name}`, () => client.removeVolume(name))
  if (created.network) await remove(`network ${created.network}`, () => client.removeNetwork(created.network!))
  if (left.length > 0)
    ui.reporter.warn(`Could not remove what this run created: ${left.join(', ')}; \`dezc env down\` removes it.`)
}

export async function ensureImages(
  client: DockerClient,
  specs: Array<{image: string}>,
  task: {output: string},
  signal: AbortSignal,
): Promise<void> {
  const images = [...new Set(specs.map((s) => s.image))]
  for (const image of images) {
    if (await client.imageExists(image)) continue
    task.output = `Pulling ${image}...`
    await client.pullImage(
      image,
      (p) => {
        // Only when the line changes: without a TTY every update is a new line.
        const line =
          p.total > 0 ? `Pulling ${image}: ${mb(p.current)} / ${mb(p.total)}` : `Pulling ${image}: ${p.status}`
        if (line !== task.output) task.output = line
      },
      signal,
    )
  }
}

/** Credentials fingerprint stored on the data volume: the values Postgres was initialised with. */
export function credentialsFingerprint(stack: Stack): string {
  const pg = stack.postgres
  return createHash('sha256')
    .update(`${pg.user}\0${pg.password ?? ''}\0${pg.db}`)
    .digest('hex')
    .slice(0, 16)
}

function stackMounts(stack: Stack): Array<{service: ServiceName; mount: Mount}> {
  const mounts: Array<{service: ServiceName; mount: Mount}> = [{service: 'postgres', mount: stack.postgres.mount}]
  if (stack.pgadmin.enabled) mounts.push({service: 'pgadmin', mount: stack.pgadmin.mount})
  return mounts
}

/** Bind paths exist; existing data matches the image's Postgres major; warn when credentials changed on existing data. Changes nothing. */
async function checkMounts(client: DockerClient, stack: Stack, ui: Ui): Promise<void> {
  for (const {service, mount} of stackMounts(stack)) {
    if (mount.type === 'bind') await checkBindPath(client, stack, service, mount.path)
    const existing = mount.type === 'volume' ? await client.inspectVolume(mount.name) : undefined
    if (service !== 'postgres' || (mount.type === 'volume' && !existing)) continue
    const found = await dataMajor(client, stack, mount)
    const imageMajor = postgresMajor(stack.postgres.image)
    if (found !== undefined && imageMajor !== undefined && found !== imageMajor)
      throw majorMismatch(stack, found, imageMajor)
    const fp = existing?.labels['dev.dezc.credentials']
    if (fp && fp !== credentialsFingerprint(stack)) {
      ui.reporter.warn(
        `The Postgres user, password or database changed, but volume ${existing!.name} already holds data: Postgres ignores the new values on existing data and keeps the ones it was initialised with. ` +
          `Change them inside Postgres (dezc env psql, then ALTER USER / CREATE DATABASE), or start from empty data with \`dezc env down --volumes\` (deletes the data).`,
      )
    }
  }
}

/** POSTGRES_MAJOR_MISMATCH: data of one major, an image of another; the way forward depends on which is newer. */
export function majorMismatch(stack: Stack, dataMajor: number, imageMajor: number): DezcError {
  const m = stack.postgres.mount
  const where = m.type === 'volume' ? `Volume ${m.name}` : `Folder ${m.path}`
  return new DezcError({
    code: 'POSTGRES_MAJOR_MISMATCH',
    message: `${where} holds PostgreSQL ${dataMajor} data, but the profile's image is ${stack.postgres.image} (PostgreSQL ${imageMajor}); PostgreSQL cannot open data from another major version.`,
    suggestion:
      dataMajor < imageMajor
        ? [
            `Upgrade the data (dump, restore on a new volume, row counts checked; the old volume is kept): dezc env upgrade --to ${imageMajor}${stackArgs(stack)}`,
            `Or keep the old image: set postgres.image to postgres:${dataMajor} (or --course 2023 for the notes' postgres:13).`,
          ]
        : [
            `This data is newer than the image${m.type === 'volume' && m.name.endsWith(`-pg${dataMajor}`) ? ' (the stack was upgraded with dezc env upgrade)' : ''}: set postgres.image to postgres:${dataMajor}${dataMajor >= 18 ? ' (or course: 2026)' : ''}.`,
          ],
    exit: ExitCode.USAGE,
    details: {dataMajor, imageMajor},
  })
}

/** Create the labelled volumes that do not exist yet (recorded, so a later failure removes them again). */
async function createVolumes(client: DockerClient, stack: Stack, c: UpContext): Promise<void> {
  for (const {service, mount} of stackMounts(stack)) {
    if (mount.type === 'bind') {
      c.result.volumes!.push({name: mount.path, type: 'bind', action: 'exists'})
      continue
    }
    if (await client.inspectVolume(mount.name)) {
      c.result.volumes!.push({name: mount.name, type: 'volume', action: 'exists'})
      continue
    }
    const labels: Record<string, string> = {...baseLabels(stack), [LABEL.service]: service}
    if (service === 'postgres') {
      const major = postgresMajor(stack.postgres.image)
      if (major !== undefined) labels[LABEL.pgMajor] = String(major)
      labels['dev.dezc.credentials'] = credentialsFingerprint(stack)
    }
    await client.createVolume(mount.name, labels)
    c.created.volumes.push(mount.name)
    c.result.volumes!.push({name: mount.name, type: 'volume', action: 'created'})
  }
}

/** A bind source must exist on the engine's host: ask the engine by creating a throwaway container. */
async function checkBindPath(client: DockerClient, stack: Stack, service: ServiceName, path: string): Promise<void> {
  const probe = `dezc-bindcheck-${stack.label}-${service}-${process.pid}`
  try {
    await client.createContainer(probe, {
      Image: stack.postgres.image,
      Cmd: ['true'],
      Labels: baseLabels(stack),
      HostConfig: {Mounts: [{Type: 'bind', Source: path, Target: '/mnt/check'}]},
    })
  } catch (error) {
    if (
      error instanceof DezcError &&
      /bind source path does not exist|no such file or directory|not a directory/i.test(error.message)
    ) {
      throw new DezcError({
        code: 'BIND_PATH_MISSING',
        message: `The ${service} data folder ${path} does not exist on the Docker host${client.endpoint.remote ? ` (${client.endpoint.ssh?.host ?? client.endpoint.host})` : ''}.`,
        suggestion: [
          `Create it on the engine host: mkdir -p ${path}${service === 'pgadmin' ? ` && chown 5050:5050 ${path} (pgAdmin runs as uid 5050)` : ''}`,
          'On a Synology NAS: File Station > docker > Create folder, or over SSH as above.',
          `Or use another path: profiles.${stack.profile}.${service}.bind in dezc.yaml.`,
        ],
        exit: ExitCode.PREREQUISITE,
      })
    }
    throw error
  } finally {
    await client.removeContainer(probe, true).catch(() => {})
  }
  await checkBindWritable(client, stack, service, path)
}

/** The bind folder must be writable by the uid the service writes as (runAs, or 5050 for current pgAdmin): asked of the engine's host. */
async function checkBindWritable(
  client: DockerClient,
  stack: Stack,
  service: ServiceName,
  path: string,
): Promise<void> {
  const svc = service === 'postgres' ? stack.postgres : stack.pgadmin
  const writer = dataWriter(service, svc.image, svc.runAs)
  if (!writer) return
  const {output} = await runThrowaway(client, `dezc-writecheck-${stack.label}-${service}-${process.pid}`, {
    Image: stack.postgres.image,
    User: writer,
    Entrypoint: [
      'sh',
      '-c',
      'f=/mnt/check/.dezc-write-check-$$; if touch "$f" 2>/dev/null; then rm -f "$f"; echo WRITABLE; else echo "NOT_WRITABLE $(stat -c %u:%g /mnt/check) $(stat -c %a /mnt/check)"; fi',
    ],
    Cmd: [],
    Labels: baseLabels(stack),
    HostConfig: {Mounts: [{Type: 'bind', Source: path, Target: '/mnt/check'}]},
  })
  const m = /NOT_WRITABLE (\S+) (\S+)/.exec(output)
  if (!m) return
  const [, owner, mode] = m
  const host = client.endpoint.remote ? ` (${client.endpoint.ssh?.host ?? client.endpoint.host})` : ''
  const why = svc.runAs ? `profiles.${stack.profile}.${service}.runAs is ${svc.runAs}` : `${svc.image} runs as uid 5050`
  throw new DezcError({
    code: 'RUN_AS_NOT_WRITABLE',
    message: `The ${service} data folder ${path} on the Docker host${host} belongs to ${owner} (mode ${mode}) and is not writable by ${writer} (${why}).`,
    suggestion: [
      `Give it to that user on the engine host: sudo chown -R ${writer} ${path}`,
      svc.runAs
        ? `Or run ${service} as the folder's owner: runAs: "${owner}" in the profile.`
        : `Or run pgAdmin as the folder's owner: pgadmin.runAs: "${owner}" in the profile.`,
    ],
    exit: ExitCode.PREREQUISITE,
    details: {service, path, owner, mode, writer},
  })
}

/** Ports must be free before we create anything, and when not, say who holds them. */
async function checkPorts(engine: StackEngine, stack: Stack, plan: ContainerPlan['services']): Promise<void> {
  const ports: Array<{service: ServiceName; port: number; flag: string}> = []
  for (const p of plan.values()) {
    if (p.action === 'unchanged') continue
    if (p.spec.service === 'postgres') ports.push({service: 'postgres', port: stack.postgres.port, flag: '--pg-port'})
    else ports.push({service: 'pgadmin', port: stack.pgadmin.port, flag: '--pgadmin-port'})
  }
  if (ports.length === 0) return
  const all = await engine.client.listAllContainers()
  for (const {service, port, flag} of ports) {
    const holder = all.find((c) => c.state === 'running' && c.ports.some((p) => p.publicPort === port))
    const ownSame =
      holder &&
      holder.labels[LABEL.stack] === stack.label &&
      holder.labels[LABEL.service] === service &&
      holder.labels[LABEL.managed] === 'true'
    if (ownSame) continue // it is the container we are about to recreate
    if (holder) throw portInUse(stack, service, port, flag, describeHolder(holder))
    // Not a container of this engine; something else may listen (a local Postgres, an ssh -L tunnel).
    const probeHost =
      isLoopback(stack.publish) || stack.publish === '0.0.0.0' || stack.publish === '::' ? engine.host : stack.publish
    if (!engine.endpoint.remote || !isLoopback(stack.publish)) {
      if (await tcpOpen(probeHost, port, 400))
        throw portInUse(
          stack,
          service,
          port,
          flag,
          `a process on ${engine.endpoint.remote ? probeHost : 'this machine'} that is not a container (a local PostgreSQL server? an ssh tunnel?)`,
        )
    }
  }
}

function describeHolder(c: ContainerSummary): string {
  if (c.labels[LABEL.managed] === 'true')
    return `container "${c.name}" of dezc stack "${c.labels[LABEL.stack]}" (stop it with: dezc env down${c.labels[LABEL.stack] === 'default' ? '' : ` --stack ${c.labels[LABEL.stack]}`})`
  const compose = c.labels['com.docker.compose.project']
  return `container "${c.name}" (image ${c.image}${compose ? `, compose project ${compose}` : ''}; stop it with: docker stop ${c.name})`
}

function portInUse(stack: Stack, service: ServiceName, port: number, flag: string, holder: string): DezcError {
  const hint = stack.name
    ? `dezc env up --stack ${stack.name} ${flag} ${port + 10000 > 65535 ? port + 1 : port + 10000}`
    : `dezc env up ${flag} ${port + 10000 > 65535 ? port + 1 : port + 10000}`
  return new DezcError({
    code: 'PORT_IN_USE',
    message: `Port ${port} (for ${service}) is already in use by ${holder}.`,
    suggestion: [
      `Stop whatever holds it, or use another port: ${hint}`,
      ...(service === 'postgres' && port === 5432
        ? ['A local PostgreSQL server often holds 5432; on Linux check with: sudo ss -ltnp "sport = :5432"']
        : []),
    ],
    exit: ExitCode.FAILURE,
    details: {port, service},
  })
}

async function applyPlan(client: DockerClient, stack: Stack, p: ServicePlan, created: string[]): Promise<void> {
  const {spec} = p
  if (p.action === 'unchanged') return
  if (p.action === 'started') {
    await startOrExplain(client, stack, spec, false)
    return
  }
  if (p.action === 'recreated' && p.existing) {
    await client.stopContainer(p.existing.name, 10)
    await client.removeContainer(p.existing.name, true)
  }
  await client.createContainer(spec.name, spec.body)
  created.push(spec.name)
  for (const f of spec.files) await client.putFile(spec.name, f.path, f.content, f.mode)
  await startOrExplain(client, stack, spec, true)
}

/** Start; on a port clash remove what we just created (so the next run is not blocked by its name). */
async function startOrExplain(
  client: DockerClient,
  stack: Stack,
  spec: ContainerSpec,
  justCreated: boolean,
): Promise<void> {
  try {
    await client.startContainer(spec.name)
  } catch (error) {
    if (justCreated) await client.removeContainer(spec.name, true).catch(() => {})
    const msg = error instanceof Error ? error.message : String(error)
    if (/port is already allocated|address already in use|Ports are not available/i.test(msg)) {
      const port = spec.service === 'postgres' ? stack.postgres.port : stack.pgadmin.port
      throw portInUse(
        stack,
        spec.service,
        port,
        spec.service === 'postgres' ? '--pg-port' : '--pgadmin-port',
        /already allocated/.test(msg) ? 'another container' : 'another process on the engine host',
      )
    }
    throw error
  }
}

/**
 * Poll until every service is healthy. A client-side probe (Postgres answers a query, pgAdmin
 * answers /misc/ping) counts as ready too: it is the readiness users care about, and it can come
 * before Docker's next healthcheck tick.
 */
export async function waitHealthy(
  engine: StackEngine,
  stack: Stack,
  specs: ContainerSpec[],
  signal: AbortSignal,
  onStatus: (s: string) => void,
): Promise<void> {
  const deadline = Date.now() + stack.waitTimeoutMs
  const pollMs = engine.endpoint.kind === 'ssh' ? 1000 : 150
  const pending = new Map(specs.map((s) => [s.service, s]))
  const restarts = new Map<ServiceName, number>()
  let lastStatus = ''
  const clientProbe = (service: ServiceName): Promise<boolean> =>
    serviceAnswers({
      service,
      stack,
      host: engine.host,
      port: service === 'postgres' ? stack.postgres.port : stack.pgadmin.port,
      remote: engine.endpoint.remote,
    })
  while (pending.size > 0) {
    if (signal.aborted) throw signal.reason
    await Promise.all(
      [...pending.values()].map(async (spec) => {
        const info = await engine.client.inspectContainer(spec.name)
        if (!info)
          throw new DezcError({
            code: 'SERVICE_GONE',
            message: `Container ${spec.name} disappeared while starting.`,
            suggestion: 'Check whether something removed it (another dezc run?), then run `dezc env up` again.',
            exit: ExitCode.UNHEALTHY,
          })
        const state = info.State as Dockerode.ContainerInspectInfo['State'] & {Health?: {Status: string}}
        const health = state.Health?.Status
        const restartCount = (info as {RestartCount?: number}).RestartCount ?? 0
        if (!restarts.has(spec.service)) restarts.set(spec.service, restartCount)
        const looping = restartCount > restarts.get(spec.service)! || state.Restarting
        if (health === 'unhealthy' || (!state.Running && !state.Restarting && state.Status !== 'created') || looping) {
          // The cause first: a process that exits (and is restarted) also turns "unhealthy" soon after.
          const why = looping
            ? 'keeps restarting'
            : !state.Running
              ? `exited with code ${state.ExitCode}`
              : restartCount > 0
                ? `keeps restarting (${restartCount} restart${restartCount === 1 ? '' : 's'}) and is unhealthy`
                : 'is unhealthy'
          throw await serviceFailed(engine.client, spec, why)
        }
        if (state.Running && (health === 'healthy' || (await clientProbe(spec.service)))) pending.delete(spec.service)
      }),
    )
    if (pending.size === 0) break
    if (Date.now() > deadline) {
      const spec = [...pending.values()][0]
      throw await serviceFailed(
        engine.client,
        spec,
        `did not become healthy within ${stack.waitTimeoutMs / 1000} s`,
        true,
      )
    }
    const status = `waiting for ${[...pending.keys()].join(', ')}...`
    if (status !== lastStatus) onStatus((lastStatus = status))
    await new Promise((r) => setTimeout(r, pollMs))
  }
}

async function serviceFailed(
  client: DockerClient,
  spec: ContainerSpec,
  why: string,
  timeout = false,
): Promise<DezcError> {
  const logs = (await client.logsTail(spec.name, 20)).trimEnd()
  return new DezcError({
    code: timeout ? 'SERVICE_TIMEOUT' : 'SERVICE_UNHEALTHY',
    message: `${spec.service} (${spec.name}) ${why}. Last log lines:\n${indent(logs || '(no output)')}`,
    suggestion: [
      `See everything with: dezc env logs ${spec.service}${timeout ? '; a slow first start (e.g. on a NAS) may need --wait-timeout 600' : ''}`,
      'The containers were left as they are for inspection; `dezc env down` removes them (data kept).',
    ],
    exit: ExitCode.UNHEALTHY,
  })
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')
}
