import fs from 'node:fs'
import path from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {assertNoSecrets, gcpTestEnv, type GcpTestEnv} from '../../helpers/gcp-env.js'
import {runCli} from '../../helpers/cli.js'

const SA = 'dezc-sa@my-proj.iam.gserviceaccount.com'
let t: GcpTestEnv

afterEach(async () => {
  await t?.close()
})

/** A clear one-line error with a suggestion and the code, never a stack trace. */
function expectCleanError(r: {code: number | null; stderr: string}, code: string, exit: number): void {
  expect(r.code, r.stderr).toBe(exit)
  expect(r.stderr).toContain(`[${code}]`)
  expect(r.stderr).toContain('Try this:')
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
}

describe('gcp errors: each clear, with the fix and a non-zero exit', () => {
  it('key creation blocked by organisation policy: names the constraint, offers impersonation, writes nothing', async () => {
    t = await gcpTestEnv()
    t.fake.addProject('my-proj', {keyCreationBlockedBy: 'constraints/iam.disableServiceAccountKeyCreation'})
    const r = await t.gcp('bootstrap', ['--yes'])
    expectCleanError(r, 'KEY_CREATION_DISABLED', 4)
    expect(r.stderr).toContain('constraints/iam.disableServiceAccountKeyCreation')
    expect(r.stderr).toContain(`--impersonate-service-account=${SA}`)
    // Not retried: exactly one key request.
    expect(t.fake.requests.filter((x) => x.path.endsWith('/keys') && x.method === 'POST').length).toBe(1)
    expect(fs.existsSync(path.join(t.keyDir, 'dezc-sa.json'))).toBe(false)

    const json = await t.gcp('bootstrap', ['--yes', '--json'])
    expect(json.code).toBe(4)
    expect(json.json().error).toMatchObject({
      code: 'KEY_CREATION_DISABLED',
      details: {constraint: 'constraints/iam.disableServiceAccountKeyCreation'},
    })
  })

  it('API disabled in the quota (consumer) project: SERVICE_DISABLED with the activation link', async () => {
    t = await gcpTestEnv()
    t.fake.addProject('my-proj')
    const billing = t.fake.addProject('billing-proj', {
      number: '123456789012',
      services: ['serviceusage.googleapis.com'],
    })
    const r = await t.gcp('bootstrap', ['--yes'], {
      GOOGLE_CLOUD_QUOTA_PROJECT: billing.id,
      DEZC_GCP_TIME_SCALE: '0.0001',
    })
    expectCleanError(r, 'API_NOT_ENABLED', 4)
    expect(r.stderr).toContain(
      'https://console.developers.google.com/apis/api/iam.googleapis.com/overview?project=123456789012',
    )
    expect(r.stderr).toContain('quota project')
    // The quota project travelled as x-goog-user-project (that is how the fake picked the consumer).
    expect(t.fake.requests.some((x) => x.status === 403)).toBe(true)
  })

  it('an enable operation that finishes with an error, or with a per-service failure, stops before the account', async () => {
    t = await gcpTestEnv({operationPolls: 1})
    const p = t.fake.addProject('my-proj')
    const poll = (r: {method: string; path: string}) => r.method === 'GET' && r.path.startsWith('/v1/operations/')
    const message = `Billing account for project '${p.number}' is not found. Billing must be enabled for activation of service(s) 'iam.googleapis.com' to proceed.`
    t.fake.inject({
      match: poll,
      action: {
        kind: 'respond',
        status: 200,
        body: {name: 'operations/acat.p2-x', done: true, error: {code: 9, message}},
      },
    })
    const r = await t.gcp('bootstrap', ['--yes'])
    expectCleanError(r, 'BILLING_NOT_ENABLED', 4)
    expect(r.stderr).toContain(message)
    expect(t.fake.writes().map((w) => w.path)).toEqual(['/v1/projects/my-proj/services:batchEnable'])

    t.fake.clearLog()
    const failures = [
      {
        serviceId: 'iamcredentials.googleapis.com',
        errorMessage: 'The service is currently unavailable in this location.',
      },
    ]
    t.fake.inject({
      match: poll,
      action: {kind: 'respond', status: 200, body: {name: 'operations/acat.p2-y', done: true, response: {failures}}},
    })
    const partial = await t.gcp('bootstrap', ['--yes', '--json'])
    expect(partial.code).toBe(1)
    expect(partial.json().error.message).toContain(
      'iamcredentials.googleapis.com: The service is currently unavailable',
    )
    expect(t.fake.requests.some((x) => x.path.includes('/serviceAccounts'))).toBe(false)
  })

  it('a policy that keeps changing under us: bounded retries, then a clear error; no key is created', async () => {
    t = await gcpTestEnv()
    t.fake.addProject('my-proj')
    t.fake.inject({
      match: (r) => r.path.endsWith(':setIamPolicy'),
      action: {kind: 'concurrent-policy-change'},
      times: 1000,
    })
    const r = await t.gcp('bootstrap', ['--yes'], {DEZC_GCP_TIME_SCALE: '0.001'})
    expectCleanError(r, 'CONCURRENT_POLICY_CHANGE', 1)
    const sets = t.fake.requests.filter((x) => x.path.endsWith(':setIamPolicy'))
    expect(sets.length).toBeGreaterThan(2)
    expect(sets.length).toBeLessThan(1000)
    expect(sets.every((x) => x.status === 409)).toBe(true)
    // Each attempt re-read the policy (a full read-modify-write), and the run stopped before the key.
    expect(t.fake.requests.filter((x) => x.path.endsWith(':getIamPolicy')).length).toBe(sets.length)
    expect(t.fake.requests.some((x) => x.method === 'POST' && x.path.endsWith('/keys'))).toBe(false)
  })

  it('no permission to enable services or to set the policy', async () => {
    t = await gcpTestEnv()
    t.fake.addProject('my-proj')
    t.fake.deniedPrincipals.add('test')
    const r = await t.gcp('bootstrap', ['--yes'])
    expectCleanError(r, 'PERMISSION_DENIED', 4)
    expect(r.stderr).toContain('Service Usage Admin')
    expect(t.fake.writes().every((w) => w.status === 403)).toBe(true)

    // Allowed to enable APIs and create the account, but not to set the project policy.
    t.fake.deniedPrincipals.clear()
    t.fake.clearLog()
    const {errors} = await import('../../helpers/fake-gcp.js')
    t.fake.inject({match: (x) => x.path.endsWith(':setIamPolicy'), action: {kind: 'respond', ...errors.crmDenied()}})
    const policy = await t.gcp('bootstrap', ['--yes', '--json'])
    expect(policy.code).toBe(4)
    expect(policy.json().error).toMatchObject({code: 'PERMISSION_DENIED'})
    expect(policy.json().error.message).toContain('granting roles on the project IAM policy')
    expect(policy.json().error.suggestions.join(' ')).toContain('Project IAM Admin')
    expect(t.fake.requests.filter((x) => x.path.endsWith(':setIamPolicy')).length).toBe(1)
    expect(t.fake.requests.some((x) => x.method === 'POST' && x.path.endsWith('/keys'))).toBe(false)
  })

  it('billing not enabled for a billable API', async () => {
    t = await gcpTestEnv()
    t.fake.addProject('my-proj', {billing: false})
    const r = await t.gcp('bootstrap', ['--yes', '--apis', 'iam,compute'])
    expectCleanError(r, 'BILLING_NOT_ENABLED', 4)
    expect(r.stderr).toContain('billing')
  })

  it('the 10-key limit, and --prune-keys deleting only keys dezc created', async () => {
    t = await gcpTestEnv()
    t.fake.addProject('my-proj')
    expect((await t.gcp('bootstrap', ['--yes'])).code).toBe(0)
    const account = t.fake.accounts.get(SA)!
    // Someone else's 9 keys fill the account; dezc's local key disappears.
    for (let i = 0; i < 9; i++)
      account.keys.set(`other${i}`, {
        name: `projects/my-proj/serviceAccounts/${SA}/keys/other${i}`,
        id: `other${i}`,
        validAfterTime: '2026-01-01T00:00:00Z',
        validBeforeTime: '9999-12-31T23:59:59Z',
      })
    fs.rmSync(path.join(t.keyDir, 'dezc-sa.json'))
    const r = await t.gcp('bootstrap', ['--yes'])
    expectCleanError(r, 'KEY_LIMIT_REACHED', 4)
    expect(r.stderr).toContain(`gcloud iam service-accounts keys list --iam-account ${SA}`)

    const pruned = await t.gcp('bootstrap', ['--yes', '--prune-keys'])
    expect(pruned.code, pruned.stderr).toBe(0)
    expect(account.keys.size).toBe(10)
    expect([...account.keys.keys()].filter((k) => k.startsWith('other')).length).toBe(9)
  })

  it("refuses to overwrite another account's key file, before changing anything", async () => {
    t = await gcpTestEnv()
    t.fake.addProject('my-proj')
    fs.mkdirSync(t.keyDir, {recursive: true})
    const other = JSON.stringify({
      type: 'service_account',
      client_email: 'someone@else.iam.gserviceaccount.com',
      private_key_id: 'abc',
    })
    fs.writeFileSync(path.join(t.keyDir, 'dezc-sa.json'), other)
    const r = await t.gcp('bootstrap', ['--yes'])
    expectCleanError(r, 'KEY_FILE_CONFLICT', 2)
    expect(r.stderr).toContain('someone@else.iam.gserviceaccount.com')
    expect(t.fake.writes()).toEqual([])
    expect(fs.readFileSync(path.join(t.keyDir, 'dezc-sa.json'), 'utf8')).toBe(other)
  })

  it('invalid project and account ids', async () => {
    t = await gcpTestEnv()
    const name = await runCli(['gcp', 'bootstrap', '--project', 'My Zoomcamp Project', '--yes'], {env: t.env})
    expectCleanError(name, 'INVALID_PROJECT_ID', 2)
    expect(name.stderr).toContain('project *name*')
    const sa = await t.gcp('bootstrap', ['--sa-name', 'SA_1', '--yes'])
    expectCleanError(sa, 'INVALID_ACCOUNT_ID', 2)
    const root = await t.gcp('status', ['--api-root', 'not a url'])
    expectCleanError(root, 'INVALID_API_ROOT', 2)
    expect(t.fake.requests).toEqual([])
  })

  it('no project anywhere and no TTY: asks for --project instead of hanging', async () => {
    t = await gcpTestEnv()
    const r = await runCli(['gcp', 'status'], {env: t.env})
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('[NON_INTERACTIVE]')
    expect(r.stderr).toContain('--project')
  })

  it('not logged in, an expired access token, and a revoked ADC refresh token', async () => {
    t = await gcpTestEnv()
    t.fake.addProject('my-proj')
    const none = await t.gcp('bootstrap', ['--yes'], {GOOGLE_OAUTH_ACCESS_TOKEN: ''})
    expectCleanError(none, 'NO_CREDENTIALS', 4)
    expect(none.stderr).toContain('gcloud auth application-default login')

    t.fake.expiredTokens.add('stale-token')
    const expired = await t.gcp('status', [], {GOOGLE_OAUTH_ACCESS_TOKEN: 'stale-token'})
    expectCleanError(expired, 'NOT_AUTHENTICATED', 4)
    assertNoSecrets(expired, 'stale-token')

    fs.mkdirSync(t.env.CLOUDSDK_CONFIG, {recursive: true})
    const adc = {
      type: 'authorized_user',
      client_id: 'cid.apps.googleusercontent.com',
      client_secret: 'sekrit',
      refresh_token: 'revoked-rt',
      account: 'student@example.com',
    }
    fs.writeFileSync(path.join(t.env.CLOUDSDK_CONFIG, 'application_default_credentials.json'), JSON.stringify(adc))
    t.fake.revokedRefreshTokens.add('revoked-rt')
    const revoked = await t.gcp('status', [], {GOOGLE_OAUTH_ACCESS_TOKEN: ''})
    expectCleanError(revoked, 'NOT_AUTHENTICATED', 4)
    expect(revoked.stderr).toContain('Token has been expired or revoked.')
    assertNoSecrets(revoked, 'sekrit', 'revoked-rt')
  })

  it('teardown needs a confirmation without a TTY, and changes nothing when not given', async () => {
    t = await gcpTestEnv()
    t.fake.addProject('my-proj')
    expect((await t.gcp('bootstrap', ['--yes'])).code).toBe(0)
    t.fake.clearLog()
    const r = await t.gcp('teardown', [])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('--yes')
    expect(t.fake.writes()).toEqual([])
  })
})

