/**
 * `dezc doctor` against real things: each check seen passing and failing for real — an engine that
 * is not there, a port held by another process, an image that is absent, Postgres with the wrong
 * password, a nearly full disk (a 16 MiB tmpfs).
 */
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {freePort, removeStack, uniqueStack} from '../../helpers/docker.js'

interface Check {
  id: string
  status: 'ok' | 'warn' | 'fail' | 'skip'
  detail: string
  fix?: string
}
/** Generous per-check timeouts below: CI machines are busy; the default (3 s) is for people. */
const byId = (checks: Check[], id: string) => checks.find((c) => c.id === id)!

const project = uniqueStack('doc')
let pgPort: number
let pgadminPort: number
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-doctor-'))

beforeAll(async () => {
  pgPort = await freePort()
  pgadminPort = await freePort()
  const up = await runCli([
    'env',
    'up',
    '--stack',
    project,
    '--pg-port',
    String(pgPort),
    '--pgadmin-port',
    String(pgadminPort),
    '--json',
  ])
  expect(up.code, up.stderr).toBe(0)
}, 180_000)

afterAll(async () => {
  await removeStack(project)
  fs.rmSync(tmp, {recursive: true, force: true})
})

describe('dezc doctor', () => {
  it('a healthy local stack: every check ok, a fix-free table, exit 0', async () => {
    // The machine and stack checks (the cloud ones are covered in cloud.test.ts).
    const envOnly = ['--only', 'node', '--only', 'disk', '--only', 'docker', '--only', 'postgres']
    const r = await runCli([
      'doctor',
      '--timeout',
      '30',
      ...envOnly,
      '--stack',
      project,
      '--pg-port',
      String(pgPort),
      '--pgadmin-port',
      String(pgadminPort),
      '--json',
    ])
    expect(r.code, r.stderr).toBe(0)
    const res = r.json<{ok: boolean; checks: Check[]; summary: Record<string, number>}>()
    expect(res.ok).toBe(true)
    expect(byId(res.checks, 'docker.engine')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/^Docker .* \(API 1\.\d+\) at unix:\/\/\/var\/run\/docker\.sock/),
    })
    expect(byId(res.checks, 'docker.ports').detail).toBe(
      `${pgPort} held by our postgres; ${pgadminPort} held by our pgadmin`,
    )
    expect(byId(res.checks, 'postgres')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(new RegExp(`root@127\\.0\\.0\\.1:${pgPort}/nytaxi answers \\(PostgreSQL 13\\.`)),
    })
    expect(byId(res.checks, 'node').status).toBe('ok')
    expect(res.summary.fail).toBe(0)
    const human = await runCli([
      'doctor',
      '--timeout',
      '30',
      ...envOnly,
      '--stack',
      project,
      '--pg-port',
      String(pgPort),
      '--pgadmin-port',
      String(pgadminPort),
    ])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/ok +Engine +Docker /)
    expect(human.stdout).not.toContain('->')
  })

  it("wrong Postgres password: fails with the server's reason and the fix; no secret in the output", async () => {
    fs.writeFileSync(
      path.join(tmp, 'dezc.yaml'),
      'profiles:\n  local:\n    postgres:\n      password: not-the-real-one\n',
    )
    const r = await runCli(
      [
        'doctor',
        '--timeout',
        '30',
        '--stack',
        project,
        '--pg-port',
        String(pgPort),
        '--pgadmin-port',
        String(pgadminPort),
        '--only',
        'postgres',
        '--json',
      ],
      {cwd: tmp},
    )
    expect(r.code).toBe(5)
    const pg = byId(r.json().checks, 'postgres')
    expect(pg.status).toBe('fail')
    expect(pg.detail).toMatch(/password authentication failed for user "root"/)
    expect(pg.fix).toMatch(/initialised/)
    expect(r.stdout + r.stderr).not.toContain('not-the-real-one')
  })

  it('a port held by a process that is not a container fails and names the way out', async () => {
    const port = await freePort()
    const server = net.createServer().listen(port, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    try {
      const r = await runCli([
        'doctor',
        '--timeout',
        '30',
        '--stack',
        uniqueStack('docp'),
        '--pg-port',
        String(port),
        '--no-pgadmin',
        '--only',
        'docker',
        '--json',
      ])
      expect(r.code).toBe(5)
      const ports = byId(r.json().checks, 'docker.ports')
      expect(ports).toMatchObject({
        status: 'fail',
        detail: `${port} (postgres) is held by a process that is not a container`,
      })
      expect(ports.fix).toContain(`--pg-port`)
    } finally {
      server.close()
    }
  })

  it("a port held by another dezc project names that project's down command", async () => {
    const r = await runCli([
      'doctor',
      '--timeout',
      '30',
      '--stack',
      uniqueStack('doq'),
      '--pg-port',
      String(pgPort),
      '--no-pgadmin',
      '--only',
      'docker.ports',
      '--json',
    ])
    expect(r.code).toBe(5)
    const ports = byId(r.json().checks, 'docker.ports')
    expect(ports.detail).toBe(`${pgPort} (postgres) is held by container "${project}-pgsql-dev"`)
    expect(ports.fix).toBe(`dezc env down --stack ${project}`)
  })

  it('an absent image is a warning with the pull command, not a failure', async () => {
    fs.writeFileSync(
      path.join(tmp, 'dezc.yaml'),
      'profiles:\n  local:\n    postgres:\n      image: dezc-test/not-built-anywhere:1\n',
    )
    const r = await runCli(
      ['doctor', '--timeout', '30', '--stack', uniqueStack('doi'), '--no-pgadmin', '--only', 'docker.images', '--json'],
      {cwd: tmp},
    )
    expect(r.code, r.stdout).toBe(0)
    expect(byId(r.json().checks, 'docker.images')).toMatchObject({
      status: 'warn',
      detail: 'dezc-test/not-built-anywhere:1 not present on the engine',
      fix: expect.stringContaining('docker pull dezc-test/not-built-anywhere:1'),
    })
  })

  it('no engine at the endpoint: the engine check fails with the fix, engine checks are skipped, exit 5, no stack trace', async () => {
    const closed = await freePort()
    const r = await runCli(['doctor', '--timeout', '30', '--docker-host', `tcp://127.0.0.1:${closed}`, '--json'])
    expect(r.code).toBe(5)
    const checks = r.json<{checks: Check[]}>().checks
    expect(byId(checks, 'docker.engine')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('refused the connection'),
      fix: expect.stringContaining(`127.0.0.1:${closed}`),
    })
    for (const id of ['docker.ports', 'docker.images', 'postgres']) expect(byId(checks, id).status).toBe('skip')
    const human = await runCli(['doctor', '--timeout', '30', '--docker-host', `tcp://127.0.0.1:${closed}`])
    expect(human.code).toBe(5)
    expect(human.stdout).toMatch(/FAIL +Engine/)
    expect(human.stdout).toMatch(/-> Check that dockerd listens/)
    expect(human.stdout + human.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
  })

  it('a nearly full disk for downloads fails (a real 16 MiB tmpfs)', async () => {
    const mnt = path.join(tmp, 'small')
    fs.mkdirSync(mnt)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mnt])
    try {
      const r = await runCli(['doctor', '--timeout', '30', '--only', 'disk', '--json'], {
        env: {DEZC_CACHE_DIR: path.join(mnt, 'cache')},
      })
      expect(r.code).toBe(5)
      const disk = byId(r.json().checks, 'disk')
      expect(disk.status).toBe('fail')
      expect(disk.detail).toMatch(new RegExp(`0\\.0 GiB free for downloads \\(${mnt}\\)`))
    } finally {
      execFileSync('umount', [mnt])
    }
  })
})
