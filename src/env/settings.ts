/**
 * Host profiles: the built-in `local` and `synology` stacks, user profiles from the config file,
 * and the resolution of a profile plus command-line overrides into one concrete Stack (every name,
 * port, credential and mount decided). Pure: no Docker, no I/O besides the loaded config.
 */
import {DezcError, ExitCode, usageError} from '../core/errors.js'
import {deepMerge, type LoadedConfig} from '../config/load.js'
import {z} from 'zod'
import {profileSchema, type ProfileInput} from '../config/schema.js'
import {courseDefaults, resolveCourse, type Course} from '../config/course.js'

// The course's services, the same on every built-in profile; the profiles differ in ports, mounts and passwords.
// Images, database name and pgAdmin's port come from the course edition (config/course.ts), under the profiles.
const COURSE_POSTGRES = {container: 'pgsql-dev', alias: 'pgdatabase', user: 'root'}
const COURSE_PGADMIN = {enabled: true, container: 'pgadmin-dev', alias: 'pgadmin', email: 'admin@admin.com'}

/** The edition's part of every profile: the lowest layer, under built-in and user profiles. */
function courseProfile(course: Course): ProfileInput {
  const d = courseDefaults(course)
  return {
    postgres: {image: d.postgres.image, db: d.postgres.db},
    pgadmin: {image: d.pgadmin.image, port: d.pgadmin.port},
  }
}

export const BUILTIN_PROFILES: Record<string, ProfileInput> = {
  local: {
    description: 'Docker on this machine; ports on 127.0.0.1 only; named volumes.',
    network: 'pg-network',
    publish: '127.0.0.1',
    restart: 'unless-stopped',
    waitTimeout: 120,
    postgres: {...COURSE_POSTGRES, port: 5432, password: 'root', volume: 'pgsql-dev-data'},
    pgadmin: {...COURSE_PGADMIN, password: 'root', volume: 'pgadmin-dev-data'},
  },
  synology: {
    description:
      'A Synology NAS reached over ssh:// or tcp:// (DOCKER_HOST or docker.host); bind mounts under /volume1/docker; ports on the LAN.',
    remote: true,
    network: 'pg-network',
    publish: '0.0.0.0',
    restart: 'always',
    waitTimeout: 300,
    // No passwords here on purpose: a LAN-published stack gets generated ones (see resolveStack).
    postgres: {...COURSE_POSTGRES, port: 5433, bind: '/volume1/docker/data'},
    pgadmin: {...COURSE_PGADMIN, bind: '/volume1/docker/pgadmin'},
  },
}

export const DEFAULT_PROFILE = 'local'

/** Passwords anyone would try first; never allowed on a stack published beyond loopback. */
const WELL_KNOWN_PASSWORDS = new Set([
  'root',
  'postgres',
  'password',
  'admin',
  'pgadmin',
  'secret',
  '123456',
  'changeme',
])

export type Mount = {type: 'volume'; name: string} | {type: 'bind'; path: string}

export interface PostgresSpec {
  image: string
  container: string
  alias: string
  port: number
  db: string
  user: string
  /** Undefined until generated (see Stack.missingSecrets). */
  password?: string
  mount: Mount
  /** The container's user (uid[:gid]); undefined: the image's own. */
  runAs?: string
}

export interface PgadminSpec {
  enabled: boolean
  image: string
  container: string
  alias: string
  port: number
  email: string
  password?: string
  mount: Mount
  runAs?: string
}

export interface Stack {
  profile: string
  /** The course edition whose defaults are under the profile. */
  course: Course
  /** ` --course N` when a flag or DEZC_COURSE chose the edition (repeated in suggested commands), else ''. */
  courseArg: string
  /** The --stack name (a namespace), or undefined for the default stack. */
  name?: string
  /** Value of the stack label (LABEL.stack): the name, or "default". */
  label: string
  /** hostFromFlag: --docker-host gave `host` (messages say so), not the profile. */
  docker: {host?: string; context?: string; hostFromFlag?: boolean}
  /** The profile names a remote engine: never fall back to the local socket. */
  remoteRequired: boolean
  network: string
  publish: string
  servicesHostOverride?: string
  restart: 'no' | 'always' | 'unless-stopped' | 'on-failure'
  waitTimeoutMs: number
  postgres: PostgresSpec
  pgadmin: PgadminSpec
  /** Secrets to generate before `up` (LAN-published profile without a configured password). */
  missingSecrets: Array<'postgres' | 'pgadmin'>
}