describe('gcp credentials from Application Default Credentials', () => {
  it('uses the ADC refresh token against the token endpoint under the API root, and its quota project as the project', async () => {
    t = await gcpTestEnv()
    t.fake.addProject('adc-proj-1')
    fs.mkdirSync(t.env.CLOUDSDK_CONFIG, {recursive: true})
    const adc = {
      type: 'authorized_user',
      client_id: 'cid.apps.googleusercontent.com',
      client_secret: 'sekrit',
      refresh_token: 'good-rt',
      quota_project_id: 'adc-proj-1',
      account: 'student@example.com',
    }
    fs.writeFileSync(path.join(t.env.CLOUDSDK_CONFIG, 'application_default_credentials.json'), JSON.stringify(adc))
    const env = {...t.env, GOOGLE_OAUTH_ACCESS_TOKEN: ''}
    const r = await runCli(['gcp', 'bootstrap', '--yes', '--json', '--verbose', '--key-dir', t.keyDir], {env})
    expect(r.code, r.stderr).toBe(0)
    expect(r.json().project).toBe('adc-proj-1')
    expect(t.fake.requests.filter((x) => x.api === 'oauth').length).toBe(1)
    assertNoSecrets(r, 'sekrit', 'good-rt', 'ya29.')
  })

  it('warns when GOOGLE_APPLICATION_CREDENTIALS is the very account being bootstrapped', async () => {
    t = await gcpTestEnv()
    t.fake.addProject('my-proj')
    expect((await t.gcp('bootstrap', ['--yes'])).code).toBe(0)
    const keyFile = path.join(t.keyDir, 'dezc-sa.json')
    // The account acts as itself: the fake denies it, like Google does for an SA without IAM admin rights.
    t.fake.deniedPrincipals.add(SA)
    const r = await t.gcp('bootstrap', ['--yes'], {
      GOOGLE_OAUTH_ACCESS_TOKEN: '',
      GOOGLE_APPLICATION_CREDENTIALS: keyFile,
    })
    expect(r.stderr).toContain(`GOOGLE_APPLICATION_CREDENTIALS points at the key of ${SA}`)
    expectCleanError(r, 'PERMISSION_DENIED', 4)
    assertNoSecrets(r)
    // The key file signed a real JWT the fake could read the issuer from.
    expect(t.fake.requests.at(-1)!.status).toBe(403)
  })
})

