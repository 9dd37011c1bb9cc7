/**
 * A private PostgreSQL 15 cluster for tests and benchmarks, from Debian's postgresql-15
 * (/usr/lib/postgresql/15/bin). initdb/pg_ctl refuse to run as root, so they run as the
 * `postgres` user (runuser) when we are root. Listens on a free loopback port with a password
 * user (scram-sha-256 over TCP); the data dir lives in a temp dir removed by stop().
 */
import {execFile} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

const run = promisify(execFile)
export const PG_BIN = process.env.DEZC_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin'

export interface PgServer {
  port: number
  user: string
  password: string
  database: string
  /** postgresql://user:password@127.0.0.1:port/database */
  url: string
  dataDir: string
  /** Stop the server (mode fast) and delete its files. */
  stop(): Promise<void>
  /** Kill the server hard (simulates the database dying). */
  crash(): Promise<void>
  /** Start it again after crash(). */
  start(): Promise<void>
}

export interface PgServerOptions {
  user?: string
  password?: string
  database?: string
  /** Extra `-c name=value` settings. Tests default to fsync=off for speed. */
  settings?: Record<string, string>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const {port} = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

const isRoot = process.getuid?.() === 0

function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]
}

async function pgRun(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const [cmd, argv] = asPostgres(path.join(PG_BIN, bin), args)
  const {stdout} = await run(cmd, argv, {env: {...process.env, ...env, LC_ALL: 'C.UTF-8'}, maxBuffer: 1 << 24})
  return stdout
}

export async function startPostgres(options: PgServerOptions = {}): Promise<PgServer> {
  if (!fs.existsSync(path.join(PG_BIN, 'initdb'))) {
    throw new Error(
      `PostgreSQL 15 server binaries not found in ${PG_BIN}: run scripts/ensure-system-deps.sh (apt-get install postgresql-15).`,
    )
  }
  const user = options.user ?? 'root'
  const password = options.password ?? 'root'
  const database = options.database ?? 'nytaxi'
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-pg-'))
  const dataDir = path.join(base, 'data')
  const sockDir = path.join(base, 'sock')
  fs.mkdirSync(sockDir)
  if (isRoot) await run('chown', ['-R', 'postgres:postgres', base])
  const pwFile = path.join(base, 'pw')
  fs.writeFileSync(pwFile, password, {mode: 0o600})
  if (isRoot) await run('chown', ['postgres:postgres', pwFile])
  await pgRun('initdb', [
    '-D',
    dataDir,
    '-U',
    user,
    `--pwfile=${pwFile}`,
    '--auth-host=scram-sha-256',
    '--auth-local=trust',
    '-E',
    'UTF8',
    '--no-sync',
  ])
  const port = await freePort()
  const settings = {fsync: 'off', full_page_writes: 'off', synchronous_commit: 'off', ...options.settings}
  const opts = [
    `-p ${port}`,
    `-k ${sockDir}`,
    `-c listen_addresses=127.0.0.1`,
    ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`),
  ].join(' ')
  const logFile = path.join(base, 'server.log')
  const start = async () => {
    await pgRun('pg_ctl', ['-D', dataDir, '-o', opts, '-l', logFile, '-w', '-t', '60', 'start'])
  }
  await start()
  await pgRun('createdb', ['-h', sockDir, '-p', String(port), '-U', user, database])
  const url = `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`
  let stopped = false
  return {
    port,
    user,
    password,
    database,
    url,
    dataDir,
    start,
    async crash() {
      await pgRun('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop'])
    },
    async stop() {
      if (stopped) return
      stopped = true
      await pgRun('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']).catch(() => {})
      fs.rmSync(base, {recursive: true, force: true})
    },
  }
}

/** One query on an env stack's Postgres with the local profile's credentials (root/root, nytaxi). */
export async function queryStack(port: number, sql: string, database = 'nytaxi'): Promise<any[]> {
  const {default: pg} = await import('pg')
  const client = new pg.Client({host: '127.0.0.1', port, user: 'root', password: 'root', database})
  await client.connect()
  try {
    return (await client.query(sql)).rows
  } finally {
    await client.end()
  }
}
