import fs from 'node:fs'
import path from 'node:path'
import {beforeEach, describe, expect, it} from 'vitest'
import {DezcError} from '../../../src/core/errors.js'
import {resolveCredentials} from '../../../src/tf/credentials.js'
import {resolveSettings} from '../../../src/tf/settings.js'
import {makeTempDir} from '../../helpers/tmp.js'

let home: string
let env: NodeJS.ProcessEnv

function writeKey(dir: string, name: string, projectId: string, mtime?: Date): string {
  fs.mkdirSync(dir, {recursive: true})
  const file = path.join(dir, name)
  fs.writeFileSync(
    file,
    JSON.stringify({
      type: 'service_account',
      project_id: projectId,
      client_email: `sa@${projectId}.iam.gserviceaccount.com`,
      private_key: 'SECRET',
    }),
    {mode: 0o600},
  )
  if (mtime) fs.utimesSync(file, mtime, mtime)
  return file
}

async function failure(p: Promise<unknown>): Promise<DezcError> {
  try {
    await p
  } catch (error) {
    expect(error).toBeInstanceOf(DezcError)
    return error as DezcError
  }
  throw new Error('expected a DezcError')
}

beforeEach(() => {
  home = makeTempDir('dezc-tf-settings-')
  env = {HOME: home}
})

describe('resolveSettings: flag > env > config > default', () => {
  it('derives every default from the project id', async () => {
    const s = await resolveSettings({flags: {project: 'my-proj-123'}, env, config: {}, gcp: {}})
    expect(s).toMatchObject({
      project: 'my-proj-123',
      region: 'us-central1',
      location: 'US',
      bucket: 'my-proj-123-dezc-data-lake',
      dataset: 'trips_data_all',
      storageClass: 'STANDARD',
    })
    expect(s.sources).toMatchObject({project: '--project', bucket: 'default from the project id', dataset: 'default'})
    expect(s.credentials.kind).toBe('adc')
  })

  it('takes flags over env over config, and records where each value came from', async () => {
    const s = await resolveSettings({
      flags: {dataset: 'from_flag'},
      env: {...env, DEZC_GCP_PROJECT: 'env-proj-1', DEZC_TF_REGION: 'europe-west6', DEZC_TF_DATASET: 'from_env'},
      config: {project: 'cfg-proj-1', region: 'asia-east1', bucket: 'cfg-bucket', storageClass: 'nearline'},
      gcp: {},
    })
    expect(s).toMatchObject({
      project: 'env-proj-1',
      region: 'europe-west6',
      location: 'EU',
      bucket: 'cfg-bucket',
      dataset: 'from_flag',
      storageClass: 'NEARLINE',
    })
    expect(s.sources).toMatchObject({
      project: 'DEZC_GCP_PROJECT',
      region: 'DEZC_TF_REGION',
      location: 'default for region europe-west6',
      bucket: 'config tf.bucket',
      dataset: '--dataset',
      storageClass: 'config tf.storageClass',
    })
  })

  it("falls back to gcp.project, then gcloud's configured project", async () => {
    expect((await resolveSettings({flags: {}, env, config: {}, gcp: {project: 'gcp-sect-1'}})).sources.project).toBe(
      'config gcp.project',
    )
    fs.mkdirSync(path.join(home, '.config/gcloud/configurations'), {recursive: true})
    fs.writeFileSync(
      path.join(home, '.config/gcloud/configurations/config_default'),
      '[core]\naccount = me@example.com\nproject = gcloud-proj-9\n',
    )
    const s = await resolveSettings({flags: {}, env, config: {}, gcp: {}})
    expect(s.project).toBe('gcloud-proj-9')
  })

  it('takes the project from the bootstrap key when nothing else names one', async () => {
    const key = writeKey(path.join(home, '.gc'), 'key.json', 'key-proj-42')
    const s = await resolveSettings({flags: {}, env, config: {}, gcp: {}})
    expect(s.project).toBe('key-proj-42')
    expect(s.credentials).toMatchObject({kind: 'key', path: key})
  })

  it('without a project and no way to prompt: a usage error naming --project', async () => {
    const e = await failure(resolveSettings({flags: {}, env, config: {}, gcp: {}}))
    expect(e.code).toBe('TF_PROJECT_REQUIRED')
    expect(e.exit).toBe(2)
    expect(e.suggestions.join(' ')).toMatch(/--project/)
  })

  it('asks for the project when a person can answer, validating the id as they type', async () => {
    let validate: ((v: string) => string | true) | undefined
    const prompter = {
      canPrompt: true,
      assumeYes: false,
      confirm: async () => true,
      select: async <T>(): Promise<T> => {
        throw new Error('no select')
      },
      input: async (o: {message: string; flagHint: string; validate?: (v: string) => string | true}) => {
        expect(o.flagHint).toBe('--project')
        validate = o.validate
        return ' typed-proj-1 '
      },
    }
    const s = await resolveSettings({flags: {}, env, config: {}, gcp: {}, prompter})
    expect(s.project).toBe('typed-proj-1')
    expect(s.sources.project).toBe('prompt')
    expect(validate!('My Project')).toMatch(/looks like the project name/)
    expect(validate!('good-proj-1')).toBe(true)
  })

  it.each([
    [{project: 'My Project'}, /Invalid GCP project id "My Project"/],
    [{project: 'my-proj-123', bucket: 'Bad_Bucket'}, /Invalid bucket name "Bad_Bucket": bucket names are lowercase/],
    [{project: 'my-proj-123', dataset: 'trips-data'}, /Invalid BigQuery dataset id "trips-data".*use "_"/],
    [{project: 'my-proj-123', location: 'ASIA'}, /Invalid location "ASIA"/],
    [{project: 'my-proj-123', region: 'central'}, /Invalid region "central"/],
    [{project: 'my-proj-123', storageClass: 'HOT'}, /Invalid storage class "HOT": use one of STANDARD/],
  ])('rejects bad values before terraform sees them: %o', async (flags, message) => {
    const e = await failure(resolveSettings({flags, env, config: {}, gcp: {}}))
    expect(e.code).toBe('TF_INVALID_VALUE')
    expect(e.exit).toBe(2)
    expect(e.message).toMatch(message)
  })
})

