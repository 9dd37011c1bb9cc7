/**
 * Every failure the issue lists, for real: each gives a clear message, a documented exit code and
 * no stack trace, and leaves nothing half-created behind.
 */
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {ROOT, runCli, type CliResult} from '../../helpers/cli.js'
import {docker, freePort, removeStack, uniqueStack} from '../../helpers/docker.js'

const projects: string[] = []
function project(prefix: string): string {
  const p = uniqueStack(prefix)
  projects.push(p)
  return p
}

function expectCleanError(r: CliResult, code: number, errorCode: string): void {
  expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(code)
  expect(r.stderr).toContain(`[${errorCode}]`)
  expect(r.stderr).toContain('Try this:')
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/) // no stack trace
}

/** A failed `env up` leaves no container, network or volume of the project behind. */
async function expectNothingLeft(p: string): Promise<void> {
  expect(await docker.listContainers({all: true, filters: {label: [`dev.dezc.project=${p}`]}})).toEqual([])
  expect(await docker.listNetworks({filters: {name: [`${p}-pg-network`]}})).toEqual([])
  expect((await docker.listVolumes({filters: {label: [`dev.dezc.project=${p}`]}})).Volumes ?? []).toEqual([])
}

function configDir(yaml: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-err-'))
  fs.writeFileSync(path.join(dir, 'dezc.yaml'), yaml)
  return dir
}

/** A tiny local image (no registry here): FROM the Debian stand-in base with the given CMD. */
function buildImage(tag: string, cmd: string[]): void {
  execFileSync('docker', ['build', '-q', '-t', tag, '-'], {
    input: `FROM dezc-test/base:bookworm\nCMD ${JSON.stringify(cmd)}\n`,
    env: {...process.env, DOCKER_BUILDKIT: '0'},
    stdio: ['pipe', 'ignore', 'inherit'],
  })
}

beforeAll(() => {
  buildImage('dezc-test/exits:1', ['sh', '-c', 'echo boom-from-test-image >&2; exit 3'])
  buildImage('dezc-test/sleeps:1', ['sleep', 'infinity'])
})
afterAll(async () => {
  await Promise.all(projects.map(removeStack))
})

