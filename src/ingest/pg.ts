/** PostgreSQL connections for ingest, and the mapping of pg/network failures to DezcErrors. */
import type pg from 'pg'
import {DezcError, ExitCode, errorMessage, systemErrorCode} from '../core/errors.js'
import {redactUrl} from '../env/settings.js'

export async function connectPg(url: string, signal?: AbortSignal): Promise<pg.Client> {
  const {default: pgmod} = await import('pg')
  const client = new pgmod.Client({
    connectionString: url,
    connectionTimeoutMillis: 15_000,
    application_name: 'dezc ingest',
  })
  // A dying server emits 'error' on an idle client; the operation in flight reports it too.
  client.on('error', () => {})
  try {
    await client.connect()
  } catch (error) {
    await client.end().catch(() => {})
    if (signal?.aborted) throw signal.reason
    throw pgConnectError(error, url)
  }
  return client
}

export function pgConnectError(error: unknown, url: string): DezcError {
  const safe = redactUrl(url)
  const code = (error as {code?: string}).code
  const sys = systemErrorCode(error)
  if (code === '28P01' || code === '28000') {
    return new DezcError({
      code: 'DB_AUTH_FAILED',
      message: `PostgreSQL at ${safe} rejected the login (${errorMessage(error)}).`,
      suggestion: ["Check the user and password in --db-url (or the env profile's postgres.user/password)."],
      exit: ExitCode.PREREQUISITE,
      cause: error,
    })
  }
  if (code === '3D000') {
    return new DezcError({
      code: 'DB_NOT_FOUND',
      message: `PostgreSQL at ${safe}: ${errorMessage(error)}.`,
      suggestion: 'Create the database (createdb) or fix the database name at the end of --db-url.',
      exit: ExitCode.PREREQUISITE,
      cause: error,
    })
  }
  if (
    (sys &&
      ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET'].includes(
        sys,
      )) ||
    /timeout/i.test(errorMessage(error))
  ) {
    return new DezcError({
      code: 'DB_UNREACHABLE',
      message: `Cannot reach PostgreSQL at ${safe} (${sys ?? errorMessage(error)}).`,
      suggestion: [
        'Start the course stack with `dezc env up` (add --host/--stack as you used them), or fix --db-url.',
        'Check the port: `dezc env status` shows where Postgres listens.',
      ],
      exit: ExitCode.PREREQUISITE,
      cause: error,
    })
  }
  return new DezcError({
    code: 'DB_ERROR',
    message: `Cannot connect to PostgreSQL at ${safe}: ${errorMessage(error)}`,
    suggestion: 'Check --db-url.',
    exit: ExitCode.PREREQUISITE,
    cause: error,
  })
}

/** An error while a load was running. The transaction did not commit. */
export function pgLoadError(error: unknown, label: string, table: string): DezcError {
  if (error instanceof DezcError) return error
  const code = (error as {code?: string}).code
  const sys = systemErrorCode(error)
  const msg = errorMessage(error)
  const lost =
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    (sys !== undefined && ['ECONNRESET', 'EPIPE', 'ECONNREFUSED'].includes(sys)) ||
    /Connection terminated|connection.*(closed|ended)|terminating connection|Client was closed|not queryable/i.test(msg)
  if (lost) {
    return new DezcError({
      code: 'DB_CONNECTION_LOST',
      message: `The database connection was lost while loading ${label} (${msg}). The transaction was not committed: ${table} is unchanged.`,
      suggestion: 'Check that PostgreSQL is running (`dezc env status`), then re-run the same command.',
      exit: ExitCode.FAILURE,
      cause: error,
    })
  }
  if (code === '53100') {
    return new DezcError({
      code: 'DB_DISK_FULL',
      message: `PostgreSQL ran out of disk space while loading ${label}; nothing was committed.`,
      suggestion: 'Free space on the database server (or its Docker volume) and re-run.',
      exit: ExitCode.FAILURE,
      cause: error,
    })
  }
  if (code === '42501') {
    return new DezcError({
      code: 'DB_PERMISSION',
      message: `PostgreSQL refused an operation while loading ${label}: ${msg}.`,
      suggestion: `Use a user that can create and alter ${table}, or load into another --table.`,
      exit: ExitCode.FAILURE,
      cause: error,
    })
  }
  return new DezcError({
    code: 'LOAD_FAILED',
    message: `Loading ${label} into ${table} failed: ${msg}${code ? ` (SQLSTATE ${code})` : ''}. Nothing was committed.`,
    suggestion: 'Re-run with --verbose for details; if the table was created by another tool, try a new --table.',
    exit: ExitCode.FAILURE,
    cause: error,
  })
}

/** Quote a possibly schema-qualified table name: a.b -> "a"."b". */
export function quoteTable(name: string): string {
  return name
    .split('.')
    .map((p) => `"${p.replaceAll('"', '""')}"`)
    .join('.')
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
