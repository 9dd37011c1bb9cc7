/**
 * bench/env-up: time from command start until Postgres accepts a query and pgAdmin answers,
 * for `dezc env up` and for `docker-compose up -d` on the course's compose file, on the same
 * engine and images. Scenarios: cold (empty volumes), warm (existing data, containers removed),
 * no-op (already up). Also reports when compose's own healthcheck first says "healthy".
 * Usage: bench/env-up [--runs N]
 */
import {execFileSync, spawnSync} from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import pg from 'pg'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3
const project = `bench${process.pid}`
const composeProject = `benchc${process.pid}`

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port
      s.close(() => resolve(p))
    })
  })
}

async function queryOk(port: number): Promise<boolean> {
  const c = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'root',
    password: 'root',
    database: 'nytaxi',
    connectionTimeoutMillis: 500,
  })
  c.on('error', () => {})
  try {
    await c.connect()
    await c.query('select 1')
    return true
  } catch {
    return false
  } finally {
    c.end().catch(() => {})
  }
}

async function pgadminOk(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/misc/ping`, {signal: AbortSignal.timeout(500)})).status === 200
  } catch {
    return false
  }
}

/** Seconds from t0 until both services answer (polled every 50 ms). */
async function untilReady(t0: number, pgPort: number, paPort: number, limitS = 120): Promise<number> {
  let pgReady = false
  let paReady = false
  while ((performance.now() - t0) / 1000 < limitS) {
    pgReady ||= await queryOk(pgPort)
    paReady ||= await pgadminOk(paPort)
    if (pgReady && paReady) return (performance.now() - t0) / 1000
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('services never became ready')
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function dezc(args: string[]): void {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), ...args], {
    encoding: 'utf8',
    env: {...process.env, CI: 'true'},
  })
  if (r.status !== 0) throw new Error(`dezc ${args.join(' ')} failed: ${r.stderr}`)
}

function compose(args: string[], ports: {pg: number; pa: number}): void {
  execFileSync('docker-compose', ['-f', path.join(root, 'bench/course-compose.yaml'), '-p', composeProject, ...args], {
    stdio: 'ignore',
    env: {...process.env, BENCH_PG_PORT: String(ports.pg), BENCH_PGADMIN_PORT: String(ports.pa)},
  })
}

async function composeHealthy(t0: number): Promise<number> {
  const id = execFileSync(
    'docker-compose',
    ['-f', path.join(root, 'bench/course-compose.yaml'), '-p', composeProject, 'ps', '-q', 'pgdatabase'],
    {env: {...process.env, BENCH_PG_PORT: '1', BENCH_PGADMIN_PORT: '2'}},
  )
    .toString()
    .trim()
  for (;;) {
    const h = execFileSync('docker', ['inspect', '-f', '{{.State.Health.Status}}', id]).toString().trim()
    if (h === 'healthy') return (performance.now() - t0) / 1000
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function main(): Promise<void> {
  const ports = {pg: await freePort(), pa: await freePort()}
  const cports = {pg: await freePort(), pa: await freePort()}
  const dezcArgs = ['--stack', project, '--pg-port', String(ports.pg), '--pgadmin-port', String(ports.pa)]
  const results: Record<string, {dezc: number[]; compose: number[]; composeHealthy: number[]}> = {
    cold: {dezc: [], compose: [], composeHealthy: []},
    warm: {dezc: [], compose: [], composeHealthy: []},
    noop: {dezc: [], compose: [], composeHealthy: []},
  }
  try {
    for (let i = 0; i < runs; i++) {
      // dezc
      dezc(['env', 'down', ...dezcArgs.slice(0, 2), '--volumes', '--yes'])
      let t0 = performance.now()
      dezc(['env', 'up', ...dezcArgs])
      results.cold.dezc.push(await untilReady(t0, ports.pg, ports.pa))
      dezc(['env', 'down', ...dezcArgs.slice(0, 2)])
      t0 = performance.now()
      dezc(['env', 'up', ...dezcArgs])
      results.warm.dezc.push(await untilReady(t0, ports.pg, ports.pa))
      t0 = performance.now()
      dezc(['env', 'up', ...dezcArgs])
      results.noop.dezc.push(await untilReady(t0, ports.pg, ports.pa))
      dezc(['env', 'down', ...dezcArgs.slice(0, 2)])
      // docker-compose
      compose(['down', '-v'], cports)
      t0 = performance.now()
      compose(['up', '-d'], cports)
      results.cold.compose.push(await untilReady(t0, cports.pg, cports.pa))
      results.cold.composeHealthy.push(await composeHealthy(t0))
      compose(['down'], cports)
      t0 = performance.now()
      compose(['up', '-d'], cports)
      results.warm.compose.push(await untilReady(t0, cports.pg, cports.pa))
      results.warm.composeHealthy.push(await composeHealthy(t0))
      t0 = performance.now()
      compose(['up', '-d'], cports)
      results.noop.compose.push(await untilReady(t0, cports.pg, cports.pa))
      compose(['down'], cports)
      process.stderr.write(`run ${i + 1}/${runs} done\n`)
    }
  } finally {
    spawnSync(
      process.execPath,
      [path.join(root, 'bin/run.js'), 'env', 'down', '--stack', project, '--volumes', '--yes'],
      {stdio: 'ignore'},
    )
    try {
      compose(['down', '-v'], cports)
    } catch {}
  }
  const targets: Record<string, number> = {cold: 2.5, warm: 1.2, noop: 0.6}
  console.log(
    `bench/env-up: median of ${runs} runs, seconds from command start until Postgres answers a query and pgAdmin answers /misc/ping`,
  )
  console.log('scenario  dezc    compose  ratio(dezc/compose)  compose-healthcheck-healthy  target(dezc)')
  for (const [name, r] of Object.entries(results)) {
    const d = median(r.dezc)
    const c = median(r.compose)
    const h = r.composeHealthy.length > 0 ? `${median(r.composeHealthy).toFixed(2)} s` : '-'
    console.log(
      `${name.padEnd(8)}  ${d.toFixed(2).padStart(5)}  ${c.toFixed(2).padStart(7)}  ${(d / c).toFixed(2).padStart(19)}  ${h.padStart(27)}  <= ${targets[name]} s ${d <= targets[name] ? 'met' : 'MISSED'}`,
    )
  }
}

await main()