describe('env errors on a real engine', () => {
  it('a port held by a process that is not a container', async () => {
    const server = net.createServer().listen(0, '127.0.0.1')
    await new Promise((r) => server.once('listening', r))
    const port = (server.address() as net.AddressInfo).port
    const p = project('port')
    try {
      const r = await runCli(['env', 'up', '--stack', p, '--pg-port', String(port), '--no-pgadmin'])
      expectCleanError(r, 1, 'PORT_IN_USE')
      expect(r.stderr).toContain(
        `Port ${port} (for postgres) is already in use by a process on this machine that is not a container`,
      )
      expect(r.stderr).toContain('--pg-port')
      await expectNothingLeft(p)
    } finally {
      server.close()
    }
  })

  it('a port held by another stack names its container and project', async () => {
    const a = project('holder')
    const b = project('second')
    const port = await freePort()
    const up = await runCli(['env', 'up', '--stack', a, '--pg-port', String(port), '--no-pgadmin'])
    expect(up.code, up.stderr).toBe(0)
    const r = await runCli(['env', 'up', '--stack', b, '--pg-port', String(port), '--no-pgadmin', '--json'])
    expect(r.code).toBe(1)
    const err = r.json().error
    expect(err.code).toBe('PORT_IN_USE')
    expect(err.message).toContain(`container "${a}-pgsql-dev" of dezc stack "${a}"`)
    expect(err.suggestions.join(' ')).toContain('--pg-port')
  })

  it('an image that is missing while no registry is reachable', async () => {
    const dir = configDir('profiles:\n  local:\n    postgres: {image: "dezc-test/definitely-missing:1"}\n')
    const r = await runCli(
      ['env', 'up', '--stack', project('img'), '--pg-port', String(await freePort()), '--no-pgadmin'],
      {cwd: dir},
    )
    expectCleanError(r, 4, 'IMAGE_PULL_OFFLINE')
    expect(r.stderr).toContain('Image dezc-test/definitely-missing:1 is not on the engine and could not be pulled')
    expect(r.stderr).toContain('docker load')
  })

  it('a service that exits shows its last log lines', async () => {
    const dir = configDir('profiles:\n  local:\n    postgres: {image: "dezc-test/exits:1"}\n')
    const r = await runCli(
      ['env', 'up', '--stack', project('exit'), '--pg-port', String(await freePort()), '--no-pgadmin'],
      {cwd: dir},
    )
    expectCleanError(r, 5, 'SERVICE_UNHEALTHY')
    expect(r.stderr).toMatch(/postgres \(.*-pgsql-dev\) (exited with code 3|keeps restarting)/)
    expect(r.stderr).toContain('boom-from-test-image')
  })

  it('a service that never becomes healthy times out with its logs', async () => {
    const dir = configDir('profiles:\n  local:\n    postgres: {image: "dezc-test/sleeps:1"}\n')
    const t0 = Date.now()
    const r = await runCli(
      [
        'env',
        'up',
        '--stack',
        project('slow'),
        '--pg-port',
        String(await freePort()),
        '--no-pgadmin',
        '--wait-timeout',
        '3',
      ],
      {cwd: dir},
    )
    expectCleanError(r, 5, 'SERVICE_TIMEOUT')
    expect(r.stderr).toContain('did not become healthy within 3 s')
    expect(Date.now() - t0).toBeLessThan(30_000)
  })

  it('Ctrl-C while waiting stops with exit 130 and says so', async () => {
    const dir = configDir('profiles:\n  local:\n    postgres: {image: "dezc-test/sleeps:1"}\n')
    const t0 = Date.now()
    const r = await runCli(
      [
        'env',
        'up',
        '--stack',
        project('intr'),
        '--pg-port',
        String(await freePort()),
        '--no-pgadmin',
        '--wait-timeout',
        '120',
      ],
      {
        cwd: dir,
        onSpawn: (child) => {
          let sent = false
          child.stderr!.on('data', (d: Buffer) => {
            if (!sent && d.toString().includes('Wait until healthy')) {
              sent = true
              setTimeout(() => child.kill('SIGINT'), 300)
            }
          })
        },
      },
    )
    expect(r.code, r.stderr).toBe(130)
    expect(r.stderr).toContain('[INTERRUPTED]')
    expect(Date.now() - t0).toBeLessThan(60_000)
  })

  it('a bind path that does not exist on the engine host', async () => {
    const dir = configDir('profiles:\n  local:\n    postgres: {bind: /nonexistent/dezc-test-data}\n')
    const p = project('bind')
    const r = await runCli(['env', 'up', '--stack', p, '--pg-port', String(await freePort()), '--no-pgadmin'], {
      cwd: dir,
    })
    expectCleanError(r, 4, 'BIND_PATH_MISSING')
    expect(r.stderr).toContain('mkdir -p /nonexistent/dezc-test-data')
    await expectNothingLeft(p)
  })

  it("a failure after the network and volumes were made (pgAdmin's port taken by a late starter) removes exactly what this run made", async () => {
    const p = project('undo')
    const keep = `${p}-pgadmin-data`
    // An earlier run's volume: it must survive the undo.
    await docker.createVolume({
      Name: keep,
      Labels: {'dev.dezc.managed': 'true', 'dev.dezc.project': p, 'dev.dezc.service': 'pgadmin'},
    })
    const paPort = await freePort()
    // Grab the port between dezc's check and its container start: listen as soon as the engine reports the network created.
    let server: net.Server | undefined
    const events = (await docker.getEvents({
      filters: {type: ['network'], event: ['create']},
    })) as NodeJS.ReadableStream & {destroy(): void}
    events.on('data', (d: Buffer) => {
      if (server || !d.toString().includes(`${p}-pg-network`)) return
      server = net
        .createServer()
        .on('error', () => {})
        .listen(paPort, '127.0.0.1')
    })
    try {
      const r = await runCli([
        'env',
        'up',
        '--stack',
        p,
        '--pg-port',
        String(await freePort()),
        '--pgadmin-port',
        String(paPort),
      ])
      expectCleanError(r, 1, 'PORT_IN_USE')
      expect(await docker.listContainers({all: true, filters: {label: [`dev.dezc.project=${p}`]}})).toEqual([])
      expect(await docker.listNetworks({filters: {name: [`${p}-pg-network`]}})).toEqual([])
      const {Volumes} = await docker.listVolumes({filters: {label: [`dev.dezc.project=${p}`]}})
      expect((Volumes ?? []).map((v) => v.Name)).toEqual([keep])
    } finally {
      events.destroy()
      server?.close()
    }
  })

  it('a renamed postgres.container: the dry-run and the real run agree (recreate under the new name, same data, same port)', async () => {
    const p = project('rename')
    const port = String(await freePort())
    const first = await runCli(['env', 'up', '--stack', p, '--pg-port', port, '--no-pgadmin'])
    expect(first.code, first.stderr).toBe(0)
    const dir = configDir('profiles:\n  local:\n    postgres: {container: pg-renamed}\n')
    const plan = await runCli(['env', 'up', '--stack', p, '--pg-port', port, '--no-pgadmin', '--dry-run', '--json'], {
      cwd: dir,
    })
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.json().steps).toContainEqual({
      action: 'recreate',
      kind: 'container',
      name: `${p}-pgsql-dev -> ${p}-pg-renamed`,
    })
    expect(plan.json().steps.filter((s: {kind: string}) => s.kind === 'container')).toHaveLength(1)
    // Before that up, status, logs and psql still find the stack's Postgres by its labels.
    const status = await runCli(['env', 'status', '--stack', p, '--no-pgadmin', '--json'], {cwd: dir})
    expect(status.json().services[0]).toMatchObject({
      service: 'postgres',
      container: `${p}-pgsql-dev`,
      state: 'running',
      ok: true,
    })
    const psql = await runCli(['env', 'psql', '--stack', p, '--json', '--', '-Atc', 'select 41 + 1'], {cwd: dir})
    expect(psql.code, psql.stdout + psql.stderr).toBe(0)
    expect(psql.json()).toMatchObject({exitCode: 0, stdout: '42\n'})
    const shell = await runCli(
      ['env', 'shell', 'postgres', '--stack', p, '--json', '--', 'sh', '-c', 'echo in-$HOSTNAME; exit 3'],
      {cwd: dir},
    )
    expect(shell.code, shell.stdout + shell.stderr).toBe(3)
    expect(shell.json()).toMatchObject({exitCode: 3, stdout: expect.stringMatching(/^in-\w+\n$/)})
    const noCommand = await runCli(['env', 'shell', '--stack', p, '--json'], {cwd: dir})
    expect(noCommand.code).toBe(2)
    expect(noCommand.json().error.suggestions[0]).toContain('after --')
    const logs = await runCli(['env', 'logs', 'postgres', '--stack', p, '--json'], {cwd: dir})
    expect(logs.code, logs.stdout + logs.stderr).toBe(0)
    expect(logs.json().lines.some((l: {line: string}) => l.line.includes('ready to accept connections'))).toBe(true)
    const r = await runCli(['env', 'up', '--stack', p, '--pg-port', port, '--no-pgadmin', '--json'], {cwd: dir})
    expect(r.code, r.stderr).toBe(0)
    expect(r.json().services).toMatchObject([{service: 'postgres', container: `${p}-pg-renamed`, action: 'recreated'}])
    const names = (await docker.listContainers({all: true, filters: {label: [`dev.dezc.project=${p}`]}})).map(
      (c) => c.Names[0],
    )
    expect(names).toEqual([`/${p}-pg-renamed`])
  })

  it('a container with our name that dezc did not create', async () => {
    const p = project('name')
    await docker.createContainer({
      name: `${p}-pgsql-dev`,
      Image: 'dezc-test/base:bookworm',
      Cmd: ['true'],
      Labels: {[`dev.dezc.project`]: p},
    })
    const r = await runCli(['env', 'up', '--stack', p, '--pg-port', String(await freePort()), '--no-pgadmin'])
    expectCleanError(r, 1, 'NAME_IN_USE')
    expect(r.stderr).toContain(`docker rm -f ${p}-pgsql-dev`)
  })

  it('an engine that is not running, and a socket we may not use', async () => {
    const r = await runCli(['env', 'status', '--docker-host', 'unix:///tmp/dezc-no-such.sock'])
    expectCleanError(r, 4, 'DOCKER_NOT_RUNNING')
    const tcp = await runCli(['env', 'status', '--docker-host', `tcp://127.0.0.1:${await freePort()}`])
    expectCleanError(tcp, 4, 'DOCKER_NOT_RUNNING')
    // A real permission error: an unprivileged user on the root:docker 0660 socket.
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-nobody-'))
    fs.chmodSync(home, 0o777)
    let out = ''
    let code = 0
    try {
      out = execFileSync(
        'runuser',
        ['-u', 'nobody', '--', process.execPath, path.join(ROOT, 'bin/run.js'), 'env', 'status'],
        {env: {PATH: process.env.PATH, HOME: home, CI: 'true'}, stdio: ['ignore', 'pipe', 'pipe']},
      ).toString()
    } catch (error) {
      const e = error as {status: number; stderr: Buffer}
      code = e.status
      out = e.stderr.toString()
    }
    expect(code).toBe(4)
    expect(out).toContain('[DOCKER_PERMISSION_DENIED]')
    expect(out).toContain('usermod -aG docker')
  })

  it('unknown profile, invalid YAML, and a NAS profile without an endpoint are usage errors', async () => {
    expectCleanError(await runCli(['env', 'up', '--host', 'nas9']), 2, 'UNKNOWN_PROFILE')
    const dir = configDir('profiles:\n  local:\n    postgres: [oops\n')
    const bad = await runCli(['env', 'status'], {cwd: dir})
    expectCleanError(bad, 2, 'CONFIG_INVALID')
    expect(bad.stderr).toMatch(/dezc\.yaml:3:\d+: invalid YAML/)
    const nas = await runCli(['env', 'status', '--host', 'synology'], {env: {DOCKER_HOST: ''}})
    expectCleanError(nas, 2, 'DOCKER_HOST_REQUIRED')
    // The bad value is attributed to where it came from.
    const flag = await runCli(['env', 'status', '--docker-host', 'bogus://x'])
    expectCleanError(flag, 2, 'DOCKER_HOST_INVALID')
    expect(flag.stderr).toContain('"bogus://x" (from --docker-host)')
    const fromProfile = await runCli(['env', 'status'], {
      cwd: configDir('profiles:\n  local:\n    docker: {host: bogus://y}\n'),
    })
    expect(fromProfile.stderr).toContain('"bogus://y" (from the profile\'s docker.host)')
    // A profile that extends a profile that does not exist: file and line.
    const ext = configDir('profiles:\n  mine:\n    publish: 127.0.0.1\n    extends: nope\n')
    const badExtends = await runCli(['env', 'status', '--host', 'mine'], {cwd: ext})
    expectCleanError(badExtends, 2, 'CONFIG_INVALID')
    expect(badExtends.stderr).toContain(
      `${path.join(ext, 'dezc.yaml')}:4: profile "mine" extends "nope", which is not a profile.`,
    )
  })
})

