/**
 * What the stack's Docker objects look like: container create bodies, healthchecks, labels,
 * pgAdmin's servers.json and the config hash that decides "leave alone" vs "recreate".
 * Pure functions of the Stack (and the engine's API version), so they are unit-tested directly.
 */
import {createHash} from 'node:crypto'
import type {Mount, Stack} from './settings.js'

export const LABEL = {
  managed: 'dev.dezc.managed',
  // Named before --stack was: kept so stacks made by earlier versions are still found (and removed).
  stack: 'dev.dezc.project',
  profile: 'dev.dezc.profile',
  service: 'dev.dezc.service',
  configHash: 'dev.dezc.config-hash',
  pgMajor: 'dev.dezc.postgres-major',
  /** On a volume made by `env upgrade`: the volume whose data it was restored from. */
  upgradedFrom: 'dev.dezc.upgraded-from',
} as const

export type ServiceName = 'postgres' | 'pgadmin'

const SECOND = 1_000_000_000 // healthcheck durations are nanoseconds in the API

export interface HealthcheckSpec {
  Test: string[]
  Interval: number
  Timeout: number
  Retries: number
  StartPeriod: number
  StartInterval?: number
}

/**
 * Healthchecks. Docker runs the first check one interval after start, so the interval bounds how
 * late "healthy" can come. Engines with API >= 1.44 have StartInterval: probe fast while
 * starting, slowly afterwards. Older engines (Synology's 20.10/24.0) get a 1 s interval.
 */
export function healthchecks(apiVersion = '1.41'): Record<ServiceName, HealthcheckSpec> {
  const startInterval = apiAtLeast(apiVersion, '1.44')
  const timing = startInterval ? {Interval: 5 * SECOND, StartInterval: SECOND / 4} : {Interval: 1 * SECOND}
  return {
    // Over TCP: the image's init phase runs a socket-only server, so a socket check could pass
    // during initdb and then fail when the real server restarts.
    postgres: {
      Test: ['CMD-SHELL', 'pg_isready -q -h 127.0.0.1 -p 5432 -U "$POSTGRES_USER" -d "$POSTGRES_DB"'],
      Timeout: 2 * SECOND,
      Retries: 30,
      StartPeriod: 60 * SECOND,
      ...timing,
    },
    // /misc/ping, not /login: each /login probe creates a session file in pgAdmin's data dir.
    pgadmin: {
      Test: ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1:${PGADMIN_LISTEN_PORT:-80}/misc/ping || exit 1'],
      Timeout: 2 * SECOND,
      Retries: 30,
      StartPeriod: 120 * SECOND,
      ...timing,
    },
  }
}

export function apiAtLeast(version: string, min: string): boolean {
  const [a, b] = version.split('.').map(Number)
  const [c, d] = min.split('.').map(Number)
  return a > c || (a === c && b >= d)
}

/** Postgres 18+ images keep data under /var/lib/postgresql/<major>/docker: mount the parent. */
export function postgresMajor(image: string): number | undefined {
  const tag = image.includes(':') ? image.slice(image.lastIndexOf(':') + 1) : 'latest'
  const m = /^(\d+)/.exec(tag)
  return m ? Number(m[1]) : undefined
}

export function postgresDataTarget(image: string): string {
  const major = postgresMajor(image)
  return major !== undefined && major >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data'
}

/**
 * The uid a service's process writes its data folder as: the profile's runAs, else the image's
 * own user where it is not root — pgAdmin images run as uid 5050 since 4.16 (late 2019, when
 * "Permission denied: /var/lib/pgadmin" on bind mounts began; 4.8, the notes' tag, still runs as
 * root); Postgres starts as root and chowns its data itself. Undefined: no write check needed.
 */
export function dataWriter(service: ServiceName, image: string, runAs: string | undefined): string | undefined {
  if (runAs) return runAs
  if (service !== 'pgadmin') return undefined
  const name = image.slice(image.lastIndexOf('/') + 1)
  const tag = name.includes(':') ? name.slice(name.lastIndexOf(':') + 1) : 'latest'
  const version = /^(\d+)(?:\.(\d+))?/.exec(tag)
  if (!version) return '5050:5050'
  const [major, minor] = [Number(version[1]), Number(version[2] ?? 99)]
  return major < 4 || (major === 4 && minor < 16) ? undefined : '5050:5050'
}

export const PGADMIN_SERVERS_JSON_PATH = '/pgadmin4/servers.json'

