/**
 * `dezc env upgrade --to 18` on the real PostgreSQL 13 and 18 images: a stack with data on 13 is
 * refused by 18 before anything starts; an interrupted upgrade leaves the old stack as it was;
 * the upgrade dumps, restores, checks every table's row count, switches the stack, keeps the old
 * volume until --prune-old; a later `env up` with the old image does not silently go back to the
 * data from before. A volume made without dezc is recognised by its PG_VERSION.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {docker, freePort, removeStack, uniqueStack} from '../../helpers/docker.js'
import {queryStack} from '../../helpers/postgres.js'
import {writeTripParquet} from '../../helpers/tlc-fixtures.js'
import {configDir} from '../../helpers/tmp.js'

const projects: string[] = []
const volumes: string[] = []
let dir: string
let file: string
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-upgrade-'))
  file = path.join(dir, 'yellow_tripdata_2021-01.parquet')
  await writeTripParquet(file, 'yellow', '2021-01', 2500)
})
afterAll(async () => {
  for (const p of projects) await removeStack(p)
  for (const v of volumes)
    await docker
      .getVolume(v)
      .remove()
      .catch(() => {})
  fs.rmSync(dir, {recursive: true, force: true})
})

const volumeExists = (name: string) =>
  docker
    .getVolume(name)
    .inspect()
    .then(
      () => true,
      () => false,
    )

describe('env upgrade 13 -> 18 on the real images', {timeout: 400_000}, () => {
  it('refused before start, interrupted upgrade undone, upgrade with row counts, old volume kept until --prune-old', async () => {
    const p = uniqueStack('upg')
    projects.push(p)
    const cfg13 = configDir('{}\n')
    const cfg18 = configDir('profiles:\n  local:\n    postgres: {image: "postgres:18"}\n')
    const port = await freePort()
    const stack = ['--stack', p, '--pg-port', String(port), '--no-pgadmin']
    const up13 = await runCli(['env', 'up', ...stack, '--json'], {cwd: cfg13, timeoutMs: 120_000})
    expect(up13.code, up13.stdout + up13.stderr).toBe(0)
    const load = await runCli(['ingest', 'yellow', '2021-01', '--file', file, '--stack', p, '--json'], {
      cwd: cfg13,
      timeoutMs: 120_000,
    })
    expect(load.code, load.stdout + load.stderr).toBe(0)
    await queryStack(port, 'create table extra as select generate_series(1, 123) as i')
    const oldVolume = `${p}-pgsql-dev-data`
    const newVolume = `${oldVolume}-pg18`

    // 18 on 13's data: refused before anything starts, with the way forward.
    const refused = await runCli(['env', 'up', ...stack, '--json'], {cwd: cfg18})
    expect(refused.code).toBe(2)
    expect(refused.json().error.code).toBe('POSTGRES_MAJOR_MISMATCH')
    expect(refused.json().error.suggestions.join(' ')).toContain(`dezc env upgrade --to 18 --stack ${p}`)

    // Ctrl-C while the new server starts: everything the upgrade made is removed, the old stack runs on.
    const interrupted = await runCli(['env', 'upgrade', '--to', '18', ...stack], {
      cwd: cfg18,
      timeoutMs: 120_000,
      onSpawn: (child) => {
        let seen = ''
        child.stderr?.on('data', (d) => {
          seen += d
          if (seen.includes('on the new volume')) {
            seen = ''
            child.kill('SIGINT')
          }
        })
      },
    })
    expect(interrupted.code, interrupted.stderr).toBe(130)
    expect(await volumeExists(newVolume)).toBe(false)
    const leftovers = await docker.listContainers({all: true, filters: {name: [`${p}-pgsql-dev-upgrade`]}})
    expect(leftovers).toEqual([])
    expect(await queryStack(port, 'select count(*)::int as n from yellow_taxi_data')).toEqual([{n: 2500}])

    const upgraded = await runCli(['env', 'upgrade', '--to', '18', ...stack, '--json'], {
      cwd: cfg18,
      timeoutMs: 300_000,
    })
    expect(upgraded.code, upgraded.stdout + upgraded.stderr).toBe(0)
    const r = upgraded.json()
    expect(r).toMatchObject({
      action: 'upgraded',
      from: {major: 13, volume: oldVolume},
      to: {major: 18, volume: newVolume, image: 'postgres:18'},
      oldVolume: {name: oldVolume, action: 'kept'},
    })
    expect(r.databases).toContain('nytaxi')
    expect(r.tables).toEqual(
      expect.arrayContaining([
        {database: 'nytaxi', table: 'public.yellow_taxi_data', rows: 2500},
        {database: 'nytaxi', table: 'public.extra', rows: 123},
      ]),
    )
    expect(
      await queryStack(
        port,
        "select current_setting('server_version_num')::int / 10000 as v, (select count(*)::int from yellow_taxi_data) as y, (select count(*)::int from extra) as e",
      ),
    ).toEqual([{v: 18, y: 2500, e: 123}])
    const info = await docker.getContainer(`${p}-pgsql-dev`).inspect()
    expect(info.Mounts.find((m) => m.Type === 'volume')).toMatchObject({
      Name: newVolume,
      Destination: '/var/lib/postgresql',
    })
    expect(await volumeExists(oldVolume)).toBe(true)

    // The profile on 18: the stack is as it should be; the old image does not quietly reopen the old data.
    const again = await runCli(['env', 'up', ...stack, '--json'], {cwd: cfg18, timeoutMs: 120_000})
    expect(again.code, again.stdout + again.stderr).toBe(0)
    expect(again.json().changed).toBe(false)
    const back = await runCli(['env', 'up', ...stack, '--json'], {cwd: cfg13})
    expect(back.code).toBe(2)
    expect(back.json().error.message).toMatch(/PostgreSQL 18 data.*postgres:13/)

    const prune = await runCli(['env', 'upgrade', '--to', '18', ...stack, '--prune-old', '--json'], {cwd: cfg18})
    expect(prune.code, prune.stdout + prune.stderr).toBe(0)
    expect(prune.json()).toMatchObject({action: 'unchanged', oldVolume: {name: oldVolume, action: 'removed'}})
    expect(await volumeExists(oldVolume)).toBe(false)
    expect(await queryStack(port, 'select count(*)::int as n from yellow_taxi_data')).toEqual([{n: 2500}])
  })
})

describe('data made without dezc', () => {
  it("a volume without dezc's labels is recognised by its PG_VERSION before start", async () => {
    const p = uniqueStack('upgx')
    projects.push(p)
    const volume = `${p}-pgsql-dev-data`
    volumes.push(volume)
    await docker.createVolume({Name: volume})
    // What the course's compose file leaves behind: a PostgreSQL 13 cluster at the volume's root.
    const c = await docker.createContainer({
      Image: 'postgres:13',
      Entrypoint: ['sh', '-c', 'echo 13 > /d/PG_VERSION'],
      HostConfig: {Mounts: [{Type: 'volume', Source: volume, Target: '/d'}]},
    })
    await c.start()
    await c.wait()
    await c.remove()
    const cfg = configDir('{}\n')
    const r = await runCli(
      ['env', 'up', '--course', '2026', '--stack', p, '--pg-port', String(await freePort()), '--no-pgadmin', '--json'],
      {
        cwd: cfg,
        timeoutMs: 60_000,
      },
    )
    expect(r.code, r.stdout + r.stderr).toBe(2)
    expect(r.json().error.code).toBe('POSTGRES_MAJOR_MISMATCH')
    expect(r.json().error.message).toContain(`Volume ${volume} holds PostgreSQL 13 data`)
    expect(await docker.listContainers({all: true, filters: {label: [`dev.dezc.project=${p}`]}})).toEqual([])
  })
})