describe('LAN-published profiles get a generated password', () => {
  it('generates, stores 0600, uses it, and never prints it in --json', async () => {
    const p = project('lan')
    const dir = configDir('profiles:\n  lan:\n    extends: local\n    publish: 0.0.0.0\n')
    const port = await freePort()
    const r = await runCli(
      ['env', 'up', '--host', 'lan', '--stack', p, '--pg-port', String(port), '--no-pgadmin', '--json'],
      {cwd: dir},
    )
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/generated a password for postgres and stored it in .*config\.yaml \(mode 0600\)/)
    const file = path.join(process.env.DEZC_CONFIG_DIR!, 'config.yaml')
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    const password = /password: (\S+)/.exec(fs.readFileSync(file, 'utf8'))![1]
    expect(password.length).toBeGreaterThanOrEqual(20)
    expect(r.stdout).not.toContain(password)
    expect(r.stderr).not.toContain(password)
    const info = await docker.getContainer(`${p}-pgsql-dev`).inspect()
    expect(info.HostConfig.PortBindings['5432/tcp'][0].HostIp).toBe('0.0.0.0')
    const pg = (await import('pg')).default
    const client = new pg.Client({host: '127.0.0.1', port, user: 'root', password, database: 'nytaxi'})
    await client.connect()
    await client.end()
    const creds = await runCli(['env', 'credentials', '--host', 'lan', '--stack', p], {cwd: dir})
    expect(creds.stdout).toContain(password)
    // The running stack's port (--pg-port at up time), not the profile's 5432.
    expect(creds.stdout).toContain(`127.0.0.1:${port}  database nytaxi`)
    expect(creds.stdout).toContain(`Passwords from: ${file}`)
    const credsJson = await runCli(['env', 'credentials', '--host', 'lan', '--stack', p, '--json'], {cwd: dir})
    expect(credsJson.stdout).not.toContain(password)
    expect(credsJson.json()).toMatchObject({
      source: 'running',
      postgres: {port, passwordSet: true, passwordFrom: file, url: `postgresql://root:***@127.0.0.1:${port}/nytaxi`},
      pgadmin: null,
    })
  })
})

