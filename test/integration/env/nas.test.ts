/**
 * The NAS details of the course notes over the real remote engine paths (tcp:// and ssh:// to the
 * same dockerd): Postgres run as the NAS user (`postgres.runAs: "1044:100"`) on a bind-mounted
 * share, and the pre-flight that the share is writable by that uid — and by 5050 for current
 * pgAdmin — naming the chown to run. Real PostgreSQL 13 (arbitrary uid via nss_wrapper, as upstream)
 * and the real pgAdmin 9 image.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {docker, freePort, removeStack, uniqueStack} from '../../helpers/docker.js'
import {startSshd, type Sshd} from '../../helpers/sshd.js'
import {configDir} from '../../helpers/tmp.js'

let sshd: Sshd
let share: string
const projects: string[] = []
beforeAll(async () => {
  sshd = await startSshd()
  share = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-nas-'))
  fs.chmodSync(share, 0o755)
})
afterAll(async () => {
  sshd?.stop()
  for (const p of projects) await removeStack(p)
  fs.rmSync(share, {recursive: true, force: true})
})

function nasProfile(pg: string, pga: string, extra = ''): string {
  return [
    'profiles:',
    '  nas:',
    '    extends: local',
    '    remote: true',
    `    postgres: {bind: ${JSON.stringify(pg)}, runAs: "1044:100"}`,
    `    pgadmin: {bind: ${JSON.stringify(pga)}${extra}}`,
    '',
  ].join('\n')
}

const containersOf = (p: string) => docker.listContainers({all: true, filters: {label: [`dev.dezc.project=${p}`]}})

describe('postgres.runAs / pgadmin.runAs on a NAS share', {timeout: 240_000}, () => {
  it('tcp://: a share root owns is refused with the chown to run; after it, Postgres runs as 1044:100 and its files are theirs', async () => {
    const p = uniqueStack('nast')
    projects.push(p)
    const pg = path.join(share, `${p}-pg`)
    fs.mkdirSync(pg, {mode: 0o755})
    const cfg = configDir(nasProfile(pg, path.join(share, 'unused')))
    const args = ['env', 'up', '--host', 'nas', '--docker-host', 'tcp://127.0.0.1:2375', '--stack', p]
    const run = [...args, '--pg-port', String(await freePort()), '--no-pgadmin', '--json']
    const refused = await runCli(run, {cwd: cfg, timeoutMs: 60_000})
    expect(refused.code, refused.stdout + refused.stderr).toBe(4)
    const err = refused.json().error
    expect(err.code).toBe('RUN_AS_NOT_WRITABLE')
    // A loopback tcp:// engine counts as this machine, so no host is named.
    expect(err.message).toContain(`${pg} on the Docker host belongs to 0:0 (mode 755)`)
    expect(err.message).toContain('not writable by 1044:100 (profiles.nas.postgres.runAs is 1044:100)')
    expect(err.suggestions[0]).toBe(`Give it to that user on the engine host: sudo chown -R 1044:100 ${pg}`)
    expect(await containersOf(p)).toEqual([])

    fs.chownSync(pg, 1044, 100)
    const up = await runCli(run, {cwd: cfg, timeoutMs: 120_000})
    expect(up.code, up.stdout + up.stderr).toBe(0)
    const info = await docker.getContainer(`${p}-pgsql-dev`).inspect()
    expect(info.Config.User).toBe('1044:100')
    const st = fs.statSync(path.join(pg, 'PG_VERSION'))
    expect([st.uid, st.gid]).toEqual([1044, 100])
    // The compose file says the same.
    const compose = await runCli(['env', 'compose', '--host', 'nas', '--stack', p, '--no-pgadmin'], {cwd: cfg})
    expect(compose.stdout).toMatch(/^\s+user: 1044:100$/m)
  })

  it('ssh://: a pgAdmin 9 share not writable by 5050 is refused before anything starts, naming chown 5050:5050', async () => {
    const p = uniqueStack('nass')
    projects.push(p)
    const pg = path.join(share, `${p}-pg`)
    const pga = path.join(share, `${p}-pga`)
    fs.mkdirSync(pg, {mode: 0o700})
    fs.chownSync(pg, 1044, 100)
    fs.mkdirSync(pga, {mode: 0o755})
    const cfg = configDir(nasProfile(pg, pga, ', image: "dpage/pgadmin4:9"'))
    const env = {DEZC_SSH_COMMAND: sshd.sshCommand, DEZC_SERVICES_HOST: '127.0.0.1'}
    const host = `ssh://root@127.0.0.1:${sshd.port}`
    const r = await runCli(
      [
        ...['env', 'up', '--host', 'nas', '--docker-host', host, '--stack', p],
        ...['--pg-port', String(await freePort()), '--pgadmin-port', String(await freePort()), '--json'],
      ],
      {cwd: cfg, env, timeoutMs: 120_000},
    )
    expect(r.code, r.stdout + r.stderr).toBe(4)
    const err = r.json().error
    expect(err.code).toBe('RUN_AS_NOT_WRITABLE')
    expect(err.message).toContain(`The pgadmin data folder ${pga} on the Docker host (127.0.0.1) belongs to 0:0`)
    expect(err.message).toContain('dpage/pgadmin4:9 runs as uid 5050')
    expect(err.suggestions[0]).toContain(`sudo chown -R 5050:5050 ${pga}`)
    expect(await containersOf(p)).toEqual([])
  })
})
