/**
 * `env credentials`: what a person needs to log in to the stack's Postgres and pgAdmin. Ports,
 * database, user and email come from the running containers (found by dezc's labels, so
 * `--pg-port` at up time and renamed containers are seen); the passwords from where they are
 * really stored. A stack that is not running is shown with the profile's settings and says so.
 */
import type {LoadedConfig} from '../config/load.js'
import type {DezcError} from '../core/errors.js'
import {hostPort} from './probe.js'
import {envUpCommand, passwordOrigin, postgresUrl, redactUrl, type Stack} from './settings.js'
import {LABEL} from './spec.js'

export interface StackCredentials {
  /** running: read from the engine; profile: the stack is not running (or the engine cannot be reached). */
  source: 'running' | 'profile'
  note?: string
  postgres: {
    host: string
    port: number
    database: string
    user: string
    password?: string
    passwordFrom: string
    url?: string
  }
  pgadmin: {url: string; email: string; password?: string; passwordFrom: string} | null
}

function envOf(info: {Config?: {Env?: string[]}} | undefined, key: string): string | undefined {
  const hit = info?.Config?.Env?.find((e) => e.startsWith(`${key}=`))
  return hit?.slice(key.length + 1)
}

export async function stackCredentials(config: LoadedConfig, stack: Stack): Promise<StackCredentials> {
  const [{connectStack, findServiceContainer, stackEndpoint}, {servicesHost}, {publishedPort}] = await Promise.all([
    import('./engine.js'),
    import('../docker/endpoint.js'),
    import('./status.js'),
  ])
  let host = servicesHost(stackEndpoint(stack), stack.servicesHostOverride)
  let pg: {port: number; database: string; user: string} = {
    port: stack.postgres.port,
    database: stack.postgres.db,
    user: stack.postgres.user,
  }
  let pa: {port: number; email: string} | null = stack.pgadmin.enabled
    ? {port: stack.pgadmin.port, email: stack.pgadmin.email}
    : null
  let source: StackCredentials['source'] = 'profile'
  let note: string | undefined
  try {
    const engine = await connectStack(stack, {pingTimeoutMs: 5000})
    try {
      host = engine.host
      // Only a running container this stack's `env up` made counts (not one that merely has its name).
      const find = async (service: 'postgres' | 'pgadmin') => {
        const info = await findServiceContainer(engine.client, stack, service)
        const labels = info?.Config?.Labels ?? {}
        return info?.State?.Running && labels[LABEL.managed] === 'true' && labels[LABEL.stack] === stack.label
          ? info
          : undefined
      }
      const [pgInfo, paInfo] = await Promise.all([find('postgres'), find('pgadmin')])
      if (pgInfo) {
        source = 'running'
        pg = {
          port: publishedPort(pgInfo, 5432) ?? pg.port,
          database: envOf(pgInfo, 'POSTGRES_DB') ?? pg.database,
          user: envOf(pgInfo, 'POSTGRES_USER') ?? pg.user,
        }
        pa = paInfo
          ? {
              port: publishedPort(paInfo, 80) ?? stack.pgadmin.port,
              email: envOf(paInfo, 'PGADMIN_DEFAULT_EMAIL') ?? stack.pgadmin.email,
            }
          : null
      } else {
        note = `The stack is not running; these are the settings \`${envUpCommand(stack)}\` will use.`
      }
    } finally {
      engine.client.close()
    }
  } catch (error) {
    note = `The Docker engine could not be asked (${(error as DezcError).message}); these are the profile's settings, the running stack may differ.`
  }
  const pgPasswordFrom =
    stack.postgres.password === undefined ? 'not generated yet' : passwordOrigin(config, stack.profile, 'postgres')
  const pgUrl =
    stack.postgres.password === undefined
      ? undefined
      : postgresUrl({...stack, postgres: {...stack.postgres, user: pg.user, db: pg.database}}, host, pg.port)
  return {
    source,
    note,
    postgres: {host, ...pg, password: stack.postgres.password, passwordFrom: pgPasswordFrom, url: pgUrl},
    pgadmin: pa && {
      url: `http://${hostPort(host, pa.port)}`,
      email: pa.email,
      password: stack.pgadmin.password,
      passwordFrom:
        stack.pgadmin.password === undefined ? 'not generated yet' : passwordOrigin(config, stack.profile, 'pgadmin'),
    },
  }
}

/** What --json shows: everything but the passwords themselves (whether set, and where from). */
export interface CredentialsResult {
  source: StackCredentials['source']
  note?: string
  postgres: Omit<StackCredentials['postgres'], 'password'> & {passwordSet: boolean}
  pgadmin: (Omit<NonNullable<StackCredentials['pgadmin']>, 'password'> & {passwordSet: boolean}) | null
}

export function credentialsResult(c: StackCredentials): CredentialsResult {
  const pg = c.postgres
  return {
    source: c.source,
    ...(c.note ? {note: c.note} : {}),
    postgres: {
      host: pg.host,
      port: pg.port,
      database: pg.database,
      user: pg.user,
      url: pg.url && redactUrl(pg.url),
      passwordSet: pg.password !== undefined,
      passwordFrom: pg.passwordFrom,
    },
    pgadmin: c.pgadmin
      ? {
          url: c.pgadmin.url,
          email: c.pgadmin.email,
          passwordSet: c.pgadmin.password !== undefined,
          passwordFrom: c.pgadmin.passwordFrom,
        }
      : null,
  }
}