describe('gcp settings from dezc.yaml', () => {
  it('takes project, account name, roles and key dir from the gcp section; flags still win', async () => {
    t = await gcpTestEnv()
    t.fake.addProject('cfg-proj-1')
    t.fake.addProject('flag-proj-1')
    const keyDir = path.join(t.dir, 'cfg-keys')
    fs.writeFileSync(
      path.join(t.dir, 'dezc.yaml'),
      `gcp:\n  project: cfg-proj-1\n  serviceAccount: course-sa\n  roles: [roles/bigquery.admin]\n  keyDir: ${keyDir}\n`,
    )
    const r = await runCli(['gcp', 'bootstrap', '--yes', '--json'], {env: t.env, cwd: t.dir})
    expect(r.code, r.stderr).toBe(0)
    expect(r.json()).toMatchObject({
      project: 'cfg-proj-1',
      serviceAccount: 'course-sa@cfg-proj-1.iam.gserviceaccount.com',
      keyFile: path.join(keyDir, 'course-sa.json'),
    })
    expect(
      t.fake
        .policySnapshot('cfg-proj-1')
        .filter((b) => b.members.includes('serviceAccount:course-sa@cfg-proj-1.iam.gserviceaccount.com'))
        .map((b) => b.role),
    ).toEqual(['roles/bigquery.admin'])
    const flag = await runCli(['gcp', 'status', '--project', 'flag-proj-1', '--json'], {env: t.env, cwd: t.dir})
    expect(flag.json().project).toBe('flag-proj-1')
  })

  it('a typo in the gcp section is an error that names the file and line', async () => {
    t = await gcpTestEnv()
    fs.writeFileSync(path.join(t.dir, 'dezc.yaml'), 'gcp:\n  project: my-proj\n  serviceAcount: oops\n')
    const r = await runCli(['gcp', 'status'], {env: t.env, cwd: t.dir})
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/dezc\.yaml:\d+/)
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
  })
})