export interface StackOverrides {
  profile?: string
  /** --course: the edition (else DEZC_COURSE, config `course:`, 2023). */
  course?: string
  stack?: string
  pgPort?: number
  pgadminPort?: number
  noPgadmin?: boolean
  /** Seconds. */
  waitTimeout?: number
  dockerHost?: string
}

/** All profile names: built-in plus those in config files. */
export function profileNames(config: LoadedConfig): string[] {
  const fromFiles = Object.keys((config.raw('profiles') as Record<string, unknown> | undefined) ?? {})
  return [...new Set([...Object.keys(BUILTIN_PROFILES), ...fromFiles])].sort()
}

/** A profile after `extends` and layering, plus whether a config file set each password. */
function mergedProfile(
  config: LoadedConfig,
  name: string,
  seen: string[] = [],
): {profile: ProfileInput; userSet: {postgres: boolean; pgadmin: boolean}} {
  if (seen.includes(name))
    throw usageError(
      'CONFIG_INVALID',
      `Profile "${name}" extends itself (${[...seen, name].join(' -> ')}).`,
      'Remove the cycle from the "extends" settings.',
    )
  const fromFiles = (config.section('profiles', profilesRecord) ?? {})[name] ?? undefined
  const builtin = BUILTIN_PROFILES[name]
  if (!builtin && !fromFiles) {
    throw usageError(
      'UNKNOWN_PROFILE',
      `Unknown host profile "${name}".`,
      `Use one of: ${profileNames(config).join(', ')} — or add "profiles: {${name}: {...}}" to dezc.yaml.`,
    )
  }
  let base: ProfileInput = builtin ?? {}
  let userSet = {postgres: false, pgadmin: false}
  const parentName = fromFiles?.extends ?? builtin?.extends
  if (
    parentName &&
    fromFiles?.extends &&
    !BUILTIN_PROFILES[parentName] &&
    !(config.section('profiles', profilesRecord) ?? {})[parentName]
  ) {
    const at = config.where(['profiles', name, 'extends'])
    throw usageError(
      'CONFIG_INVALID',
      `${at ? `${at}: ` : ''}profile "${name}" extends "${parentName}", which is not a profile.`,
      `Use one of: ${profileNames(config).join(', ')} — or define "${parentName}" under profiles:.`,
    )
  }
  if (parentName) {
    const parent = mergedProfile(config, parentName, [...seen, name])
    base = deepMerge(parent.profile, builtin ?? {}) as ProfileInput
    userSet = parent.userSet
  }
  const profile = deepMerge(base, fromFiles ?? {}) as ProfileInput
  return {
    profile,
    userSet: {
      postgres: userSet.postgres || fromFiles?.postgres?.password !== undefined,
      pgadmin: userSet.pgadmin || fromFiles?.pgadmin?.password !== undefined,
    },
  }
}

const profilesRecord = z.record(
  z.string(),
  profileSchema.nullable().transform((v) => v ?? {}),
)

export const STACK_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,39}$/

export function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || address.startsWith('127.')
}