describe('resolveCredentials', () => {
  it('uses an explicit key (flag) and reads only its public fields', async () => {
    const key = writeKey(home, 'mine.json', 'p-one-111')
    const c = await resolveCredentials({flag: key, env, gcp: {}})
    expect(c).toEqual({
      kind: 'key',
      path: key,
      source: '--credentials',
      clientEmail: 'sa@p-one-111.iam.gserviceaccount.com',
      projectId: 'p-one-111',
    })
    expect(JSON.stringify(c)).not.toContain('SECRET')
  })

  it('prefers GOOGLE_APPLICATION_CREDENTIALS over config and the bootstrap key', async () => {
    const envKey = writeKey(home, 'env.json', 'p-env-111')
    writeKey(path.join(home, '.gc'), 'boot.json', 'p-boot-111')
    const c = await resolveCredentials({
      env: {...env, GOOGLE_APPLICATION_CREDENTIALS: envKey},
      configured: path.join(home, 'nope.json'),
      gcp: {},
    })
    expect(c).toMatchObject({kind: 'key', path: envKey, source: 'GOOGLE_APPLICATION_CREDENTIALS'})
  })

  it('picks the newest bootstrap key for the project in gcp.keyDir', async () => {
    const dir = path.join(home, 'keys')
    writeKey(dir, 'old.json', 'p-a-11111', new Date('2024-01-01'))
    const newest = writeKey(dir, 'new.json', 'p-a-11111', new Date('2025-01-01'))
    const other = writeKey(dir, 'other.json', 'p-b-22222', new Date('2026-01-01'))
    fs.writeFileSync(path.join(dir, 'notakey.json'), '{"type":"authorized_user"}')
    expect(await resolveCredentials({env, gcp: {keyDir: dir}, project: 'p-a-11111'})).toMatchObject({
      kind: 'key',
      path: newest,
      projectId: 'p-a-11111',
    })
    expect(await resolveCredentials({env, gcp: {keyDir: dir}})).toMatchObject({path: other})
  })

  it('falls back to ADC and finds the gcloud application-default file', async () => {
    expect(await resolveCredentials({env, gcp: {}})).toEqual({
      kind: 'adc',
      source: 'Application Default Credentials',
      adcFile: undefined,
    })
    const adc = path.join(home, '.config/gcloud/application_default_credentials.json')
    fs.mkdirSync(path.dirname(adc), {recursive: true})
    fs.writeFileSync(adc, '{}')
    expect(await resolveCredentials({env, gcp: {}})).toMatchObject({kind: 'adc', adcFile: adc})
    expect(await resolveCredentials({flag: 'adc', env, gcp: {}})).toMatchObject({kind: 'adc', source: '--credentials'})
  })

  it('a named key file that is missing is an error, not a silent fallback', async () => {
    const e = await failure(resolveCredentials({env, configured: '~/missing.json', gcp: {}}))
    expect(e.code).toBe('TF_CREDENTIALS_MISSING')
    expect(e.exit).toBe(4)
    expect(e.message).toContain(path.join(home, 'missing.json'))
    expect(e.suggestions.join('\n')).toMatch(/dezc gcp bootstrap/)
  })
})
