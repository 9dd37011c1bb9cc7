/**
 * Remote engines for real: the same dockerd reached over tcp:// (its loopback TCP listener) and
 * over ssh:// (a real sshd on a loopback port running `docker system dial-stdio`).
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {docker, freePort, removeStack, uniqueStack} from '../../helpers/docker.js'
import {startSshd, type Sshd} from '../../helpers/sshd.js'

const tcpProject = uniqueStack('tcp')
const sshProject = uniqueStack('ssh')
let sshd: Sshd

beforeAll(async () => {
  sshd = await startSshd()
})
afterAll(async () => {
  sshd?.stop()
  await removeStack(tcpProject)
  await removeStack(sshProject)
})

describe('remote Docker endpoints', () => {
  it('tcp://: up and status through DOCKER_HOST, URLs on the engine host', async () => {
    const port = await freePort()
    const env = {DOCKER_HOST: 'tcp://127.0.0.1:2375'}
    const up = await runCli(['env', 'up', '--stack', tcpProject, '--pg-port', String(port), '--no-pgadmin', '--json'], {
      env,
    })
    expect(up.code, up.stderr).toBe(0)
    expect(up.json().engine.endpoint).toBe('tcp://127.0.0.1:2375')
    expect(up.json().postgres.host).toBe('127.0.0.1')
    const status = await runCli(['env', 'status', '--stack', tcpProject, '--no-pgadmin', '--json'], {env})
    expect(status.code, status.stderr).toBe(0)
    expect(status.json().services[0]).toMatchObject({state: 'running', health: 'healthy'})
  })

  it('ssh://: status, up and logs over `ssh ... docker system dial-stdio`', async () => {
    const host = `ssh://root@127.0.0.1:${sshd.port}`
    const env = {DEZC_SSH_COMMAND: sshd.sshCommand, DEZC_SERVICES_HOST: '127.0.0.1'}
    const port = await freePort()
    const up = await runCli(
      ['env', 'up', '--docker-host', host, '--stack', sshProject, '--pg-port', String(port), '--no-pgadmin', '--json'],
      {env},
    )
    expect(up.code, up.stderr).toBe(0)
    expect(up.json().engine.endpoint).toBe(host)
    expect((await docker.getContainer(`${sshProject}-pgsql-dev`).inspect()).State.Running).toBe(true)
    const status = await runCli(
      ['env', 'status', '--docker-host', host, '--stack', sshProject, '--no-pgadmin', '--json'],
      {env},
    )
    expect(status.code, status.stderr).toBe(0)
    expect(status.json().ok).toBe(true)
    const logs = await runCli(
      ['env', 'logs', 'postgres', '--docker-host', host, '--stack', sshProject, '--tail', '5'],
      {env},
    )
    expect(logs.code, logs.stderr).toBe(0)
    expect(logs.stdout).toMatch(/^postgres \| /m)
  }, 180_000) // three CLI runs, each paying an ssh handshake: slow on a busy 2-core machine

  it('ssh:// with a key the server refuses is a clear authentication error', async () => {
    const r = await runCli(['env', 'status', '--docker-host', `ssh://root@127.0.0.1:${sshd.port}`], {
      env: {DEZC_SSH_COMMAND: sshd.badSshCommand},
    })
    expect(r.code, r.stderr).toBe(4)
    expect(r.stderr).toContain('[SSH_AUTH_FAILED]')
    expect(r.stderr).toMatch(/ssh-add|ssh-copy-id/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })
})
