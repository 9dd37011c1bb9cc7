import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadConfig} from '../../../src/config/load.js'
import {postgresUrl, redactUrl, resolveStack} from '../../../src/env/settings.js'

async function config(yaml?: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-prof-'))
  if (yaml) fs.writeFileSync(path.join(dir, 'dezc.yaml'), yaml)
  return loadConfig({cwd: dir, env: {HOME: dir, DEZC_CONFIG_DIR: path.join(dir, 'u')}})
}

describe('resolveStack', () => {
  it('gives the course defaults for the local profile', async () => {
    const s = resolveStack(await config())
    expect(s.profile).toBe('local')
    expect(s.network).toBe('pg-network')
    expect(s.postgres).toMatchObject({
      container: 'pgsql-dev',
      image: 'postgres:13',
      port: 5432,
      db: 'nytaxi',
      user: 'root',
      password: 'root',
    })
    expect(s.pgadmin).toMatchObject({container: 'pgadmin-dev', image: 'dpage/pgadmin4:4.8', port: 8080})
    expect(s.publish).toBe('127.0.0.1')
    expect(s.postgres.mount).toEqual({type: 'volume', name: 'pgsql-dev-data'})
    expect(s.missingSecrets).toEqual([])
  })

  it('namespaces containers, network and volumes with --stack and applies overrides', async () => {
    const s = resolveStack(await config(), {
      stack: 'demo',
      pgPort: 15433,
      pgadminPort: 18080,
      noPgadmin: true,
      waitTimeout: 7,
    })
    expect(s.postgres.container).toBe('demo-pgsql-dev')
    expect(s.network).toBe('demo-pg-network')
    expect(s.postgres.mount).toEqual({type: 'volume', name: 'demo-pgsql-dev-data'})
    expect(s.postgres.alias).toBe('pgdatabase')
    expect(s.label).toBe('demo')
    expect(s.postgres.port).toBe(15433)
    expect(s.pgadmin.enabled).toBe(false)
    expect(s.waitTimeoutMs).toBe(7000)
  })

  it('rejects bad names and ports', async () => {
    const c = await config()
    expect(() => resolveStack(c, {stack: 'Bad Name'})).toThrow(/Invalid --stack/)
    expect(() => resolveStack(c, {pgPort: 70000})).toThrow(/between 1 and 65535/)
    expect(() => resolveStack(c, {pgPort: 9000, pgadminPort: 9000})).toThrow(/both set to port 9000/)
    expect(() => resolveStack(c, {profile: 'nas'})).toThrow(/Unknown host profile "nas"/)
  })

  it('synology: LAN-published, bind mounts, and passwords left to generate', async () => {
    const s = resolveStack(await config(), {profile: 'synology'})
    expect(s.publish).toBe('0.0.0.0')
    expect(s.restart).toBe('always')
    expect(s.remoteRequired).toBe(true)
    expect(s.postgres.port).toBe(5433)
    expect(s.postgres.mount).toEqual({type: 'bind', path: '/volume1/docker/data'})
    expect(s.pgadmin.mount).toEqual({type: 'bind', path: '/volume1/docker/pgadmin'})
    expect(s.postgres.password).toBeUndefined()
    expect(s.missingSecrets).toEqual(['postgres', 'pgadmin'])
  })

  it('refuses a well-known password that the user set on a LAN-published profile', async () => {
    const c = await config('profiles:\n  synology:\n    postgres: {password: root}\n')
    expect(() => resolveStack(c, {profile: 'synology'})).toThrow(/well-known password "root"/)
    const local = await config('profiles:\n  local:\n    publish: 0.0.0.0\n')
    // inherited built-in "root" is replaced by a generated one rather than refused
    expect(resolveStack(local).missingSecrets).toEqual(['postgres', 'pgadmin'])
  })

  it('supports user profiles that extend built-ins', async () => {
    const c = await config(
      'profiles:\n  nas2:\n    extends: synology\n    servicesHost: 192.0.2.10\n    postgres: {port: 5434, password: Xy7-long-unique-pass}\n    pgadmin: {enabled: false}\n',
    )
    const s = resolveStack(c, {profile: 'nas2'})
    expect(s.postgres.port).toBe(5434)
    expect(s.postgres.mount).toEqual({type: 'bind', path: '/volume1/docker/data'})
    expect(s.servicesHostOverride).toBe('192.0.2.10')
    expect(s.missingSecrets).toEqual([])
  })

  it('builds and redacts postgres URLs', async () => {
    const s = resolveStack(await config())
    expect(postgresUrl(s, '127.0.0.1')).toBe('postgresql://root:root@127.0.0.1:5432/nytaxi')
    expect(redactUrl(postgresUrl(s, '::1'))).toBe('postgresql://root:***@[::1]:5432/nytaxi')
  })
})
