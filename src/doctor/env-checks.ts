/**
 * Doctor checks for the machine and the env stack: Node, Docker engine, ports, images, disk space,
 * Postgres credentials. They share one engine connection through the context.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import type {LoadedConfig} from '../config/load.js'
import {cacheDir, dataDir} from '../config/paths.js'
import {describeEndpoint} from '../docker/endpoint.js'
import type {StackEngine} from '../env/engine.js'
import {envUpCommand, isLoopback, type Stack} from '../env/settings.js'
import {LABEL} from '../env/spec.js'
import {fail, failFromError, ok, skip, warn, type Check, type CheckOutcome} from './check.js'

export interface DoctorContext {
  stack: Stack
  config: LoadedConfig
  env: NodeJS.ProcessEnv
  /** The stack's engine, connected once and shared; rejects when it cannot be reached. */
  engine(): Promise<StackEngine>
}

export const MIN_NODE = '20.19.0'

export function versionAtLeast(version: string, min: string): boolean {
  const a = version.replace(/^v/, '').split('.').map(Number)
  const b = min.split('.').map(Number)
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0)
  }
  return true
}

const GiB = 1024 ** 3

/** statfs of the nearest existing ancestor (the cache dir may not exist yet). */
async function freeBytes(dir: string): Promise<{path: string; free: number} | undefined> {
  let p = path.resolve(dir)
  for (;;) {
    try {
      const s = await fs.statfs(p)
      return {path: p, free: s.bavail * s.bsize}
    } catch {
      const parent = path.dirname(p)
      if (parent === p) return undefined
      p = parent
    }
  }
}

function gib(n: number): string {
  return `${(n / GiB).toFixed(1)} GiB`
}

/** Engine-dependent checks run only when the engine answers; otherwise they are skipped (the engine check says why). */
function withEngine(
  run: (engine: StackEngine, ctx: DoctorContext) => Promise<CheckOutcome>,
): (ctx: DoctorContext) => Promise<CheckOutcome> {
  return async (ctx) => {
    let engine: StackEngine
    try {
      engine = await ctx.engine()
    } catch {
      return skip('Docker engine not reachable (see above).')
    }
    return run(engine, ctx)
  }
}