/** Resolve the active profile and overrides into a concrete stack. */
export function resolveStack(config: LoadedConfig, overrides: StackOverrides = {}): Stack {
  const profileName = overrides.profile ?? (config.raw('defaultProfile') as string | undefined) ?? DEFAULT_PROFILE
  const merged = mergedProfile(config, profileName)
  const {userSet} = merged
  const course = resolveCourse(overrides.course, config.raw('course'))
  const courseFromCli = overrides.course !== undefined || Boolean(process.env.DEZC_COURSE)
  const profile = deepMerge(courseProfile(course), merged.profile) as ProfileInput
  const name = overrides.stack
  if (name !== undefined && !STACK_NAME_PATTERN.test(name)) {
    throw usageError(
      'INVALID_STACK',
      `Invalid --stack "${name}".`,
      'Use 1-40 lowercase letters, digits, "-" or "_", starting with a letter or digit (e.g. --stack demo).',
    )
  }
  const ns = (n: string) => (name ? `${name}-${n}` : n)
  const pg = profile.postgres ?? {}
  const pa = profile.pgadmin ?? {}
  const need = <V>(value: V | undefined, key: string): V => {
    if (value === undefined)
      throw usageError(
        'CONFIG_INVALID',
        `Profile "${profileName}" does not set ${key}.`,
        `Add ${key} to the profile in dezc.yaml.`,
      )
    return value
  }
  const mount = (svc: {volume?: string; bind?: string}, key: string): Mount => {
    if (svc.bind) return {type: 'bind', path: svc.bind}
    return {type: 'volume', name: ns(need(svc.volume, `${key}.volume (or ${key}.bind)`))}
  }
  const publish = profile.publish ?? '127.0.0.1'
  const pgPort = overrides.pgPort ?? need(pg.port, 'postgres.port')
  const pgadminPort = overrides.pgadminPort ?? need(pa.port, 'pgadmin.port')
  checkPort(pgPort, '--pg-port')
  checkPort(pgadminPort, '--pgadmin-port')
  const pgadminEnabled = overrides.noPgadmin ? false : pa.enabled !== false
  if (pgadminEnabled && pgPort === pgadminPort) {
    throw usageError(
      'PORT_CONFLICT',
      `Postgres and pgAdmin are both set to port ${pgPort}.`,
      'Give them different ports with --pg-port / --pgadmin-port.',
    )
  }

  const missingSecrets: Stack['missingSecrets'] = []
  let pgPassword = pg.password
  let paPassword = pa.password
  if (!isLoopback(publish)) {
    const check = (svc: 'postgres' | 'pgadmin', pw: string | undefined, setByUser: boolean): string | undefined => {
      if (pw !== undefined && !WELL_KNOWN_PASSWORDS.has(pw.toLowerCase())) return pw
      if (pw !== undefined && setByUser) {
        throw new DezcError({
          code: 'WEAK_PASSWORD',
          message: `Profile "${profileName}" publishes ${svc} on ${publish} (reachable from the network) with the well-known password "${pw}".`,
          suggestion: [
            `Remove profiles.${profileName}.${svc}.password from your config to have dezc generate a strong one,`,
            `or set publish: 127.0.0.1 in the profile to keep the stack on the engine host only.`,
          ],
          exit: ExitCode.USAGE,
        })
      }
      missingSecrets.push(svc)
      return undefined
    }
    pgPassword = check('postgres', pgPassword, userSet.postgres)
    if (pgadminEnabled) paPassword = check('pgadmin', paPassword, userSet.pgadmin)
  } else {
    pgPassword = need(pgPassword, 'postgres.password')
    if (pgadminEnabled) paPassword = need(paPassword, 'pgadmin.password')
  }
  const waitTimeout = overrides.waitTimeout ?? profile.waitTimeout ?? 120
  if (!(waitTimeout > 0))
    throw usageError(
      'INVALID_FLAG',
      `--wait-timeout must be a positive number of seconds (got ${waitTimeout}).`,
      'For example --wait-timeout 120.',
    )

  return {
    profile: profileName,
    course,
    courseArg: courseFromCli ? ` --course ${course}` : '',
    name,
    label: name ?? 'default',
    docker: {
      host: overrides.dockerHost ?? profile.docker?.host,
      context: profile.docker?.context,
      hostFromFlag: overrides.dockerHost !== undefined,
    },
    remoteRequired: profile.remote ?? false,
    network: ns(need(profile.network, 'network')),
    publish,
    servicesHostOverride: profile.servicesHost,
    restart: profile.restart ?? 'unless-stopped',
    waitTimeoutMs: Math.round(waitTimeout * 1000),
    postgres: {
      image: need(pg.image, 'postgres.image'),
      container: ns(need(pg.container, 'postgres.container')),
      alias: need(pg.alias, 'postgres.alias'),
      port: pgPort,
      db: need(pg.db, 'postgres.db'),
      user: need(pg.user, 'postgres.user'),
      password: pgPassword,
      mount: mount(pg, 'postgres'),
      runAs: pg.runAs,
    },
    pgadmin: {
      enabled: pgadminEnabled,
      image: need(pa.image, 'pgadmin.image'),
      container: ns(need(pa.container, 'pgadmin.container')),
      alias: need(pa.alias, 'pgadmin.alias'),
      port: pgadminPort,
      email: need(pa.email, 'pgadmin.email'),
      password: paPassword,
      mount: mount(pa, 'pgadmin'),
      runAs: pa.runAs,
    },
    missingSecrets,
  }
}