describe('env credentials of a stack that is not running', () => {
  it("says so, shows the profile's settings, and names no config file that does not exist", async () => {
    const p = project('nocreds')
    const r = await runCli(['env', 'credentials', '--stack', p])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(
      `The stack is not running; these are the settings \`dezc env up --stack ${p}\` will use.`,
    )
    expect(r.stdout).toContain('127.0.0.1:5432')
    expect(r.stdout).toContain('Passwords from: the built-in default of profile "local"')
    expect(r.stdout).not.toContain('config.yaml')
    const j = (await runCli(['env', 'credentials', '--stack', p, '--json'])).json()
    expect(j).toMatchObject({
      source: 'profile',
      postgres: {port: 5432, passwordFrom: 'the built-in default of profile "local"'},
    })
  })
})

describe('env status while Docker still calls a service "starting"', () => {
  /** A container labelled as the project's Postgres whose Docker healthcheck stays "starting" (first check due in an hour). */
  async function startingContainer(p: string, image: string, port: number): Promise<void> {
    const c = await docker.createContainer({
      name: `${p}-pgsql-dev`,
      Image: image,
      Env: ['POSTGRES_USER=root', 'POSTGRES_PASSWORD=root', 'POSTGRES_DB=nytaxi'],
      Labels: {'dev.dezc.managed': 'true', 'dev.dezc.project': p, 'dev.dezc.service': 'postgres'},
      ExposedPorts: {'5432/tcp': {}},
      Healthcheck: {Test: ['CMD-SHELL', 'exit 1'], Interval: 3600e9, StartPeriod: 3600e9, Timeout: 1e9, Retries: 1},
      HostConfig: {PortBindings: {'5432/tcp': [{HostIp: '127.0.0.1', HostPort: String(port)}]}},
    })
    await c.start()
  }

  it('reports a Postgres that already answers a query as healthy (as `env up` counted it), and one that does not as starting, exit 5', async () => {
    const ready = project('starting')
    const port = await freePort()
    await startingContainer(ready, 'postgres:13', port)
    const pg = (await import('pg')).default
    const deadline = Date.now() + 60_000
    for (;;) {
      const client = new pg.Client({host: '127.0.0.1', port, user: 'root', password: 'root', database: 'nytaxi'})
      client.on('error', () => {})
      const ok = await client
        .connect()
        .then(() => client.query('select 1'))
        .then(
          () => true,
          () => false,
        )
      await client.end().catch(() => {})
      if (ok) break
      if (Date.now() > deadline) throw new Error('the stand-in Postgres never answered')
      await new Promise((r) => setTimeout(r, 200))
    }
    expect((await docker.getContainer(`${ready}-pgsql-dev`).inspect()).State.Health?.Status).toBe('starting')
    const r = await runCli(['env', 'status', '--stack', ready, '--no-pgadmin', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json().services[0]).toMatchObject({state: 'running', health: 'healthy', ok: true})
    expect(r.json().services[0].lastProbe).toContain("answered dezc's query")

    const silent = project('starting')
    await startingContainer(silent, 'dezc-test/sleeps:1', await freePort())
    const s = await runCli(['env', 'status', '--stack', silent, '--no-pgadmin', '--json'])
    expect(s.code).toBe(5)
    expect(s.json().services[0]).toMatchObject({state: 'running', health: 'starting', ok: false})
  })
})

describe('passwords from the config file are never printed', () => {
  it('env up --dry-run (text and --json), env compose, env up --verbose --json, env status and ingest --dry-run show variables, not the password', async () => {
    const p = project('pwcfg')
    const secretPg = 'CfgPg-s3cret-9f1'
    const secretPa = 'CfgPa-s3cret-7d2'
    const dir = configDir(
      `profiles:\n  local:\n    postgres: {password: ${secretPg}}\n    pgadmin: {password: ${secretPa}}\n`,
    )
    const pgPort = String(await freePort())
    const stack = ['--stack', p, '--pg-port', pgPort, '--pgadmin-port', String(await freePort())]
    const runs = [
      await runCli(['env', 'up', ...stack, '--dry-run'], {cwd: dir}),
      await runCli(['env', 'up', ...stack, '--dry-run', '--json'], {cwd: dir}),
      await runCli(['env', 'compose', ...stack], {cwd: dir}),
      await runCli(['env', 'compose', ...stack, '--json'], {cwd: dir}),
      await runCli(['env', 'up', ...stack, '--verbose', '--json'], {cwd: dir}),
      await runCli(['env', 'status', '--stack', p, '--verbose', '--json'], {cwd: dir}),
      await runCli(['env', 'credentials', '--stack', p, '--json'], {cwd: dir}),
      await runCli(['ingest', 'zones', '--stack', p, '--dry-run', '--verbose', '--json'], {cwd: dir}),
    ]
    for (const r of runs) {
      expect(r.code, r.stdout + r.stderr).toBe(0)
      expect(r.stdout + r.stderr).not.toContain(secretPg)
      expect(r.stdout + r.stderr).not.toContain(secretPa)
    }
    expect(runs[0].stdout).toContain('-e POSTGRES_PASSWORD="$POSTGRES_PASSWORD"')
    expect(runs[0].stdout).toContain('-e PGADMIN_DEFAULT_PASSWORD="$PGADMIN_DEFAULT_PASSWORD"')
    // The stack really uses it (only env credentials shows it to a person).
    const creds = await runCli(['env', 'credentials', '--stack', p], {cwd: dir})
    expect(creds.stdout).toContain(secretPg)
  })
})
