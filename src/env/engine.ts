/** Connecting a stack to its Docker engine, and what every env command needs from that. */
import type {DockerClient, EngineInfo} from '../docker/client.js'
import {resolveEndpoint, servicesHost, type DockerEndpoint} from '../docker/endpoint.js'
import {DezcError, ExitCode} from '../core/errors.js'
import type {Stack} from './settings.js'
import {LABEL} from './spec.js'

export interface StackEngine {
  client: DockerClient
  endpoint: DockerEndpoint
  info: EngineInfo
  /** Where published ports are reached (URLs, probes). */
  host: string
}

export function stackEndpoint(stack: Stack, dockerContext?: string): DockerEndpoint {
  // --docker-host is folded into stack.docker.host by resolveStack: it beats DOCKER_HOST either way;
  // --docker-context (spark cluster) replaces the profile's engine the same way.
  const endpoint = resolveEndpoint(
    dockerContext
      ? {flagContext: dockerContext}
      : stack.docker.hostFromFlag
        ? {flagHost: stack.docker.host}
        : {profileHost: stack.docker.host, profileContext: stack.docker.context},
  )
  if (stack.remoteRequired && !endpoint.remote && endpoint.source === 'default') {
    throw new DezcError({
      code: 'DOCKER_HOST_REQUIRED',
      message: `Profile "${stack.profile}" runs on a remote engine (a NAS), but no Docker endpoint is set, so dezc would use this machine's engine.`,
      suggestion: [
        `Set DOCKER_HOST=ssh://USER@NAS (or tcp://NAS:2376), pass --docker-host, or add "profiles: {${stack.profile}: {docker: {host: ssh://USER@NAS}}}" to dezc.yaml.`,
      ],
      exit: ExitCode.USAGE,
    })
  }
  return endpoint
}

export async function connectStack(
  stack: Stack,
  options: {pingTimeoutMs?: number; dockerContext?: string} = {},
): Promise<StackEngine> {
  const endpoint = stackEndpoint(stack, options.dockerContext)
  const {DockerClient} = await import('../docker/client.js')
  const client = await DockerClient.connect(endpoint)
  try {
    const info = await client.ping(options.pingTimeoutMs)
    return {client, endpoint, info, host: servicesHost(endpoint, stack.servicesHostOverride)}
  } catch (error) {
    client.close()
    throw error
  }
}

/**
 * A service's container: the one `env up` made for this stack (found by dezc's labels, so a renamed
 * container is still found; a running one first), else whatever has the profile's name (which may
 * be someone else's: callers check the labels). Undefined when neither exists.
 */
export async function findServiceContainer(
  client: DockerClient,
  stack: Stack,
  service: 'postgres' | 'pgadmin',
): Promise<import('dockerode').ContainerInspectInfo | undefined> {
  const ours = await client.listContainers({
    [LABEL.managed]: 'true',
    [LABEL.stack]: stack.label,
    [LABEL.service]: service,
  })
  const pick = ours.find((c) => c.state === 'running') ?? ours[0]
  return client.inspectContainer(
    pick?.name ?? (service === 'postgres' ? stack.postgres.container : stack.pgadmin.container),
  )
}

/** A container's name as the API's inspect gives it ("/name"), without the slash. */
export function containerName(info: {Name?: string}, fallback: string): string {
  return info.Name?.replace(/^\//, '') || fallback
}