/** pgAdmin's server registration: the Postgres server under its network alias, never localhost. */
export function pgadminServersJson(stack: Stack): string {
  const pg = stack.postgres
  return JSON.stringify(
    {
      Servers: {
        '1': {
          Name: stack.name ? `dezc ${stack.name} (${pg.alias})` : `dezc (${pg.alias})`,
          Group: 'dezc',
          Host: pg.alias,
          Port: 5432,
          MaintenanceDB: pg.db,
          Username: pg.user,
          SSLMode: 'prefer',
        },
      },
    },
    null,
    2,
  )
}

export function baseLabels(stack: Stack): Record<string, string> {
  return {[LABEL.managed]: 'true', [LABEL.stack]: stack.label, [LABEL.profile]: stack.profile}
}

function mountFor(m: Mount, target: string): Record<string, unknown> {
  if (m.type === 'volume') return {Type: 'volume', Source: m.name, Target: target}
  // Mounts (not Binds): a missing source path is an error instead of a root-owned empty directory.
  return {Type: 'bind', Source: m.path, Target: target}
}

export interface ContainerSpec {
  service: ServiceName
  name: string
  image: string
  /** Body for POST /containers/create (without the hash label). */
  body: Record<string, any>
  hash: string
  /** Files to upload into the container before its first start. */
  files: Array<{path: string; content: string; mode: number}>
}

export interface SpecOptions {
  apiVersion: string
  /** Engines whose default logging driver cannot be read back (Synology's "db"). */
  forceJsonFileLogs?: boolean
}

export function containerSpecs(stack: Stack, options: SpecOptions): ContainerSpec[] {
  const hc = healthchecks(options.apiVersion)
  const labels = baseLabels(stack)
  const hostConfig = (containerPort: number, hostPort: number, mounts: Record<string, unknown>[]) => ({
    PortBindings: {[`${containerPort}/tcp`]: [{HostIp: stack.publish, HostPort: String(hostPort)}]},
    Mounts: mounts,
    RestartPolicy: {Name: stack.restart, ...(stack.restart === 'on-failure' ? {MaximumRetryCount: 5} : {})},
    ...(options.forceJsonFileLogs
      ? {LogConfig: {Type: 'json-file', Config: {'max-size': '10m', 'max-file': '3'}}}
      : {}),
  })
  const networking = (alias: string) => ({EndpointsConfig: {[stack.network]: {Aliases: [alias]}}})
  const pg = stack.postgres
  const specs: Array<Omit<ContainerSpec, 'hash'>> = [
    {
      service: 'postgres',
      name: pg.container,
      image: pg.image,
      body: {
        Image: pg.image,
        ...(pg.runAs ? {User: pg.runAs} : {}),
        Env: [`POSTGRES_USER=${pg.user}`, `POSTGRES_PASSWORD=${pg.password ?? ''}`, `POSTGRES_DB=${pg.db}`],
        Labels: {...labels, [LABEL.service]: 'postgres'},
        ExposedPorts: {'5432/tcp': {}},
        Healthcheck: hc.postgres,
        HostConfig: hostConfig(5432, pg.port, [mountFor(pg.mount, postgresDataTarget(pg.image))]),
        NetworkingConfig: networking(pg.alias),
      },
      files: [],
    },
  ]
  const pa = stack.pgadmin
  if (pa.enabled) {
    specs.push({
      service: 'pgadmin',
      name: pa.container,
      image: pa.image,
      body: {
        Image: pa.image,
        ...(pa.runAs ? {User: pa.runAs} : {}),
        Env: [
          `PGADMIN_DEFAULT_EMAIL=${pa.email}`,
          `PGADMIN_DEFAULT_PASSWORD=${pa.password ?? ''}`,
          'PGADMIN_LISTEN_PORT=80',
          `PGADMIN_SERVER_JSON_FILE=${PGADMIN_SERVERS_JSON_PATH}`,
        ],
        Labels: {...labels, [LABEL.service]: 'pgadmin'},
        ExposedPorts: {'80/tcp': {}},
        Healthcheck: hc.pgadmin,
        HostConfig: hostConfig(80, pa.port, [mountFor(pa.mount, '/var/lib/pgadmin')]),
        NetworkingConfig: networking(pa.alias),
      },
      files: [{path: PGADMIN_SERVERS_JSON_PATH, content: pgadminServersJson(stack) + '\n', mode: 0o644}],
    })
  }
  return specs.map((s) => {
    const hash = configHash({body: s.body, files: s.files})
    s.body.Labels[LABEL.configHash] = hash
    return {...s, hash}
  })
}

/** sha256 over a canonical (key-sorted) JSON of the create body and uploaded files. */
export function configHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 32)
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v)
}
