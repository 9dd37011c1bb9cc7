/**
 * Which Docker engine to talk to, resolved the way the docker CLI does, plus the profile:
 * --docker-host > --docker-context > profile docker.host > DOCKER_HOST > profile docker.context >
 * DOCKER_CONTEXT > currentContext in $DOCKER_CONFIG/config.json > the default socket (a context
 * given on the command line beats DOCKER_HOST, as `docker --context` does). Pure file reads; no
 * dockerode.
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {DezcError, ExitCode, usageError} from '../core/errors.js'

export type EndpointSource = 'flag' | 'context-flag' | 'profile' | 'DOCKER_HOST' | 'profile-context' | 'DOCKER_CONTEXT' | 'current-context' | 'default'

export interface DockerEndpoint {
  kind: 'unix' | 'npipe' | 'tcp' | 'ssh'
  /** Canonical URL, e.g. unix:///var/run/docker.sock, tcp://nas:2376, ssh://admin@nas */
  url: string
  source: EndpointSource
  contextName?: string
  socketPath?: string
  host?: string
  port?: number
  protocol?: 'http' | 'https'
  tls?: {ca?: string; cert?: string; key?: string; verify: boolean}
  ssh?: {user?: string; host: string; port?: number}
  /** True when the engine runs on another machine (ports are published there). */
  remote: boolean
}

export interface ResolveEndpointOptions {
  flagHost?: string
  /** --docker-context NAME: a Docker CLI context (`default` = the local engine). */
  flagContext?: string
  profileHost?: string
  profileContext?: string
  env?: NodeJS.ProcessEnv
}

export function resolveEndpoint(options: ResolveEndpointOptions = {}): DockerEndpoint {
  const env = options.env ?? process.env
  if (options.flagHost) return parseDockerHost(options.flagHost, 'flag', env)
  if (options.flagContext) return fromContext(options.flagContext, 'context-flag', env)
  if (options.profileHost) return parseDockerHost(options.profileHost, 'profile', env)
  if (env.DOCKER_HOST) return parseDockerHost(env.DOCKER_HOST, 'DOCKER_HOST', env)
  if (options.profileContext) return fromContext(options.profileContext, 'profile-context', env)
  if (env.DOCKER_CONTEXT) return fromContext(env.DOCKER_CONTEXT, 'DOCKER_CONTEXT', env)
  const current = currentContext(env)
  if (current && current !== 'default') return fromContext(current, 'current-context', env)
  return defaultEndpoint(env)
}

function dockerConfigDir(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker')
}

function currentContext(env: NodeJS.ProcessEnv): string | undefined {
  try {
    const cfg = JSON.parse(fs.readFileSync(path.join(dockerConfigDir(env), 'config.json'), 'utf8')) as {currentContext?: string}
    return cfg.currentContext || undefined
  } catch {
    return undefined
  }
}

/**
 * The Docker CLI contexts in $DOCKER_CONFIG (or ~/.docker): `default` first, then every
 * contexts/meta/<sha256 of the name>/meta.json's Name, sorted. Unreadable entries are skipped.
 */
export function listDockerContexts(env: NodeJS.ProcessEnv = process.env): string[] {
  const meta = path.join(dockerConfigDir(env), 'contexts', 'meta')
  let ids: string[] = []
  try {
    ids = fs.readdirSync(meta)
  } catch {
    // No contexts folder: only the built-in default.
  }
  const names = ids.flatMap((id) => {
    try {
      const name = (JSON.parse(fs.readFileSync(path.join(meta, id, 'meta.json'), 'utf8')) as {Name?: unknown}).Name
      return typeof name === 'string' && name !== 'default' ? [name] : []
    } catch {
      return []
    }
  })
  return ['default', ...names.sort()]
}

/** The engine a Docker CLI context points at, as `docker --context NAME` resolves it. */
export function resolveDockerContext(name: string, env: NodeJS.ProcessEnv = process.env): DockerEndpoint {
  return fromContext(name, 'context-flag', env)
}

