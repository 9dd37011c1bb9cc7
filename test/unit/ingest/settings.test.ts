import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadConfig} from '../../../src/config/load.js'
import {DezcError} from '../../../src/core/errors.js'
import {ingestTarget} from '../../../src/ingest/settings.js'

async function config(yaml?: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-ingest-target-'))
  if (yaml) fs.writeFileSync(path.join(dir, 'dezc.yaml'), yaml)
  return loadConfig({cwd: dir, env: {HOME: dir, DEZC_CONFIG_DIR: path.join(dir, 'u')}})
}

const noDockerEnv = {HOME: '/nonexistent'}
/** Stand-in for the engine's answer: the stack's Postgres runs at this host and port. */
const at = (host: string, port: number) => async () => ({host, port, container: 'pgsql-dev'})

describe('ingest target', () => {
  it("defaults to the running stack's Postgres where its engine says it is, TLC parquet and 2 jobs", async () => {
    const t = await ingestTarget(await config(), {env: noDockerEnv, locate: at('127.0.0.1', 25432)})
    expect(t).toMatchObject({
      dbUrl: 'postgresql://root:root@127.0.0.1:25432/nytaxi',
      explicitDbUrl: false,
      source: 'tlc',
      baseUrl: 'https://d37ci6vzurychx.cloudfront.net/trip-data/',
      jobs: 2,
      imageBase: 'node:20-bookworm-slim',
    })
  })

  it('--host synology reaches the NAS Postgres on the engine host with the stored password', async () => {
    const c = await config('profiles:\n  synology:\n    postgres: {password: s3cret}\n')
    const t = await ingestTarget(c, {
      host: 'synology',
      dockerHost: 'ssh://admin@nas.local',
      env: noDockerEnv,
      locate: at('nas.local', 5433),
    })
    expect(t.dbUrl).toBe('postgresql://root:s3cret@nas.local:5433/nytaxi')
    expect(t.redactedDbUrl).toBe('postgresql://root:***@nas.local:5433/nytaxi')
  })

  it("a stack the engine does not run is an error, never the profile's default port", async () => {
    const notRunning = new DezcError({code: 'STACK_NOT_RUNNING', message: 'no Postgres', exit: 5})
    const err = await ingestTarget(await config(), {
      stack: 'qa4',
      env: noDockerEnv,
      locate: async () => {
        throw notRunning
      },
    }).catch((e: unknown) => e)
    expect(err).toBe(notRunning)
  })

  it('says to start the stack first when the NAS profile has no password yet', async () => {
    let asked = false
    const err = await ingestTarget(await config(), {
      host: 'synology',
      dockerHost: 'ssh://admin@nas.local',
      env: noDockerEnv,
      locate: async () => {
        asked = true
        return {host: 'nas.local', port: 5433, container: 'x'}
      },
    }).catch((e: unknown) => e)
    expect(asked).toBe(false)
    expect(err).toBeInstanceOf(DezcError)
    expect((err as DezcError).code).toBe('NO_DB_PASSWORD')
    expect((err as DezcError).suggestions[0]).toContain('dezc env up --host synology')
  })

  it('flag > config: --db-url, --base-url, tables and the backup mirror', async () => {
    const c = await config(
      'ingest:\n  dbUrl: postgresql://u:p@db:5432/x\n  backupBaseUrl: http://mirror.test/dl/\n  tables: {green: greentaxidata}\n  jobs: 3\n  imageBase: dezc-test/node:bookworm\n',
    )
    const fromConfig = await ingestTarget(c, {dataset: 'green', source: 'backup', env: noDockerEnv})
    expect(fromConfig).toMatchObject({
      dbUrl: 'postgresql://u:p@db:5432/x',
      explicitDbUrl: true,
      baseUrl: 'http://mirror.test/dl/',
      table: 'greentaxidata',
      jobs: 3,
      imageBase: 'dezc-test/node:bookworm',
    })
    const fromFlags = await ingestTarget(c, {
      dataset: 'green',
      dbUrl: 'postgresql://a:b@h:1/y',
      baseUrl: 'http://other.test/',
      table: 't',
      jobs: 1,
      imageBase: 'node:22',
      env: noDockerEnv,
    })
    expect(fromFlags).toMatchObject({
      dbUrl: 'postgresql://a:b@h:1/y',
      baseUrl: 'http://other.test/',
      table: 't',
      jobs: 1,
      imageBase: 'node:22',
      source: 'tlc',
    })
  })
})
