import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadConfig} from '../../../src/config/load.js'
import {resolveStack} from '../../../src/env/settings.js'
import {composeFiles, dotEnv} from '../../../src/env/compose.js'
import {containerSpecs, healthchecks, LABEL, postgresDataTarget} from '../../../src/env/spec.js'
import {parse} from 'yaml'

async function stack(overrides = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-spec-'))
  return resolveStack(await loadConfig({cwd: dir, env: {HOME: dir, DEZC_CONFIG_DIR: dir}}), overrides)
}

describe('container specs', () => {
  it('hash is stable and changes with the configuration', async () => {
    const a = containerSpecs(await stack(), {apiVersion: '1.41'})
    const b = containerSpecs(await stack(), {apiVersion: '1.41'})
    const c = containerSpecs(await stack({pgPort: 5999}), {apiVersion: '1.41'})
    expect(a[0].hash).toBe(b[0].hash)
    expect(a[0].hash).not.toBe(c[0].hash)
    expect(a[1].hash).toBe(c[1].hash) // pgAdmin did not change
    expect(a[0].body.Labels[LABEL.configHash]).toBe(a[0].hash)
  })

  it('publishes on the profile address, mounts data and registers the alias in pgAdmin', async () => {
    const [pg, pa] = containerSpecs(await stack({stack: 'x'}), {apiVersion: '1.41'})
    expect(pg.body.HostConfig.PortBindings['5432/tcp']).toEqual([{HostIp: '127.0.0.1', HostPort: '5432'}])
    expect(pg.body.HostConfig.Mounts).toEqual([
      {Type: 'volume', Source: 'x-pgsql-dev-data', Target: '/var/lib/postgresql/data'},
    ])
    expect(pg.body.NetworkingConfig.EndpointsConfig['x-pg-network'].Aliases).toEqual(['pgdatabase'])
    const servers = JSON.parse(pa.files[0].content)
    expect(servers.Servers['1']).toMatchObject({
      Host: 'pgdatabase',
      Port: 5432,
      MaintenanceDB: 'nytaxi',
      Username: 'root',
    })
    expect(pa.files[0].path).toBe('/pgadmin4/servers.json')
  })

  it('healthchecks: 1 s interval on old engines, fast start interval on API >= 1.44', () => {
    expect(healthchecks('1.41').postgres.Interval).toBe(1e9)
    expect(healthchecks('1.41').postgres.StartInterval).toBeUndefined()
    expect(healthchecks('1.44').postgres.StartInterval).toBe(250e6)
    expect(healthchecks('1.41').postgres.Test.join(' ')).toContain('pg_isready -q -h 127.0.0.1')
    expect(healthchecks('1.41').pgadmin.Test.join(' ')).toContain('/misc/ping')
  })

  it('mounts the parent directory for Postgres 18+', () => {
    expect(postgresDataTarget('postgres:13')).toBe('/var/lib/postgresql/data')
    expect(postgresDataTarget('postgres:18-alpine')).toBe('/var/lib/postgresql')
    expect(postgresDataTarget('registry:5000/postgres:17.2')).toBe('/var/lib/postgresql/data')
  })

  it('compose output: valid YAML for Compose 1.29 and v2 (no top-level name, no inline configs), escaped $, no password whatever its source', async () => {
    const files = composeFiles(await stack())
    const local = parse(files.compose)
    expect(local.name).toBeUndefined()
    expect(local.configs).toBeUndefined()
    expect(local.version).toBe('3.8')
    expect(files.compose).not.toMatch(/\broot\b.*PASSWORD|PASSWORD: root/)
    expect(local.services.pgdatabase.environment.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/)
    expect(files.secrets).toEqual({POSTGRES_PASSWORD: 'root', PGADMIN_DEFAULT_PASSWORD: 'root'})
    expect(local.services.pgdatabase.healthcheck.test[1]).toContain('$$POSTGRES_USER')
    // The same health settings env up uses on engines without start_interval.
    const hc = healthchecks('1.41').postgres
    expect(local.services.pgdatabase.healthcheck).toMatchObject({
      interval: `${hc.Interval / 1e9}s`,
      retries: hc.Retries,
      start_period: `${hc.StartPeriod / 1e9}s`,
    })
    expect(local.services.pgadmin.volumes).toContain('./servers.json:/pgadmin4/servers.json:ro')
    expect(local.services.pgdatabase.labels).toMatchObject({
      'dev.dezc.managed': 'true',
      'dev.dezc.project': 'default',
      'dev.dezc.service': 'postgres',
    })
    expect(JSON.parse(files.serversJson!).Servers['1'].Host).toBe('pgdatabase')
    const nas = resolveStack(
      await loadConfig({cwd: os.tmpdir(), env: {HOME: '/nonexistent', DEZC_CONFIG_DIR: '/nonexistent'}}),
      {profile: 'synology'},
    )
    nas.postgres.password = 'generated-secret'
    const text = composeFiles(nas).compose
    expect(text).not.toContain('generated-secret')
    expect(parse(text).services.pgdatabase.volumes).toEqual(['/volume1/docker/data:/var/lib/postgresql/data'])
    nas.postgres.image = 'postgres:18'
    expect(parse(composeFiles(nas).compose).services.pgdatabase.volumes).toEqual([
      '/volume1/docker/data:/var/lib/postgresql',
    ])
  })

  it('.env quoting survives any password', () => {
    expect(dotEnv({A: 'plain_1', B: 'with space', C: "it's $HOME"})).toBe(
      `A=plain_1\nB='with space'\nC="it's \\$HOME"\n`,
    )
  })
})
