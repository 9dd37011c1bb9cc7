/**
 * Doctor's cloud checks for real: terraform through a STAND-IN executable on PATH (real terraform
 * cannot be downloaded here), Google credentials against the loopback fake of Google's OAuth and
 * APIs (a refresh token the fake has revoked, a token it rejects), and GOOGLE_APPLICATION_CREDENTIALS
 * files on disk.
 */
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {FakeGcp} from '../../helpers/fake-gcp.js'
// Imported for its side effect: it strips a developer's real Google credentials from the environment.
import '../../helpers/gcp-env.js'
import {createStandinTerraform, pathWithout} from '../../helpers/standin-terraform.js'
import {makeTempDir} from '../../helpers/tmp.js'

interface Check {
  id: string
  status: string
  detail: string
  fix?: string
}

let fake: FakeGcp
let dir: string

beforeAll(async () => {
  fake = new FakeGcp()
  await fake.start()
  fake.addProject('my-proj')
  dir = makeTempDir('dezc-doctor-cloud-')
})
afterAll(() => fake.stop())

async function doctor(
  only: string,
  env: Record<string, string>,
): Promise<{code: number | null; check: Check; all: string}> {
  const r = await runCli(['doctor', '--only', only, '--timeout', '30', '--json'], {
    env: {HOME: dir, CLOUDSDK_CONFIG: path.join(dir, 'gcloud-none'), DEZC_GOOGLE_API_ROOT: fake.url, ...env},
    cwd: dir,
  })
  const check = (r.json().checks as Check[]).find((c) => c.id === only)!
  return {code: r.code, check, all: r.stdout + r.stderr}
}

function adcFile(name: string, refreshToken: string): string {
  const d = path.join(dir, name)
  fs.mkdirSync(d, {recursive: true})
  fs.writeFileSync(
    path.join(d, 'application_default_credentials.json'),
    JSON.stringify({
      type: 'authorized_user',
      client_id: 'student.apps.googleusercontent.com',
      client_secret: 'not-secret-here',
      refresh_token: refreshToken,
      account: 'student@example.com',
    }),
  )
  return d
}

describe('doctor: terraform (stand-in executable)', () => {
  it('a new enough stand-in terraform is ok and named with its path', async () => {
    const tf = createStandinTerraform({version: '1.9.8'})
    const r = await doctor('terraform', {PATH: pathWithout([tf.binDir])})
    expect(r.code).toBe(0)
    expect(r.check).toMatchObject({status: 'ok', detail: `terraform 1.9.8 at ${tf.exe}`})
  })

  it('a too-old stand-in terraform fails with the install advice', async () => {
    const tf = createStandinTerraform({version: '0.12.31'})
    const r = await doctor('terraform', {PATH: pathWithout([tf.binDir])})
    expect(r.code).toBe(5)
    expect(r.check.status).toBe('fail')
    expect(r.check.detail).toContain('0.12.31')
  })

  it('no terraform at all is a warning that points at dezc tf install', async () => {
    const r = await doctor('terraform', {PATH: pathWithout()})
    expect(r.code).toBe(0)
    expect(r.check).toMatchObject({status: 'warn', fix: expect.stringContaining('dezc tf install')})
  })
})

describe('doctor: Google credentials (loopback fake of Google)', () => {
  it('no credentials at all: a warning with the login command', async () => {
    const r = await doctor('gcp.credentials', {})
    expect(r.check).toMatchObject({
      status: 'warn',
      fix: expect.stringContaining('gcloud auth application-default login'),
    })
  })

  it('an ADC login whose refresh token works is ok; one Google has revoked fails as expired', async () => {
    const good = await doctor('gcp.credentials', {CLOUDSDK_CONFIG: adcFile('gcloud-good', 'refresh-good')})
    expect(good.check).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/gcloud ADC file \(authorized_user as student@example\.com\): accepted by Google/),
    })
    fake.revokedRefreshTokens.add('refresh-revoked')
    const bad = await doctor('gcp.credentials', {CLOUDSDK_CONFIG: adcFile('gcloud-revoked', 'refresh-revoked')})
    expect(bad.code).toBe(5)
    expect(bad.check).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('expired or revoked'),
      fix: 'Log in again: gcloud auth application-default login',
    })
    expect(bad.all).not.toContain('refresh-revoked')
    expect(bad.all).not.toContain('not-secret-here')
  })

  it('an access token the API rejects (401) fails; a valid one is ok', async () => {
    fake.expiredTokens.add('ya29.expired-token')
    const bad = await doctor('gcp.credentials', {
      GOOGLE_OAUTH_ACCESS_TOKEN: 'ya29.expired-token',
      GOOGLE_CLOUD_PROJECT: 'my-proj',
    })
    expect(bad.check).toMatchObject({status: 'fail', detail: expect.stringContaining('401')})
    expect(bad.all).not.toContain('ya29.expired-token')
    const good = await doctor('gcp.credentials', {GOOGLE_OAUTH_ACCESS_TOKEN: 'test', GOOGLE_CLOUD_PROJECT: 'my-proj'})
    expect(good.check.status).toBe('ok')
  })
})

describe('doctor: GOOGLE_APPLICATION_CREDENTIALS', () => {
  it('pointing at the key of the account bootstrap manages is a warning; at a missing file a failure', async () => {
    const key = path.join(dir, 'dezc-sa.json')
    fs.writeFileSync(
      key,
      JSON.stringify({
        type: 'service_account',
        client_email: 'dezc-sa@my-proj.iam.gserviceaccount.com',
        private_key: 'x',
      }),
    )
    const managed = await doctor('gcp.gac', {GOOGLE_APPLICATION_CREDENTIALS: key, GOOGLE_CLOUD_PROJECT: 'my-proj'})
    expect(managed.code).toBe(0)
    expect(managed.check).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('dezc-sa@my-proj.iam.gserviceaccount.com'),
    })
    const other = await doctor('gcp.gac', {GOOGLE_APPLICATION_CREDENTIALS: key, GOOGLE_CLOUD_PROJECT: 'other-proj'})
    expect(other.check.status).toBe('ok')
    const missing = await doctor('gcp.gac', {GOOGLE_APPLICATION_CREDENTIALS: path.join(dir, 'nope.json')})
    expect(missing.code).toBe(5)
    expect(missing.check).toMatchObject({status: 'fail', detail: expect.stringContaining('does not exist')})
  })
})