function fromContext(name: string, source: EndpointSource, env: NodeJS.ProcessEnv): DockerEndpoint {
  // An explicit --docker-context default names the local engine on purpose (messages say so).
  if (name === 'default')
    return source === 'context-flag' ? {...defaultEndpoint(env), source, contextName: 'default'} : defaultEndpoint(env)
  // The docker CLI stores a context under the sha256 of its name (any name is a safe folder name).
  const id = createHash('sha256').update(name).digest('hex')
  const dir = dockerConfigDir(env)
  const metaPath = path.join(dir, 'contexts', 'meta', id, 'meta.json')
  let meta: {Endpoints?: {docker?: {Host?: string; SkipTLSVerify?: boolean}}}
  try {
    meta = JSON.parse(fs.readFileSync(metaPath, 'utf8'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw usageError('DOCKER_CONTEXT_INVALID', `Docker context "${name}" cannot be read (${metaPath}: ${(error as Error).message}).`, `Inspect it with \`docker context inspect ${name}\`, or create it again.`)
    const known = listDockerContexts(env)
    throw usageError(
      'DOCKER_CONTEXT_NOT_FOUND',
      `Docker context "${name}" (from ${SOURCE_NAMES[source] ?? source}) does not exist in ${path.join(dir, 'contexts')}. Known contexts: ${known.join(', ')}.`,
      [
        `Create it with: docker context create ${name} --docker host=ssh://USER@HOST`,
        source === 'context-flag' ? 'Or pass one of the known contexts to --docker-context.' : `Or use one of the known contexts${source === 'DOCKER_CONTEXT' ? ', or unset DOCKER_CONTEXT' : ''}.`,
      ],
    )
  }
  const host = meta.Endpoints?.docker?.Host
  if (!host) throw usageError('DOCKER_CONTEXT_INVALID', `Docker context "${name}" has no docker endpoint.`, `Inspect it with \`docker context inspect ${name}\`.`)
  const ep = parseDockerHost(host, source, env)
  ep.contextName = name
  if (ep.kind === 'tcp') {
    const tlsDir = path.join(dir, 'contexts', 'tls', id, 'docker')
    const file = (f: string) => (fs.existsSync(path.join(tlsDir, f)) ? path.join(tlsDir, f) : undefined)
    if (file('ca.pem') || file('cert.pem')) {
      ep.protocol = 'https'
      ep.tls = {ca: file('ca.pem'), cert: file('cert.pem'), key: file('key.pem'), verify: !meta.Endpoints?.docker?.SkipTLSVerify}
      ep.url = ep.url.replace(/^tcp:/, 'tcp:')
    }
  }
  return ep
}

function defaultEndpoint(env: NodeJS.ProcessEnv): DockerEndpoint {
  if (process.platform === 'win32') return {kind: 'npipe', url: 'npipe:////./pipe/docker_engine', socketPath: '//./pipe/docker_engine', source: 'default', remote: false}
  // Docker Desktop (macOS/Linux) puts its socket in the home directory; else the system socket.
  const desktop = path.join(env.HOME || os.homedir(), '.docker', 'run', 'docker.sock')
  const socketPath = fs.existsSync(desktop) ? desktop : '/var/run/docker.sock'
  return {kind: 'unix', url: `unix://${socketPath}`, socketPath, source: 'default', remote: false}
}

export function parseDockerHost(value: string, source: EndpointSource, env: NodeJS.ProcessEnv = process.env): DockerEndpoint {
  const v = value.trim()
  if (v.startsWith('unix://')) {
    const socketPath = v.slice('unix://'.length)
    if (!socketPath.startsWith('/')) throw badHost(v, source)
    return {kind: 'unix', url: v, socketPath, source, remote: false}
  }
  if (v.startsWith('npipe://')) return {kind: 'npipe', url: v, socketPath: v.slice('npipe://'.length), source, remote: false}
  let u: URL
  try {
    u = new URL(v)
  } catch {
    throw badHost(v, source)
  }
  if (u.protocol === 'ssh:') {
    if (!u.hostname) throw badHost(v, source)
    return {
      kind: 'ssh',
      url: v,
      source,
      ssh: {user: u.username ? decodeURIComponent(u.username) : undefined, host: u.hostname, port: u.port ? Number(u.port) : undefined},
      host: u.hostname,
      remote: true,
    }
  }
  if (u.protocol === 'tcp:' || u.protocol === 'http:' || u.protocol === 'https:') {
    if (!u.hostname) throw badHost(v, source)
    const tlsVerify = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0'
    const port = u.port ? Number(u.port) : tlsVerify || u.protocol === 'https:' ? 2376 : 2375
    // docker's convention: TLS when DOCKER_TLS_VERIFY is set or the port is 2376.
    const https = u.protocol === 'https:' || tlsVerify || port === 2376
    const certDir = env.DOCKER_CERT_PATH
    const ep: DockerEndpoint = {kind: 'tcp', url: `tcp://${u.host}`, source, host: u.hostname.replace(/^\[|\]$/g, ''), port, protocol: https ? 'https' : 'http', remote: !isLocalHostname(u.hostname)}
    if (https) {
      ep.tls = certDir
        ? {ca: path.join(certDir, 'ca.pem'), cert: path.join(certDir, 'cert.pem'), key: path.join(certDir, 'key.pem'), verify: tlsVerify}
        : {verify: tlsVerify}
    }
    return ep
  }
  throw badHost(v, source)
}

function isLocalHostname(h: string): boolean {
  return h === 'localhost' || h.startsWith('127.') || h === '[::1]' || h === '::1'
}

const SOURCE_NAMES: Partial<Record<EndpointSource, string>> = {flag: '--docker-host', 'context-flag': '--docker-context', profile: "the profile's docker.host", 'profile-context': "the profile's docker.context", 'current-context': 'currentContext in the docker config.json'}

function badHost(v: string, source: EndpointSource): DezcError {
  return new DezcError({
    code: 'DOCKER_HOST_INVALID',
    message: `Cannot understand the Docker endpoint "${v}" (from ${SOURCE_NAMES[source] ?? source}).`,
    suggestion: 'Use unix:///var/run/docker.sock, tcp://HOST:2375 (or :2376 with TLS), or ssh://USER@HOST.',
    exit: ExitCode.USAGE,
  })
}

/**
 * The address where published ports are reached: DEZC_SERVICES_HOST, else the profile's
 * servicesHost, else the engine's host for tcp/ssh, else 127.0.0.1 (never "localhost": Node
 * resolves it to ::1 first, which some Docker VMs do not forward).
 */
export function servicesHost(endpoint: DockerEndpoint, profileServicesHost?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.DEZC_SERVICES_HOST) return env.DEZC_SERVICES_HOST
  if (profileServicesHost) return profileServicesHost
  if (endpoint.kind === 'ssh') return endpoint.ssh!.host
  if (endpoint.kind === 'tcp') return endpoint.host === 'localhost' ? '127.0.0.1' : endpoint.host!
  return '127.0.0.1'
}

/** How to describe the endpoint to a person (no secrets in it). */
export function describeEndpoint(ep: DockerEndpoint): string {
  const via = ep.contextName ? `context ${ep.contextName}` : ep.source
  return `${ep.url} (${via})`
}