export const envChecks: Array<Check<DoctorContext>> = [
  {
    id: 'node',
    group: 'Machine',
    title: 'Node.js',
    async run() {
      const v = process.versions.node
      return versionAtLeast(v, MIN_NODE)
        ? ok(`Node ${v}`)
        : fail(
            `Node ${v} is older than ${MIN_NODE}.`,
            `Install Node ${MIN_NODE} or newer (nvm install 22, or your package manager).`,
          )
    },
  },
  {
    id: 'disk',
    group: 'Machine',
    title: 'Disk space',
    async run(ctx) {
      const dirs = [
        {what: 'downloads', dir: cacheDir(ctx.env)},
        {what: 'data', dir: dataDir(ctx.env)},
      ]
      const engine = await ctx.engine().catch(() => undefined)
      if (engine && engine.endpoint.kind === 'unix') {
        const {dockerRootDir} = await engine.client.info().catch(() => ({dockerRootDir: undefined}))
        if (dockerRootDir) dirs.push({what: 'Docker', dir: dockerRootDir})
      }
      const seen = new Map<string, {what: string[]; free: number}>()
      for (const d of dirs) {
        const f = await freeBytes(d.dir)
        if (!f) continue
        const entry = seen.get(f.path) ?? {what: [], free: f.free}
        entry.what.push(d.what)
        seen.set(f.path, entry)
      }
      if (seen.size === 0)
        return warn(
          'Could not read free space for the cache and data folders.',
          'Check that the folders in DEZC_CACHE_DIR / DEZC_DATA_DIR are valid.',
        )
      const parts = [...seen.entries()].map(([p, e]) => `${gib(e.free)} free for ${e.what.join(', ')} (${p})`)
      const least = Math.min(...[...seen.values()].map((e) => e.free))
      // A year of yellow taxi data: ~0.6 GB of parquet, ~10 GB once loaded into Postgres.
      if (least < 1 * GiB)
        return fail(
          parts.join('; '),
          'Free some space: downloads need ~50-500 MB a month and Postgres roughly 10x that once loaded (dezc ingest prunes nothing by itself).',
        )
      if (least < 5 * GiB)
        return warn(
          parts.join('; '),
          'Less than 5 GiB free: enough for a few months of trip data, not for whole years.',
        )
      return ok(parts.join('; '))
    },
  },
  {
    id: 'docker.engine',
    group: 'Docker',
    title: 'Engine',
    async run(ctx) {
      try {
        const e = await ctx.engine()
        return ok(`Docker ${e.info.version} (API ${e.info.apiVersion}) at ${describeEndpoint(e.endpoint)}`)
      } catch (error) {
        return failFromError(error, 'Start the Docker engine, or point DOCKER_HOST / --docker-host at one.')
      }
    },
  },
  {
    id: 'docker.ports',
    group: 'Docker',
    title: 'Ports',
    run: withEngine(async (engine, ctx) => {
      const {stack} = ctx
      const wanted = [{service: 'postgres', port: stack.postgres.port, flag: '--pg-port'}]
      if (stack.pgadmin.enabled) wanted.push({service: 'pgadmin', port: stack.pgadmin.port, flag: '--pgadmin-port'})
      const containers = await engine.client.listAllContainers()
      const found: string[] = []
      const problems: string[] = []
      const fixes: string[] = []
      for (const w of wanted) {
        const holder = containers.find((c) => c.state === 'running' && c.ports.some((p) => p.publicPort === w.port))
        if (
          holder &&
          holder.labels[LABEL.managed] === 'true' &&
          holder.labels[LABEL.stack] === stack.label &&
          holder.labels[LABEL.service] === w.service
        ) {
          found.push(`${w.port} held by our ${w.service}`)
          continue
        }
        if (holder) {
          problems.push(`${w.port} (${w.service}) is held by container "${holder.name}"`)
          fixes.push(
            holder.labels[LABEL.managed] === 'true'
              ? `dezc env down --stack ${holder.labels[LABEL.stack]}`
              : `docker stop ${holder.name}`,
          )
          continue
        }
        const probeHost =
          isLoopback(stack.publish) || stack.publish === '0.0.0.0' || stack.publish === '::'
            ? engine.host
            : stack.publish
        if (!(engine.endpoint.remote && isLoopback(stack.publish))) {
          const {tcpOpen} = await import('../env/probe.js')
          if (await tcpOpen(probeHost, w.port, 400)) {
            problems.push(`${w.port} (${w.service}) is held by a process that is not a container`)
            fixes.push(
              `stop it (a local PostgreSQL? check: ss -ltnp "sport = :${w.port}") or use ${w.flag} ${w.port + 10000 > 65535 ? w.port + 1 : w.port + 10000}`,
            )
            continue
          }
        }
        found.push(`${w.port} free`)
      }
      if (problems.length > 0) return fail([...problems, ...found].join('; '), fixes.join('; '))
      return ok(found.join('; '))
    }),
  },
  {
    id: 'docker.images',
    group: 'Docker',
    title: 'Images',
    run: withEngine(async (engine, ctx) => {
      const images = [ctx.stack.postgres.image, ...(ctx.stack.pgadmin.enabled ? [ctx.stack.pgadmin.image] : [])]
      const present = await Promise.all(images.map((i) => engine.client.imageExists(i)))
      const missing = images.filter((_, i) => !present[i])
      if (missing.length === 0) return ok(`${images.join(', ')} present`)
      return warn(
        `${missing.join(', ')} not present on the engine`,
        `\`dezc env up\` pulls ${missing.length === 1 ? 'it' : 'them'} (needs registry access), or: docker pull ${missing.join(' && docker pull ')}`,
      )
    }),
  },
  {
    id: 'postgres',
    group: 'Postgres',
    title: 'Connection',
    run: withEngine(async (engine, ctx) => {
      const {stack} = ctx
      const pg = stack.postgres
      const {findServiceContainer} = await import('../env/engine.js')
      const info = await findServiceContainer(engine.client, stack, 'postgres')
      const up = envUpCommand(stack)
      if (!info) return warn(`Container ${pg.container} does not exist.`, `Start the stack: ${up}`)
      if (!info.State?.Running)
        return warn(`Container ${pg.container} is ${info.State?.Status ?? 'not running'}.`, `Start it: ${up}`)
      if (pg.password === undefined)
        return warn('No password is stored for this profile yet.', `${up} generates one; then: dezc env credentials`)
      const {publishedPort} = await import('../env/status.js')
      const port = publishedPort(info, 5432) ?? pg.port
      return postgresLogin({host: engine.host, port, user: pg.user, password: pg.password, database: pg.db})
    }),
  },
]

/** Log in with the configured credentials and translate the server's answer into a fix. */
export async function postgresLogin(o: {
  host: string
  port: number
  user: string
  password: string
  database: string
}): Promise<CheckOutcome> {
  const {default: pg} = await import('pg')
  const client = new pg.Client({...o, connectionTimeoutMillis: 1500})
  client.on('error', () => {})
  const where = `${o.user}@${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}/${o.database}`
  try {
    await client.connect()
    const r = await client.query<{v: string}>("select current_setting('server_version') as v")
    return ok(`${where} answers (PostgreSQL ${r.rows[0].v.split(' ')[0]})`)
  } catch (error) {
    const e = error as {code?: string; message?: string}
    if (e.code === '28P01' || e.code === '28000') {
      return fail(
        `${where}: ${e.message}`,
        'Postgres keeps the credentials it was first initialised with: use those in dezc.yaml, or change them inside (dezc env psql: ALTER USER ...).',
      )
    }
    if (e.code === '3D000')
      return fail(
        `${where}: ${e.message}`,
        `Create it (dezc env psql -c 'create database ${o.database}'), or fix postgres.db in dezc.yaml.`,
      )
    return fail(
      `${where}: ${e.message ?? e.code ?? String(error)}`,
      'Check the stack with `dezc env status` and its logs with `dezc env logs postgres`.',
    )
  } finally {
    client.end().catch(() => {})
  }
}
