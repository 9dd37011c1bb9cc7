/**
 * `dezc ingest --in-network` against the real Docker engine: `dezc env up` starts the stack (local
 * stand-in postgres:13 image), dezc builds its image from docker/ingest/Dockerfile on a local base
 * (dezc-test/node:bookworm = dezc-test/base:bookworm + this machine's node binary, standing in for the
 * official node image, since no registry is reachable) and runs the ingest in a container on the
 * stack's network: the file server sees the download come from the container, Postgres is reached
 * by its network alias, and the rows match the source file.
 */
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {startFileServer, type FileServer} from '../../helpers/file-server.js'
import {freePort} from '../../helpers/postgres.js'
import {CANONICAL_KINDS, sourceAggregates, tableAggregates, writeTripParquet} from '../../helpers/tlc-fixtures.js'

const NODE_BASE = 'dezc-test/node:bookworm'
const project = `ingnet${process.pid % 100000}`
const docker = (...args: string[]) =>
  execFileSync('docker', args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}).trim()

let srv: FileServer
let dir: string
let pgPort: number
const images: string[] = []

/** The node stand-in base: the plain Debian stand-in plus the node binary running the tests. */
function ensureNodeBase(): void {
  try {
    docker('image', 'inspect', NODE_BASE)
    return
  } catch {}
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-node-base-'))
  try {
    fs.copyFileSync(process.execPath, path.join(ctx, 'node'))
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM dezc-test/base:bookworm\nCOPY node /usr/local/bin/node\n')
    docker('build', '-q', '-t', NODE_BASE, ctx)
  } finally {
    fs.rmSync(ctx, {recursive: true, force: true})
  }
}

beforeAll(async () => {
  ensureNodeBase()
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-ingest-net-'))
  srv = await startFileServer({host: '0.0.0.0', missingStatus: 403})
  pgPort = await freePort()
  const up = await runCli(['env', 'up', '--stack', project, '--pg-port', String(pgPort), '--no-pgadmin', '--json'], {
    timeoutMs: 300_000,
  })
  expect(up.code, up.stdout + up.stderr).toBe(0)
}, 400_000)

afterAll(async () => {
  await runCli(['env', 'down', '--stack', project, '--volumes', '--yes', '--json'], {timeoutMs: 120_000}).catch(
    () => {},
  )
  for (const v of [`${project}-dezc-ingest-cache`]) {
    try {
      docker('volume', 'rm', v)
    } catch {}
  }
  for (const i of images) {
    try {
      docker('rmi', i)
    } catch {}
  }
  await srv?.close()
  if (dir) fs.rmSync(dir, {recursive: true, force: true})
})

describe('dezc ingest --in-network (real engine)', () => {
  it('builds the image once, loads the month from inside the stack network, and skips it on re-run', async () => {
    const file = path.join(dir, 'yellow_tripdata_2021-01.parquet')
    await writeTripParquet(file, 'yellow', '2021-01', 40_000)
    srv.set('/trip-data/yellow_tripdata_2021-01.parquet', {file})
    const gateway = docker(
      'network',
      'inspect',
      `${project}-pg-network`,
      '--format',
      '{{(index .IPAM.Config 0).Gateway}}',
    )
    expect(gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
    const base = `http://${gateway}:${srv.port}/trip-data/`
    const args = [
      'ingest',
      'yellow',
      '2021-01',
      '--in-network',
      '--stack',
      project,
      '--image-base',
      NODE_BASE,
      '--base-url',
      base,
      '--json',
    ]

    const first = await runCli(args, {timeoutMs: 600_000})
    expect(first.code, first.stdout + first.stderr).toBe(0)
    const s1 = first.json()
    images.push(s1.inNetwork.image)
    expect(s1.inNetwork).toMatchObject({network: `${project}-pg-network`, built: true})
    expect(s1.target).toBe('postgresql://root:***@pgdatabase:5432/nytaxi')
    expect(s1.loads[0]).toMatchObject({
      dataset: 'yellow',
      period: '2021-01',
      status: 'loaded',
      rows: 40_000,
      source: `${base}yellow_tripdata_2021-01.parquet`,
    })
    // The download came from a container on the stack network, not from this process.
    const gets = srv.requests.filter((r) => r.method === 'GET' && r.path.endsWith('2021-01.parquet'))
    expect(gets.length).toBeGreaterThan(0)
    for (const g of gets) expect(g.remote).not.toMatch(/^(::ffff:)?127\./)

    const client = new pg.Client({connectionString: `postgresql://root:root@127.0.0.1:${pgPort}/nytaxi`})
    await client.connect()
    try {
      expect(await tableAggregates(client, 'yellow_taxi_data', CANONICAL_KINDS.yellow)).toEqual(
        await sourceAggregates(file, CANONICAL_KINDS.yellow),
      )
    } finally {
      await client.end()
    }

    const again = await runCli(args, {timeoutMs: 300_000})
    expect(again.code, again.stdout + again.stderr).toBe(0)
    expect(again.json().inNetwork).toMatchObject({image: s1.inNetwork.image, built: false})
    expect(again.json().loads[0]).toMatchObject({status: 'skipped', rows: 40_000})
    // No container is left behind.
    expect(docker('ps', '-a', '--filter', `name=${project}-dezc-ingest-`, '--format', '{{.Names}}')).toBe('')
  }, 900_000)

  it('refuses a local --file (it is not on the engine) and reports a missing month from inside', async () => {
    const local = await runCli([
      'ingest',
      'yellow',
      '--in-network',
      '--stack',
      project,
      '--file',
      './x.parquet',
      '--json',
    ])
    expect(local.code).toBe(2)
    expect(local.json().error.code).toBe('IN_NETWORK_LOCAL_FILE')
    const gateway = docker(
      'network',
      'inspect',
      `${project}-pg-network`,
      '--format',
      '{{(index .IPAM.Config 0).Gateway}}',
    )
    const missing = await runCli(
      [
        'ingest',
        'yellow',
        '2021-02',
        '--in-network',
        '--stack',
        project,
        '--image-base',
        NODE_BASE,
        '--base-url',
        `http://${gateway}:${srv.port}/trip-data/`,
        '--json',
      ],
      {timeoutMs: 300_000},
    )
    expect(missing.code).toBe(1)
    const e = missing.json().error
    expect(e.code).toBe('NOT_AVAILABLE')
    expect(e.message).toContain('yellow 2021-02')
    expect(e.suggestions.length).toBeGreaterThan(0)
    expect(missing.stdout + missing.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/)
  }, 400_000)
})
