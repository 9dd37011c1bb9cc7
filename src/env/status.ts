/** `env status`: one row per service, from the engine's own view (inspect), plus uptime. */
import type Dockerode from 'dockerode'
import {connectStack, containerName, findServiceContainer} from './engine.js'
import {hostPort, serviceAnswers} from './probe.js'
import {postgresUrl, redactUrl, type Stack} from './settings.js'
import {LABEL, type ServiceName} from './spec.js'

export interface ServiceStatus {
  service: ServiceName
  container: string
  /** running, exited, restarting, created, paused, dead — or missing. */
  state: string
  /** healthy, unhealthy, starting, none (no healthcheck), or missing. A service Docker still calls
   *  "starting" that already answers dezc's own probe is reported healthy (as `env up` counts it). */
  health: string
  lastProbe: string | null
  address: string
  image: string | null
  uptimeSeconds: number | null
  restarts: number
  ok: boolean
}

export interface EnvStatusResult {
  profile: string
  stack: string | null
  engine: {endpoint: string; version: string}
  network: {name: string; exists: boolean}
  services: ServiceStatus[]
  postgresUrl: string
  ok: boolean
}

export async function envStatus(stack: Stack): Promise<EnvStatusResult> {
  const engine = await connectStack(stack)
  try {
    const expected: Array<{service: ServiceName; name: string; port: number}> = [
      {service: 'postgres', name: stack.postgres.container, port: stack.postgres.port},
    ]
    if (stack.pgadmin.enabled)
      expected.push({service: 'pgadmin', name: stack.pgadmin.container, port: stack.pgadmin.port})
    // Found by dezc's labels (as env up finds them), so a renamed container is still this stack's.
    const [networkExists, ...infos] = await Promise.all([
      engine.client.networkExists(stack.network),
      ...expected.map((e) => findServiceContainer(engine.client, stack, e.service)),
    ])
    infos.forEach((info, i) => {
      if (info) expected[i].name = containerName(info, expected[i].name)
    })
    // The host port each container really publishes (it may differ from the profile: --pg-port at up time).
    const ports = expected.map((e, i) => publishedPort(infos[i], e.service === 'postgres' ? 5432 : 80) ?? e.port)
    const services = expected.map((e, i) => toStatus(e, infos[i], ports[i], engine.host, stack))
    // Docker says "starting" until its next healthcheck tick; `env up` counts a service that already
    // answers as ready, so status asks the service too instead of contradicting up a second later.
    await Promise.all(
      services.map(async (s, i) => {
        if (s.state !== 'running' || s.health !== 'starting') return
        if (
          await serviceAnswers({
            service: s.service,
            stack,
            host: engine.host,
            port: ports[i],
            remote: engine.endpoint.remote,
          })
        ) {
          s.health = 'healthy'
          s.lastProbe = `ok: answered dezc's ${s.service === 'postgres' ? 'query' : '/misc/ping'} (Docker's healthcheck has not passed yet)`
          s.ok = true
        }
      }),
    )
    const pgPort = ports[0]
    return {
      profile: stack.profile,
      stack: stack.name ?? null,
      engine: {endpoint: engine.endpoint.url, version: engine.info.version},
      network: {name: stack.network, exists: networkExists},
      services,
      postgresUrl: redactUrl(postgresUrl(stack, engine.host, pgPort)),
      ok: services.every((s) => s.ok),
    }
  } finally {
    engine.client.close()
  }
}

/** The host port the container really publishes (it may differ from the profile: --pg-port at up time). */
export function publishedPort(
  info: Dockerode.ContainerInspectInfo | undefined,
  containerPort: number,
): number | undefined {
  const bindings = info?.HostConfig?.PortBindings as Record<string, Array<{HostPort?: string}>> | undefined
  const port = Number(bindings?.[`${containerPort}/tcp`]?.[0]?.HostPort)
  return Number.isInteger(port) && port > 0 ? port : undefined
}

function toStatus(
  e: {service: ServiceName; name: string},
  info: Dockerode.ContainerInspectInfo | undefined,
  port: number,
  host: string,
  stack: Stack,
): ServiceStatus {
  const address = e.service === 'postgres' ? hostPort(host, port) : `http://${hostPort(host, port)}`
  const ours =
    info && info.Config?.Labels?.[LABEL.managed] === 'true' && info.Config.Labels[LABEL.stack] === stack.label
  if (!info || !ours) {
    return {
      service: e.service,
      container: e.name,
      state: info ? 'not managed by dezc' : 'missing',
      health: 'missing',
      lastProbe: null,
      address,
      image: info?.Config?.Image ?? null,
      uptimeSeconds: null,
      restarts: 0,
      ok: false,
    }
  }
  const state = info.State as Dockerode.ContainerInspectInfo['State'] & {
    Health?: {Status: string; Log?: Array<{Output?: string; ExitCode?: number}>}
  }
  const health = state.Health?.Status ?? 'none'
  const log = state.Health?.Log ?? []
  const last = log.at(-1)
  const lastProbe = last
    ? `${last.ExitCode === 0 ? 'ok' : `exit ${last.ExitCode}`}${last.Output?.trim() ? `: ${last.Output.trim().split('\n').at(-1)}` : ''}`
    : null
  const started = state.Running && state.StartedAt ? Date.parse(state.StartedAt) : NaN
  return {
    service: e.service,
    container: e.name,
    state: state.Status,
    health,
    lastProbe,
    address,
    image: info.Config.Image,
    uptimeSeconds: Number.isFinite(started) ? Math.max(0, Math.round((Date.now() - started) / 1000)) : null,
    restarts: (info as {RestartCount?: number}).RestartCount ?? 0,
    ok: state.Running && (health === 'healthy' || health === 'none'),
  }
}
