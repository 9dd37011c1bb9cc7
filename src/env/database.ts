/**
 * "The stack's database": where the named env stack's Postgres really listens, read from the
 * engine. Every consumer (ingest, its dry-run, the wizard, and later dbt and flows) resolves it
 * here, and nobody falls back to the profile's default port: a stack that is not running, or an
 * engine that cannot be reached, is an error rather than a guess that may be another stack.
 */
import {DezcError, ExitCode} from '../core/errors.js'
import {connectStack} from './engine.js'
import {envUpCommand, postgresUrl, type Stack} from './settings.js'
import {LABEL} from './spec.js'

export interface StackDatabase {
  /** postgresql:// URL with the stored password (never print it unredacted). */
  url: string
  host: string
  port: number
  container: string
}

/** Where a stack's Postgres is, as seen from this machine. Resolved by the caller's engine (tests inject one). */
export type LocateStackDatabase = (
  stack: Stack,
) => Promise<{host: string; port: number; container: string; db?: string; user?: string}>

export function requireStoredPassword(stack: Stack): string {
  if (stack.postgres.password !== undefined) return stack.postgres.password
  throw new DezcError({
    code: 'NO_DB_PASSWORD',
    message: `Profile "${stack.profile}" has no Postgres password yet (dezc generates one when it first starts the stack).`,
    suggestion: [
      `Start the stack first: ${envUpCommand(stack)}`,
      'Or pass --db-url postgresql://USER:PASSWORD@HOST:PORT/DB.',
    ],
    exit: ExitCode.PREREQUISITE,
  })
}

/**
 * Ask the stack's engine for its running Postgres container (by dezc's labels, so a renamed
 * `postgres.container` still finds the one `env up` made) and the host port it publishes.
 * Engine unreachable: the engine's own error (exit 4). Stack missing or stopped: STACK_NOT_RUNNING (exit 5).
 */
export const locateOnEngine: LocateStackDatabase = async (stack) => {
  const engine = await connectStack(stack, {pingTimeoutMs: 5000})
  try {
    const stackName = stack.name ? `stack "${stack.name}"` : 'the default stack'
    const where = `${stackName}${stack.profile === 'local' ? '' : ` (profile ${stack.profile})`} on ${engine.endpoint.url}`
    const found = await engine.client.listContainers({
      [LABEL.managed]: 'true',
      [LABEL.stack]: stack.label,
      [LABEL.service]: 'postgres',
    })
    const running = found.find((c) => c.state === 'running')
    if (!running) {
      throw new DezcError({
        code: 'STACK_NOT_RUNNING',
        message:
          found.length === 0
            ? `There is no Postgres of ${where}.`
            : `The Postgres of ${where} (${found[0].name}) is ${found[0].state}, not running.`,
        suggestion: [
          `Start it: ${envUpCommand(stack)}`,
          'Or give the target explicitly: --db-url postgresql://USER:PASSWORD@HOST:PORT/DB (or ingest.dbUrl in dezc.yaml).',
        ],
        exit: ExitCode.UNHEALTHY,
        details: {stack: stack.name ?? null, profile: stack.profile, engine: engine.endpoint.url},
      })
    }
    const {publishedPort} = await import('./status.js')
    const info = await engine.client.inspectContainer(running.name)
    const port = publishedPort(info, 5432)
    if (port === undefined) {
      throw new DezcError({
        code: 'STACK_NOT_PUBLISHED',
        message: `The Postgres of ${where} (${running.name}) publishes no host port, so it cannot be reached from here.`,
        suggestion: [
          `Recreate it with a published port: ${envUpCommand(stack)} --pg-port ${stack.postgres.port}`,
          "Or run the ingest inside the stack's network: --in-network.",
        ],
        exit: ExitCode.UNHEALTHY,
      })
    }
    // The database and user the container was created with (its edition's), not this command's defaults.
    const env = (info?.Config?.Env ?? []) as string[]
    const fromEnv = (key: string) => env.find((e) => e.startsWith(`${key}=`))?.slice(key.length + 1) || undefined
    return {
      host: engine.host,
      port,
      container: running.name,
      db: fromEnv('POSTGRES_DB'),
      user: fromEnv('POSTGRES_USER'),
    }
  } finally {
    engine.client.close()
  }
}

export async function stackDatabase(
  stack: Stack,
  locate: LocateStackDatabase = locateOnEngine,
): Promise<StackDatabase> {
  requireStoredPassword(stack)
  const {db, user, ...at} = await locate(stack)
  const running = {
    ...stack,
    postgres: {...stack.postgres, db: db ?? stack.postgres.db, user: user ?? stack.postgres.user},
  }
  return {url: postgresUrl(running, at.host, at.port), ...at}
}
