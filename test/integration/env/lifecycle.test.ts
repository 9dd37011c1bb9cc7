/**
 * The whole env lifecycle on the real Docker engine with the local stand-in images: up, query
 * Postgres, pgAdmin over HTTP, status, idempotent re-run, config change, down keeping data,
 * up finding it again, and --volumes with and without confirmation.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {docker, freePort, removeStack, uniqueStack} from '../../helpers/docker.js'
import {queryStack} from '../../helpers/postgres.js'

const project = uniqueStack('life')
let pgPort: number
let paPort: number
let args: string[]

const query = (sql: string, port = pgPort): Promise<any[]> => queryStack(port, sql)

beforeAll(async () => {
  pgPort = await freePort()
  paPort = await freePort()
  args = ['--stack', project, '--pg-port', String(pgPort), '--pgadmin-port', String(paPort)]
})
afterAll(() => removeStack(project))

describe('env lifecycle on a real engine', () => {
  it('up --dry-run prints the plan and docker commands and creates nothing', async () => {
    const r = await runCli(['env', 'up', ...args, '--dry-run', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const plan = r.json()
    expect(plan.dryRun).toBe(true)
    expect(plan.steps).toContainEqual({action: 'create', kind: 'container', name: `${project}-pgsql-dev`})
    expect(plan.steps).toContainEqual({action: 'create', kind: 'network', name: `${project}-pg-network`})
    expect(plan.commands.join('\n')).toContain(`docker network create`)
    expect(plan.commands.join('\n')).toMatch(
      new RegExp(`docker create --name ${project}-pgsql-dev .*-p 127\\.0\\.0\\.1:${pgPort}:5432 .*postgres:13`),
    )
    expect(await docker.listContainers({all: true, filters: {label: [`dev.dezc.project=${project}`]}})).toEqual([])
    expect(await docker.listVolumes({filters: {label: [`dev.dezc.project=${project}`]}})).toMatchObject({Volumes: []})
    expect(await docker.listNetworks({filters: {name: [`${project}-pg-network`]}})).toEqual([])
  })

  it('up creates a healthy stack that answers a query and serves pgAdmin', async () => {
    const r = await runCli(['env', 'up', ...args, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const out = r.json()
    expect(out.services.map((s: any) => [s.service, s.action])).toEqual([
      ['postgres', 'created'],
      ['pgadmin', 'created'],
    ])
    expect(out.network).toEqual({name: `${project}-pg-network`, action: 'created'})
    expect(out.postgres.url).toBe(`postgresql://root:***@127.0.0.1:${pgPort}/nytaxi`)
    expect(r.stdout).not.toContain('root:root')
    expect(await query('select 1 as one')).toEqual([{one: 1}])
    const ping = await fetch(`http://127.0.0.1:${paPort}/misc/ping`)
    expect(ping.status).toBe(200)
    // pgAdmin imported the server under its network alias, not localhost
    const servers = (await (await fetch(`http://127.0.0.1:${paPort}/servers.json`)).json()) as {
      Servers: Record<string, unknown>
    }
    expect(servers.Servers['1']).toMatchObject({
      Host: 'pgdatabase',
      Port: 5432,
      Username: 'root',
      MaintenanceDB: 'nytaxi',
    })
    // labelled, published on loopback only
    const info = await docker.getContainer(`${project}-pgsql-dev`).inspect()
    expect(info.Config.Labels['dev.dezc.project']).toBe(project)
    expect(info.HostConfig.PortBindings['5432/tcp']).toEqual([{HostIp: '127.0.0.1', HostPort: String(pgPort)}])
  })

  it('status reports both services healthy with their real addresses', async () => {
    const r = await runCli(['env', 'status', '--stack', project, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const out = r.json()
    expect(out.ok).toBe(true)
    expect(out.services.map((s: any) => [s.service, s.state, s.health])).toEqual([
      ['postgres', 'running', 'healthy'],
      ['pgadmin', 'running', 'healthy'],
    ])
    expect(out.services[0].address).toBe(`127.0.0.1:${pgPort}`)
    expect(out.services[0].uptimeSeconds).toBeGreaterThanOrEqual(0)
    expect(out.services[0].lastProbe).toMatch(/^ok/)
  })

  it('a second up changes nothing', async () => {
    const before = (await docker.getContainer(`${project}-pgsql-dev`).inspect()).Id
    const r = await runCli(['env', 'up', ...args, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json().services.map((s: any) => s.action)).toEqual(['unchanged', 'unchanged'])
    expect(r.json().changed).toBe(false)
    expect((await docker.getContainer(`${project}-pgsql-dev`).inspect()).Id).toBe(before)
  })

  it('a changed configuration recreates only that container and keeps the data', async () => {
    await query('create table kept (v int); insert into kept values (42)')
    const pgBefore = (await docker.getContainer(`${project}-pgsql-dev`).inspect()).Id
    const newPa = await freePort()
    const r = await runCli([
      'env',
      'up',
      '--stack',
      project,
      '--pg-port',
      String(pgPort),
      '--pgadmin-port',
      String(newPa),
      '--json',
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json().services.map((s: any) => s.action)).toEqual(['unchanged', 'recreated'])
    expect((await docker.getContainer(`${project}-pgsql-dev`).inspect()).Id).toBe(pgBefore)
    expect((await fetch(`http://127.0.0.1:${newPa}/misc/ping`)).status).toBe(200)
    const newPg = await freePort()
    const r2 = await runCli([
      'env',
      'up',
      '--stack',
      project,
      '--pg-port',
      String(newPg),
      '--pgadmin-port',
      String(newPa),
      '--json',
    ])
    expect(r2.code, r2.stderr).toBe(0)
    expect(r2.json().services[0].action).toBe('recreated')
    expect(await query('select v from kept', newPg)).toEqual([{v: 42}])
    // back to the original ports for the next tests
    const r3 = await runCli(['env', 'up', ...args, '--json'])
    expect(r3.code, r3.stderr).toBe(0)
  })

  it('warns when the credentials change on existing data', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-cred-'))
    fs.writeFileSync(path.join(dir, 'dezc.yaml'), 'profiles:\n  local:\n    postgres: {password: changed-pass}\n')
    const r = await runCli(['env', 'up', ...args, '--no-pgadmin'], {cwd: dir})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/Postgres ignores the new values on existing data/)
    await expect(docker.getContainer(`${project}-pgadmin-dev`).inspect()).rejects.toMatchObject({statusCode: 404})
    // ...and indeed the old password still works
    expect(await query('select v from kept')).toEqual([{v: 42}])
  })

  it('down keeps the data; up finds it again', async () => {
    const down = await runCli(['env', 'down', '--stack', project, '--json'])
    expect(down.code, down.stderr).toBe(0)
    const out = down.json()
    // the previous up ran with --no-pgadmin, which removed pgAdmin's container (not its volume)
    expect(out.containersRemoved).toEqual([`${project}-pgsql-dev`])
    expect(out.networkRemoved).toBe(`${project}-pg-network`)
    expect(out.dataKept).toContain(`${project}-pgsql-dev-data`)
    expect(await docker.getVolume(`${project}-pgsql-dev-data`).inspect()).toBeTruthy()
    const up = await runCli(['env', 'up', ...args, '--json'])
    expect(up.code, up.stderr).toBe(0)
    expect(await query('select v from kept')).toEqual([{v: 42}])
  })

  it('down --volumes without --yes and without a TTY refuses and changes nothing', async () => {
    const r = await runCli(['env', 'down', '--stack', project, '--volumes'])
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/Confirmation needed.*Delete the data volumes/)
    expect(r.stderr).toContain('Every table in them is lost, but this session cannot prompt')
    expect(r.stderr).toMatch(/--yes/)
    expect(r.stderr).not.toMatch(/\n\s+at /) // no stack trace
    expect(await query('select v from kept')).toEqual([{v: 42}])
  })

  it('down --volumes --dry-run lists what would be deleted and deletes nothing', async () => {
    const r = await runCli(['env', 'down', '--stack', project, '--volumes', '--dry-run', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json().steps).toContainEqual({action: 'delete', kind: 'volume', name: `${project}-pgsql-dev-data`})
    expect(r.json().commands).toContain(`docker volume rm ${project}-pgsql-dev-data   # deletes the data`)
    expect(await query('select v from kept')).toEqual([{v: 42}])
  })

  it('down --volumes --yes deletes the data', async () => {
    const r = await runCli(['env', 'down', '--stack', project, '--volumes', '--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json().volumesRemoved.sort()).toEqual([`${project}-pgadmin-dev-data`, `${project}-pgsql-dev-data`])
    await expect(docker.getVolume(`${project}-pgsql-dev-data`).inspect()).rejects.toMatchObject({statusCode: 404})
    const status = await runCli(['env', 'status', '--stack', project, '--json'])
    expect(status.code).toBe(5)
    expect(status.json().services.map((s: any) => s.state)).toEqual(['missing', 'missing'])
  })
})
