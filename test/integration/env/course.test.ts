/**
 * Course editions: `--course 2026` (today's course) brings up the real PostgreSQL 18 and the real
 * pgAdmin 9 images with the edition's database name and volume layout, ingest finds the edition's
 * database by itself, and explicit flags and profile settings still win over the edition.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {execFile} from 'node:child_process'
import {promisify} from 'node:util'
import {runCli} from '../../helpers/cli.js'
import {composeV2Binary} from '../../helpers/compose.js'
import {docker, freePort, removeStack, uniqueStack} from '../../helpers/docker.js'
import {queryStack} from '../../helpers/postgres.js'
import {writeTripParquet} from '../../helpers/tlc-fixtures.js'
import {configDir} from '../../helpers/tmp.js'

const run = promisify(execFile)
const projects: string[] = []
let dir: string
let file: string
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-course-'))
  file = path.join(dir, 'yellow_tripdata_2021-01.parquet')
  await writeTripParquet(file, 'yellow', '2021-01', 3000)
})
afterAll(async () => {
  for (const p of projects) await removeStack(p)
  fs.rmSync(dir, {recursive: true, force: true})
})

describe('course 2026 on the real images', {timeout: 300_000}, () => {
  it('env up --course 2026: Postgres 18 + pgAdmin 9 healthy, db ny_taxi, volume at /var/lib/postgresql; ingest --file loads without --course', async () => {
    const p = uniqueStack('d26')
    projects.push(p)
    const cfg = configDir('{}\n')
    const [pgPort, paPort] = [await freePort(), await freePort()]
    const upArgs = [
      'env',
      'up',
      '--course',
      '2026',
      '--stack',
      p,
      '--pg-port',
      String(pgPort),
      '--pgadmin-port',
      String(paPort),
      '--json',
    ]
    const up = await runCli(upArgs, {cwd: cfg, timeoutMs: 280_000})
    expect(up.code, up.stdout + up.stderr).toBe(0)
    const out = up.json()
    expect(out.services.map((s: any) => [s.service, s.image, s.health])).toEqual([
      ['postgres', 'postgres:18', 'healthy'],
      ['pgadmin', 'dpage/pgadmin4:9', 'healthy'],
    ])
    expect(out.postgres.database).toBe('ny_taxi')
    // The explicit --pgadmin-port wins over the edition's 8085.
    expect(out.pgadmin.url).toBe(`http://127.0.0.1:${paPort}`)
    const pg = await docker.getContainer(`${p}-pgsql-dev`).inspect()
    expect(pg.Mounts.find((m) => m.Type === 'volume')!.Destination).toBe('/var/lib/postgresql')
    const pa = await docker.getContainer(`${p}-pgadmin-dev`).inspect()
    expect(pa.Config.User).toBe('5050')

    const ingest = await runCli(['ingest', 'yellow', '2021-01', '--file', file, '--stack', p, '--json'], {
      cwd: cfg,
      timeoutMs: 120_000,
    })
    expect(ingest.code, ingest.stdout + ingest.stderr).toBe(0)
    const rows = await queryStack(
      pgPort,
      "select current_setting('server_version_num')::int / 10000 as v, current_database() as db, (select count(*)::int from yellow_taxi_data) as n",
      'ny_taxi',
    )
    expect(rows).toEqual([{v: 18, db: 'ny_taxi', n: 3000}])
    // Same edition again: nothing to change.
    const again = await runCli(upArgs, {
      cwd: cfg,
      timeoutMs: 120_000,
    })
    expect(again.code, again.stdout + again.stderr).toBe(0)
    expect(again.json().changed).toBe(false)
  })
})

describe('the 2026 compose file, run by a real Docker Compose v2', {timeout: 180_000}, () => {
  it('compose --course 2026 --out DIR; `docker compose up -d --wait` waits on the healthchecks dezc adds; PostgreSQL 18 with ny_taxi', async () => {
    const p = uniqueStack('c26')
    projects.push(p)
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-compose26-'))
    const port = await freePort()
    const written = await runCli(
      [
        'env',
        'compose',
        '--course',
        '2026',
        '--stack',
        p,
        '--pg-port',
        String(port),
        '--no-pgadmin',
        '--out',
        out,
        '--json',
      ],
      {cwd: configDir('{}\n')},
    )
    expect(written.code, written.stdout + written.stderr).toBe(0)
    const up = await run(composeV2Binary(), ['-p', p, 'up', '-d', '--wait', '--wait-timeout', '120'], {
      cwd: out,
      timeout: 150_000,
    })
    expect(up.stderr).toMatch(/Healthy/)
    const info = await docker.getContainer(`${p}-pgsql-dev`).inspect()
    expect(info.State.Health?.Status).toBe('healthy')
    expect(
      await queryStack(
        port,
        "select current_setting('server_version_num')::int / 10000 as v, current_database() as db",
        'ny_taxi',
      ),
    ).toEqual([{v: 18, db: 'ny_taxi'}])
    fs.rmSync(out, {recursive: true, force: true})
  })
})

describe('edition defaults and what overrides them (no engine needed)', () => {
  const compose = async (args: string[], yaml = '{}\n') => {
    const r = await runCli(['env', 'compose', ...args], {cwd: configDir(yaml)})
    expect(r.code, r.stdout + r.stderr).toBe(0)
    return parse(r.stdout) as any
  }

  it('compose --course 2026 is the course compose file with healthchecks; 2023 is the notes', async () => {
    const d26 = await compose(['--course', '2026'])
    expect(d26.services.pgdatabase).toMatchObject({
      image: 'postgres:18',
      environment: {POSTGRES_DB: 'ny_taxi', POSTGRES_USER: 'root'},
      ports: ['127.0.0.1:5432:5432'],
      volumes: ['pgsql-dev-data:/var/lib/postgresql'],
      healthcheck: {test: ['CMD-SHELL', expect.stringContaining('pg_isready')]},
    })
    expect(d26.services.pgadmin).toMatchObject({image: 'dpage/pgadmin4:9', ports: ['127.0.0.1:8085:80']})
    expect(d26.services.pgadmin.healthcheck.test[1]).toContain('/misc/ping')
    const d23 = await compose([])
    expect(d23.services.pgdatabase).toMatchObject({
      image: 'postgres:13',
      environment: {POSTGRES_DB: 'nytaxi'},
      volumes: ['pgsql-dev-data:/var/lib/postgresql/data'],
    })
    expect(d23.services.pgadmin).toMatchObject({image: 'dpage/pgadmin4:4.8', ports: ['127.0.0.1:8080:80']})
  })

  it('course: 2026 in dezc.yaml; --course 2023 wins over it; a profile setting wins over the edition; a flag over both', async () => {
    const fromFile = await compose([], 'course: 2026\n')
    expect(fromFile.services.pgdatabase.image).toBe('postgres:18')
    const flagWins = await compose(['--course', '2023'], 'course: 2026\n')
    expect(flagWins.services.pgdatabase.image).toBe('postgres:13')
    const profileWins = await compose(
      ['--course', '2026', '--pgadmin-port', '18085'],
      'profiles:\n  local:\n    postgres: {image: "postgres:13"}\n',
    )
    expect(profileWins.services.pgdatabase).toMatchObject({
      image: 'postgres:13',
      environment: {POSTGRES_DB: 'ny_taxi'},
      volumes: ['pgsql-dev-data:/var/lib/postgresql/data'],
    })
    expect(profileWins.services.pgadmin.ports).toEqual(['127.0.0.1:18085:80'])
  })

  it('a wrong edition in dezc.yaml names the file and line', async () => {
    const r = await runCli(['env', 'compose', '--json'], {cwd: configDir('profiles: {}\ncourse: 2024\n')})
    expect(r.code).toBe(2)
    expect(r.json().error.code).toBe('CONFIG_INVALID')
    expect(r.json().error.message).toMatch(/dezc\.yaml:2: course: must be one of 2023, 2026/)
  })

  it("ingest's data source follows the edition: the course's csv.gz releases for 2026, TLC parquet for 2023", async () => {
    const cfg = configDir('{}\n')
    const db = ['--db-url', 'postgresql://root:root@127.0.0.1:1/none']
    const d26 = await runCli(['ingest', 'yellow', '2021-01', '--course', '2026', ...db, '--dry-run', '--json'], {
      cwd: cfg,
    })
    expect(d26.code, d26.stdout + d26.stderr).toBe(0)
    expect(d26.json().steps[0].source).toBe(
      'https://github.com/DataTalksClub/nyc-tlc-data/releases/download/yellow/yellow_tripdata_2021-01.csv.gz',
    )
    const d23 = await runCli(['ingest', 'yellow', '2021-01', ...db, '--dry-run', '--json'], {cwd: cfg})
    expect(d23.json().steps[0].source).toBe(
      'https://d37ci6vzurychx.cloudfront.net/trip-data/yellow_tripdata_2021-01.parquet',
    )
    const explicit = await runCli(
      ['ingest', 'yellow', '2021-01', '--course', '2026', '--source', 'tlc', ...db, '--dry-run', '--json'],
      {cwd: cfg},
    )
    expect(explicit.json().steps[0].source).toMatch(/cloudfront.*\.parquet$/)
  })
})