function checkPort(port: number, flag: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw usageError(
      'INVALID_FLAG',
      `${flag} must be a TCP port between 1 and 65535 (got ${port}).`,
      `For example ${flag} 15432.`,
    )
}

/** The command that starts (or repairs) this stack: the one to suggest when it is not running. */
export function envUpCommand(stack: Stack): string {
  return `dezc env up${stackArgs(stack)}`
}

/** The flags that name this stack again in a suggested command: --host, --stack, --course. */
export function stackArgs(stack: Stack): string {
  return `${stack.profile === 'local' ? '' : ` --host ${stack.profile}`}${stack.name ? ` --stack ${stack.name}` : ''}${stack.courseArg}`
}

/** postgresql:// URL for a stack, as seen from `host` (the services host or the in-network alias). */
export function postgresUrl(stack: Stack, host: string, port = stack.postgres.port): string {
  const pg = stack.postgres
  const auth = `${encodeURIComponent(pg.user)}:${encodeURIComponent(pg.password ?? '')}`
  const h = host.includes(':') ? `[${host}]` : host
  return `postgresql://${auth}@${h}:${port}/${encodeURIComponent(pg.db)}`
}

/** The same URL with the password masked, for logs and --json. */
export function redactUrl(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]+):[^@]*@/, '$1:***@')
}

/**
 * Where a profile's password comes from: the config file that sets it (the last one read wins,
 * following `extends`), or the profile's built-in default. Generated passwords live in the
 * secrets file, which is one of the files read.
 */
export function passwordOrigin(
  config: LoadedConfig,
  profileName: string,
  service: 'postgres' | 'pgadmin',
  seen: string[] = [],
): string {
  for (const f of [...config.files].reverse()) {
    const own = (
      (f.data.profiles as Record<string, any> | undefined)?.[profileName] as Record<string, any> | undefined
    )?.[service]
    if (own && typeof own === 'object' && own.password !== undefined) return f.path
  }
  if (seen.includes(profileName)) return `the built-in default of profile "${profileName}"`
  const fromFiles = (config.raw('profiles') as Record<string, {extends?: string} | null> | undefined)?.[profileName]
  const parent = fromFiles?.extends ?? BUILTIN_PROFILES[profileName]?.extends
  if (parent) return passwordOrigin(config, parent, service, [...seen, profileName])
  return `the built-in default of profile "${profileName}"`
}

/** The env stack flags' values (flags.ts) -> overrides -> Stack: what every command with stack flags calls. */
export interface StackFlagValues {
  host?: string
  course?: string
  stack?: string
  'docker-host'?: string
  'pg-port'?: number
  'pgadmin-port'?: number
  'no-pgadmin'?: boolean
  'wait-timeout'?: number
}

export function stackFromFlags(config: LoadedConfig, f: StackFlagValues): Stack {
  return resolveStack(config, {
    profile: f.host,
    course: f.course,
    stack: f.stack,
    dockerHost: f['docker-host'],
    pgPort: f['pg-port'],
    pgadminPort: f['pgadmin-port'],
    noPgadmin: f['no-pgadmin'],
    waitTimeout: f['wait-timeout'],
  })
}
