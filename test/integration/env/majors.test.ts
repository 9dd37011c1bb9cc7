/**
 * env and ingest on the real PostgreSQL majors users run: 13 (the course notes) and 18 (today's
 * course, whose data lives one level deeper: the volume at /var/lib/postgresql, PGDATA in
 * 18/docker). Real server binaries in the images (see docker/test-images/README.md).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {docker, freePort, removeStack, uniqueStack} from '../../helpers/docker.js'
import {startFileServer, type FileServer} from '../../helpers/file-server.js'
import {queryStack} from '../../helpers/postgres.js'
import {zonesCsv, writeTripParquet} from '../../helpers/tlc-fixtures.js'
import {configDir} from '../../helpers/tmp.js'

let srv: FileServer
let dir: string
const projects: string[] = []

beforeAll(async () => {
  srv = await startFileServer({missingStatus: 403})
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-majors-'))
  srv.set('/misc/taxi_zone_lookup.csv', {body: Buffer.from(zonesCsv())})
  const file = path.join(dir, 'yellow_tripdata_2021-01.parquet')
  await writeTripParquet(file, 'yellow', '2021-01', 5000)
  srv.set('/trip-data/yellow_tripdata_2021-01.parquet', {file})
})
afterAll(async () => {
  await srv?.close()
  for (const p of projects) await removeStack(p)
})

for (const major of [13, 18]) {
  describe(`PostgreSQL ${major}`, () => {
    it('env up, ingest into the stack, down and up again keeps the rows (data on the volume, not in the container)', async () => {
      const p = uniqueStack(`pg${major}`)
      projects.push(p)
      const cfg = configDir(`profiles:\n  local:\n    postgres: {image: "postgres:${major}"}\n`)
      const port = await freePort()
      const stack = ['--stack', p, '--pg-port', String(port), '--no-pgadmin']
      const up = await runCli(['env', 'up', ...stack, '--json'], {cwd: cfg})
      expect(up.code, up.stdout + up.stderr).toBe(0)
      const info = await docker.getContainer(`${p}-pgsql-dev`).inspect()
      const mount = info.Mounts.find((m) => m.Type === 'volume')!
      expect(mount.Destination).toBe(major >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data')
      const base = `${srv.url}/trip-data/`
      for (const ds of [['zones'], ['yellow', '2021-01']]) {
        const r = await runCli(['ingest', ...ds, '--stack', p, '--base-url', base, '--json'], {
          cwd: cfg,
          timeoutMs: 120_000,
        })
        expect(r.code, r.stdout + r.stderr).toBe(0)
      }
      const query = (sql: string) => queryStack(port, sql)
      const [{v, dataDir}] = await query(
        "select current_setting('server_version_num')::int / 10000 as v, current_setting('data_directory') as \"dataDir\"",
      )
      expect(v).toBe(major)
      expect(dataDir).toBe(major >= 18 ? '/var/lib/postgresql/18/docker' : '/var/lib/postgresql/data')
      expect(
        await query('select (select count(*)::int from zones) as z, (select count(*)::int from yellow_taxi_data) as y'),
      ).toEqual([{z: 265, y: 5000}])
      expect((await runCli(['env', 'down', '--stack', p, '--json'], {cwd: cfg})).code).toBe(0)
      const again = await runCli(['env', 'up', ...stack, '--json'], {cwd: cfg})
      expect(again.code, again.stdout + again.stderr).toBe(0)
      expect(await query('select count(*)::int as y from yellow_taxi_data')).toEqual([{y: 5000}])
    })
  })
}

describe('a data volume made by another major', () => {
  it('is refused before anything starts, naming both versions', async () => {
    const p = uniqueStack('pgmix')
    projects.push(p)
    const cfg13 = configDir('profiles:\n  local:\n    postgres: {image: "postgres:13"}\n')
    const cfg18 = configDir('profiles:\n  local:\n    postgres: {image: "postgres:18"}\n')
    const stack = ['--stack', p, '--pg-port', String(await freePort()), '--no-pgadmin', '--json']
    expect((await runCli(['env', 'up', ...stack], {cwd: cfg13})).code).toBe(0)
    const r = await runCli(['env', 'up', ...stack], {cwd: cfg18})
    expect(r.code).toBe(2)
    expect(r.json().error).toMatchObject({code: 'POSTGRES_MAJOR_MISMATCH'})
    expect(r.json().error.message).toMatch(/PostgreSQL 13 data.*PostgreSQL 18/)
  })
})
