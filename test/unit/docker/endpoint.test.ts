import {createHash} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {
  listDockerContexts,
  parseDockerHost,
  resolveDockerContext,
  resolveEndpoint,
  servicesHost,
} from '../../../src/docker/endpoint.js'
import {tarSingleFile} from '../../../src/docker/client.js'
import {demuxBuffer} from '../../../src/docker/logs.js'
import {execFileSync} from 'node:child_process'

describe('docker endpoint resolution', () => {
  it('parses unix, tcp and ssh hosts', () => {
    expect(parseDockerHost('unix:///run/x.sock', 'flag')).toMatchObject({kind: 'unix', socketPath: '/run/x.sock', remote: false})
    expect(parseDockerHost('tcp://nas.local:2375', 'flag', {})).toMatchObject({kind: 'tcp', host: 'nas.local', port: 2375, protocol: 'http', remote: true})
    expect(parseDockerHost('tcp://nas.local:2376', 'flag', {})).toMatchObject({protocol: 'https'})
    expect(parseDockerHost('tcp://127.0.0.1:2375', 'flag', {})).toMatchObject({remote: false})
    expect(parseDockerHost('ssh://admin@nas:2222', 'flag')).toMatchObject({kind: 'ssh', ssh: {user: 'admin', host: 'nas', port: 2222}, remote: true})
    expect(() => parseDockerHost('ftp://x', 'flag')).toThrow(/Cannot understand the Docker endpoint/)
  })

  it('follows the docker CLI precedence, contexts included', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-ctx-'))
    const cfg = path.join(home, '.docker')
    const id = createHash('sha256').update('nas').digest('hex')
    fs.mkdirSync(path.join(cfg, 'contexts', 'meta', id), {recursive: true})
    fs.writeFileSync(path.join(cfg, 'contexts', 'meta', id, 'meta.json'), JSON.stringify({Name: 'nas', Endpoints: {docker: {Host: 'ssh://root@nas.lan'}}}))
    fs.writeFileSync(path.join(cfg, 'config.json'), JSON.stringify({currentContext: 'nas'}))
    const env = {HOME: home}
    expect(resolveEndpoint({env})).toMatchObject({kind: 'ssh', source: 'current-context', contextName: 'nas'})
    expect(resolveEndpoint({env: {...env, DOCKER_HOST: 'tcp://h:2375'}})).toMatchObject({kind: 'tcp', source: 'DOCKER_HOST'})
    expect(resolveEndpoint({env: {...env, DOCKER_HOST: 'tcp://h:2375'}, profileHost: 'unix:///p.sock'})).toMatchObject({socketPath: '/p.sock', source: 'profile'})
    expect(resolveEndpoint({env, flagHost: 'unix:///f.sock', profileHost: 'unix:///p.sock'})).toMatchObject({socketPath: '/f.sock'})
    expect(() => resolveEndpoint({env: {...env, DOCKER_CONTEXT: 'missing'}})).toThrow(/Docker context "missing"/)
    expect(resolveEndpoint({env: {HOME: fs.mkdtempSync(path.join(os.tmpdir(), 'h-'))}})).toMatchObject({kind: 'unix', socketPath: '/var/run/docker.sock', source: 'default'})
  })

  it('--docker-context: the named context beats DOCKER_HOST, `default` is the local engine, DOCKER_CONFIG is honoured; unknown names list the known ones', () => {
    const cfg = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-ctxcfg-'))
    const put = (name: string, host: string) => {
      const dir = path.join(cfg, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'))
      fs.mkdirSync(dir, {recursive: true})
      fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({Name: name, Metadata: {}, Endpoints: {docker: {Host: host, SkipTLSVerify: false}}}))
    }
    put('macbook', 'ssh://me@macbook.lan')
    put('nas tcp', 'tcp://nas.lan:2375')
    const env = {HOME: '/nonexistent', DOCKER_CONFIG: cfg, DOCKER_HOST: 'tcp://elsewhere:2375'}
    expect(resolveEndpoint({env, flagContext: 'macbook'})).toMatchObject({kind: 'ssh', source: 'context-flag', contextName: 'macbook', ssh: {user: 'me', host: 'macbook.lan'}, remote: true})
    expect(resolveDockerContext('nas tcp', env)).toMatchObject({kind: 'tcp', host: 'nas.lan', port: 2375, contextName: 'nas tcp'})
    expect(resolveDockerContext('default', env)).toMatchObject({kind: 'unix', contextName: 'default', remote: false})
    expect(listDockerContexts(env)).toEqual(['default', 'macbook', 'nas tcp'])
    expect(() => resolveDockerContext('mac', env)).toThrow(
      expect.objectContaining({code: 'DOCKER_CONTEXT_NOT_FOUND', exit: 2, message: expect.stringMatching(/"mac" \(from --docker-context\).*Known contexts: default, macbook, nas tcp\./)}),
    )
    // A context file that is not JSON is named as unreadable, not as missing.
    fs.writeFileSync(path.join(cfg, 'contexts', 'meta', createHash('sha256').update('macbook').digest('hex'), 'meta.json'), '{')
    expect(() => resolveDockerContext('macbook', env)).toThrow(expect.objectContaining({code: 'DOCKER_CONTEXT_INVALID'}))
    expect(listDockerContexts({DOCKER_CONFIG: path.join(cfg, 'none')})).toEqual(['default'])
  })

  it('prints and probes URLs on the engine host, never localhost', () => {
    expect(servicesHost(parseDockerHost('ssh://root@nas.lan', 'flag'), undefined, {})).toBe('nas.lan')
    expect(servicesHost(parseDockerHost('tcp://localhost:2375', 'flag', {}), undefined, {})).toBe('127.0.0.1')
    expect(servicesHost(parseDockerHost('unix:///x', 'flag'), undefined, {})).toBe('127.0.0.1')
    expect(servicesHost(parseDockerHost('unix:///x', 'flag'), 'nas.example', {})).toBe('nas.example')
    expect(servicesHost(parseDockerHost('unix:///x', 'flag'), 'nas.example', {DEZC_SERVICES_HOST: '10.0.0.9'})).toBe('10.0.0.9')
  })
})

describe('docker wire helpers', () => {
  it('tarSingleFile builds an archive that tar extracts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-tar-'))
    fs.writeFileSync(path.join(dir, 'a.tar'), await tarSingleFile('servers.json', Buffer.from('{"x":1}\n'), 0o640))
    execFileSync('tar', ['-xf', 'a.tar'], {cwd: dir})
    expect(fs.readFileSync(path.join(dir, 'servers.json'), 'utf8')).toBe('{"x":1}\n')
    expect(fs.statSync(path.join(dir, 'servers.json')).mode & 0o777).toBe(0o640)
  })

  it('demultiplexes docker log frames', () => {
    const frame = (type: number, s: string) => Buffer.concat([Buffer.from([type, 0, 0, 0, 0, 0, 0, s.length]), Buffer.from(s)])
    expect(demuxBuffer(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]))).toBe('out\nerr\n')
    expect(demuxBuffer(Buffer.from('plain tty text\n'))).toBe('plain tty text\n')
  })
})
