import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {assertNoSecrets, gcpTestEnv, type GcpTestEnv} from '../../helpers/gcp-env.js'

const SA = 'dezc-sa@my-proj.iam.gserviceaccount.com'
const ROLES = ['roles/viewer', 'roles/storage.admin', 'roles/storage.objectAdmin', 'roles/bigquery.admin']
let t: GcpTestEnv

afterEach(async () => {
  await t?.close()
})

/** A project with every API on and an account made in the console (roles/viewer, one key of its own). */
async function handMadeAccount(): Promise<void> {
  await t.close()
  t = await gcpTestEnv()
  const {CONSOLE_DEFAULT_SERVICES} = await import('../../helpers/fake-gcp.js')
  t.fake.addProject('my-proj', {
    services: [
      ...CONSOLE_DEFAULT_SERVICES,
      'iam.googleapis.com',
      'iamcredentials.googleapis.com',
      'cloudresourcemanager.googleapis.com',
    ],
    bindings: [
      {role: 'roles/owner', members: ['user:student@example.com']},
      {role: 'roles/viewer', members: [`serviceAccount:${SA}`]},
    ],
  })
  const handKey = {
    name: `projects/my-proj/serviceAccounts/${SA}/keys/handmade`,
    id: 'handmade',
    validAfterTime: '2026-01-01T00:00:00Z',
    validBeforeTime: '9999-12-31T23:59:59Z',
  }
  t.fake.accounts.set(SA, {
    email: SA,
    project: 'my-proj',
    uniqueId: '4242',
    displayName: 'made in the console',
    keys: new Map([['handmade', handKey]]),
    hiddenReads: 0,
    unknownToPolicy: 0,
  })
}

describe('gcp bootstrap / status / teardown against the loopback Google APIs', () => {
  beforeEach(async () => {
    t = await gcpTestEnv({newAccountHiddenReads: 2, operationPolls: 2})
    t.fake.addProject('my-proj', {
      bindings: [
        {role: 'roles/owner', members: ['user:student@example.com']},
        {role: 'roles/viewer', members: ['user:friend@example.com']},
        {
          role: 'roles/storage.admin',
          members: ['user:friend@example.com'],
          condition: {title: 'tmp', expression: 'resource.name.startsWith("projects/_/buckets/tmp")'},
        },
      ],
    })
  })

  it('bootstraps, re-runs without a single write, reports status, and tears down to the original policy', async () => {
    const before = t.fake.policySnapshot('my-proj')

    const first = await t.gcp('bootstrap', ['--yes', '--json'])
    expect(first.code, first.stderr).toBe(0)
    assertNoSecrets(first, 'test')
    const out = first.json()
    expect(out.steps.map((s: {step: string; outcome: string}) => `${s.step}:${s.outcome}`)).toEqual([
      'apis:changed',
      'account:created',
      'roles:changed',
      'key:created',
    ])
    expect(out.steps[0].items.sort()).toEqual([
      'cloudresourcemanager.googleapis.com',
      'iam.googleapis.com',
      'iamcredentials.googleapis.com',
    ])
    // The APIs were enabled through a long-running operation that was polled to completion.
    expect(t.fake.requests.filter((r) => r.path.startsWith('/v1/operations/')).length).toBeGreaterThanOrEqual(2)
    expect([...t.fake.projects.get('my-proj')!.services]).toEqual(
      expect.arrayContaining([
        'iam.googleapis.com',
        'iamcredentials.googleapis.com',
        'cloudresourcemanager.googleapis.com',
      ]),
    )
    // The account was invisible for two reads after creation; bootstrap waited.
    expect(
      t.fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith(SA) && r.status === 404).length,
    ).toBeGreaterThanOrEqual(2)

    // Roles granted unconditionally; the conditional binding and everyone else untouched.
    const policy = t.fake.projects.get('my-proj')!.policy
    for (const role of ROLES)
      expect(
        policy.bindings.some((b) => b.role === role && !b.condition && b.members.includes(`serviceAccount:${SA}`)),
        role,
      ).toBe(true)
    expect(policy.bindings.find((b) => b.condition)).toEqual(before.find((b) => b.condition))
    expect(policy.bindings.find((b) => b.role === 'roles/viewer')!.members).toContain('user:friend@example.com')
    // Written with policy version 3 and the etag it read.
    const set = t.fake.requests.find((r) => r.path.endsWith(':setIamPolicy'))!
    expect((set.body as any).policy.version).toBe(3)
    expect((set.body as any).policy.etag).toBe('ACAB')

    // Exactly one key, in a 0600 file, in the real key-file format with a usable RSA key.
    const keyFile = path.join(t.keyDir, 'dezc-sa.json')
    expect(out.keyFile).toBe(keyFile)
    expect(out.export).toBe(`export GOOGLE_APPLICATION_CREDENTIALS=${keyFile}`)
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600)
    expect(fs.statSync(t.keyDir).mode & 0o777).toBe(0o700)
    const key = JSON.parse(fs.readFileSync(keyFile, 'utf8'))
    expect(key).toMatchObject({
      type: 'service_account',
      project_id: 'my-proj',
      client_email: SA,
      token_uri: 'https://oauth2.googleapis.com/token',
    })
    const signature = crypto.sign('sha256', Buffer.from('x'), key.private_key)
    expect(signature.length).toBe(256)
    const account = t.fake.accounts.get(SA)!
    expect([...account.keys.keys()]).toEqual([key.private_key_id])

    // Second run: reads only, no key.
    t.fake.clearLog()
    const second = await t.gcp('bootstrap', ['--yes', '--json'])
    expect(second.code, second.stderr).toBe(0)
    expect(second.json().steps.map((s: {outcome: string}) => s.outcome)).toEqual([
      'already there',
      'already there',
      'already there',
      'already there',
    ])
    expect(t.fake.writes()).toEqual([])
    expect(t.fake.requests.length).toBeGreaterThan(0)
    expect(account.keys.size).toBe(1)
    expect(fs.readFileSync(keyFile, 'utf8')).toBe(JSON.stringify(key, null, 2) + '\n')

    // Human output of a re-run: the export line on stdout, progress on stderr.
    const human = await t.gcp('bootstrap', ['--yes'])
    expect(human.code).toBe(0)
    expect(human.stdout.trim().split('\n').pop()).toBe(`export GOOGLE_APPLICATION_CREDENTIALS=${keyFile}`)
    expect(human.stderr).toContain('already there')

    const status = await t.gcp('status', ['--json'])
    expect(status.code, status.stderr).toBe(0)
    const st = status.json()
    expect(st.ok).toBe(true)
    expect(st.apis.every((a: {enabled: boolean}) => a.enabled)).toBe(true)
    expect(st.account.exists).toBe(true)
    expect(st.roles.every((r: {granted: boolean}) => r.granted)).toBe(true)
    expect(st.key).toMatchObject({state: 'valid', keyId: key.private_key_id})

    // Teardown --dry-run: the plan and its gcloud commands; no write, the key file stays.
    t.fake.clearLog()
    const dry = await t.gcp('teardown', ['--dry-run', '--json'])
    expect(dry.code, dry.stderr).toBe(0)
    const plan = dry.json().plan as Array<{step: string; action: string; gcloud: string[]}>
    expect(plan.map((p) => [p.step, p.action])).toEqual([
      ['roles', 'change'],
      ['key', 'change'],
      ['account', 'change'],
      ['keyfile', 'change'],
    ])
    expect(plan.flatMap((p) => p.gcloud)).toContain(
      `gcloud iam service-accounts delete ${SA} --project my-proj --quiet`,
    )
    expect(plan.flatMap((p) => p.gcloud)).toContain(
      `gcloud iam service-accounts keys delete ${key.private_key_id} --iam-account ${SA} --quiet`,
    )
    expect(t.fake.writes()).toEqual([])
    expect(fs.existsSync(keyFile)).toBe(true)

    const down = await t.gcp('teardown', ['--yes', '--json'])
    expect(down.code, down.stderr).toBe(0)
    expect(t.fake.policySnapshot('my-proj')).toEqual(before)
    expect(t.fake.accounts.has(SA)).toBe(false)
    expect(fs.existsSync(keyFile)).toBe(false)

    // Teardown again: nothing left to remove, no write.
    t.fake.clearLog()
    const downAgain = await t.gcp('teardown', ['--yes', '--json'])
    expect(downAgain.code, downAgain.stderr).toBe(0)
    expect(downAgain.json().steps.map((s: {outcome: string}) => s.outcome)).toEqual([
      'not found',
      'not found',
      'not found',
      'not found',
    ])
    expect(t.fake.writes()).toEqual([])

    const after = await t.gcp('status', ['--json'])
    expect(after.code).toBe(5)
    expect(after.json()).toMatchObject({ok: false, account: {exists: false}, key: {state: 'missing'}})
  })

  it("retries a concurrent policy change (409 ABORTED) by redoing the whole read-modify-write, keeping the other writer's change", async () => {
    t.fake.inject({match: (r) => r.path.endsWith(':setIamPolicy'), action: {kind: 'concurrent-policy-change'}})
    const r = await t.gcp('bootstrap', ['--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const sets = t.fake.requests.filter((x) => x.path.endsWith(':setIamPolicy'))
    expect(sets.map((x) => x.status)).toEqual([409, 200])
    expect(t.fake.requests.filter((x) => x.path.endsWith(':getIamPolicy')).length).toBe(2)
    const bindings = t.fake.projects.get('my-proj')!.policy.bindings
    expect(bindings.find((b) => b.role === 'roles/browser')!.members).toEqual(['user:colleague@example.com'])
    expect(bindings.find((b) => b.role === 'roles/bigquery.admin')!.members).toEqual([`serviceAccount:${SA}`])
  })

  it('waits for a new account the policy does not know yet (400 "does not exist"), then grants', async () => {
    await t.close()
    t = await gcpTestEnv({newAccountUnknownToPolicy: 2})
    t.fake.addProject('my-proj')
    const r = await t.gcp('bootstrap', ['--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(t.fake.requests.filter((x) => x.path.endsWith(':setIamPolicy')).map((x) => x.status)).toEqual([
      400, 400, 200,
    ])
  })

  it('a dropped connection mid-way fails clearly; the next run resumes and teardown still restores the policy', async () => {
    const before = t.fake.policySnapshot('my-proj')
    t.fake.inject({match: (r) => r.path.endsWith(':setIamPolicy'), action: {kind: 'drop'}})
    const r = await t.gcp('bootstrap', ['--yes'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('[NETWORK_ERROR]')
    expect(r.stderr).toContain('resumes where it stopped')
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(fs.existsSync(path.join(t.keyDir, 'dezc-sa.json'))).toBe(false)

    t.fake.clearLog()
    const again = await t.gcp('bootstrap', ['--yes', '--json'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.json().steps.map((s: {outcome: string}) => s.outcome)).toEqual([
      'already there',
      'already there',
      'changed',
      'created',
    ])
    // Nothing already done was repeated.
    expect(t.fake.writes().map((w) => `${w.method} ${w.path.replace(SA, 'SA')}`)).toEqual([
      'POST /v1/projects/my-proj:setIamPolicy',
      'POST /v1/projects/-/serviceAccounts/SA/keys',
    ])

    expect((await t.gcp('teardown', ['--yes'])).code).toBe(0)
    expect(t.fake.policySnapshot('my-proj')).toEqual(before)
  })

  it('waits out SERVICE_DISABLED for an API it just enabled (propagation), but not for one it did not', async () => {
    const project = t.fake.projects.get('my-proj')!
    const {errors} = await import('../../helpers/fake-gcp.js')
    const disabled = errors.serviceDisabled('iam.googleapis.com', project.number)
    t.fake.inject({
      match: (r) => r.method === 'GET' && r.path.endsWith(SA),
      action: {kind: 'respond', ...disabled},
      times: 2,
    })
    const r = await t.gcp('bootstrap', ['--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json().steps[0].items).toContain('iam.googleapis.com')
    expect(t.fake.requests.filter((x) => x.status === 403).length).toBe(2)

    // Already enabled before this run: a SERVICE_DISABLED is reported at once, with the link.
    t.fake.clearLog()
    t.fake.inject({
      match: (r) => r.method === 'GET' && r.path.endsWith(SA),
      action: {kind: 'respond', ...disabled},
      times: 5,
    })
    const again = await t.gcp('bootstrap', ['--yes'])
    expect(again.code).toBe(4)
    expect(again.stderr).toContain('[API_NOT_ENABLED]')
    expect(t.fake.requests.filter((x) => x.status === 403).length).toBe(1)
  })

  it('status on an untouched project lists what is missing and exits 5', async () => {
    const r = await t.gcp('status', ['--json'])
    expect(r.code).toBe(5)
    const st = r.json()
    expect(st.ok).toBe(false)
    expect(
      st.apis
        .filter((a: {enabled: boolean}) => !a.enabled)
        .map((a: {name: string}) => a.name)
        .sort(),
    ).toEqual(['cloudresourcemanager.googleapis.com', 'iam.googleapis.com', 'iamcredentials.googleapis.com'])
    // With the IAM and Resource Manager APIs off, the account and roles cannot be checked: unknown, not "ok".
    expect(st.account.exists).toBeNull()
    expect(st.roles.every((x: {granted: boolean | null}) => x.granted === null)).toBe(true)
    expect(st.unknown.join(' ')).toContain('not enabled')
    expect(st.key.state).toBe('missing')
    expect(t.fake.writes()).toEqual([])
    const human = await t.gcp('status', [])
    expect(human.code).toBe(5)
    expect(human.stdout).toContain('MISSING iam.googleapis.com')
    expect(human.stdout).toContain('dezc gcp bootstrap --project my-proj')
  })

  it('Ctrl-C while waiting on the enable operation exits 130 without a stack trace; the next run resumes', async () => {
    await t.close()
    t = await gcpTestEnv({operationPolls: 1_000_000})
    t.fake.addProject('my-proj')
    const fake = t.fake
    let sent = false
    const r = await runCli(['gcp', 'bootstrap', '--project', 'my-proj', '--key-dir', t.keyDir, '--yes'], {
      env: {...t.env, DEZC_GCP_TIME_SCALE: '0.05'},
      cwd: t.dir,
      onSpawn: (child) => {
        const timer = setInterval(() => {
          if (fake.requests.some((x) => x.path.startsWith('/v1/operations/'))) {
            clearInterval(timer)
            sent = child.kill('SIGINT')
          }
        }, 20)
        child.on('close', () => clearInterval(timer))
      },
    })
    expect(sent).toBe(true)
    expect(r.code, r.stderr).toBe(130)
    expect(r.stderr).toContain('[INTERRUPTED]')
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
    // Stopped in step 1: no account, no binding, no key.
    expect(fake.writes().map((w) => w.path)).toEqual(['/v1/projects/my-proj/services:batchEnable'])
    expect(fs.existsSync(path.join(t.keyDir, 'dezc-sa.json'))).toBe(false)

    fake.options.operationPolls = 0
    fake.clearLog()
    const again = await t.gcp('bootstrap', ['--yes', '--json'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.json().steps.map((s: {outcome: string}) => s.outcome)).toEqual([
      'changed',
      'created',
      'changed',
      'created',
    ])
  })

  it('adopts an account made by hand: teardown removes only the bindings and keys dezc added and keeps the account', async () => {
    await handMadeAccount()
    const before = t.fake.policySnapshot('my-proj')

    const r = await t.gcp('bootstrap', ['--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const steps = r.json().steps
    expect(steps.map((s: {step: string; outcome: string}) => `${s.step}:${s.outcome}`)).toEqual([
      'apis:already there',
      'account:already there',
      'roles:changed',
      'key:created',
    ])
    // roles/viewer was already held: not counted as added.
    expect(steps[2].items.sort()).toEqual(['roles/bigquery.admin', 'roles/storage.admin', 'roles/storage.objectAdmin'])
    expect(t.fake.accounts.get(SA)!.keys.size).toBe(2)

    const down = await t.gcp('teardown', ['--yes', '--json'])
    expect(down.code, down.stderr).toBe(0)
    expect(down.json().steps.find((s: {step: string}) => s.step === 'account').outcome).toBe('kept')
    expect(t.fake.policySnapshot('my-proj')).toEqual(before)
    expect(t.fake.accounts.has(SA)).toBe(true)
    expect([...t.fake.accounts.get(SA)!.keys.keys()]).toEqual(['handmade'])
    expect(fs.existsSync(path.join(t.keyDir, 'dezc-sa.json'))).toBe(false)
  })

  it("a key request whose answer was lost: the next run counts that key as dezc's, and teardown removes it", async () => {
    await handMadeAccount()
    const keys = t.fake.accounts.get(SA)!.keys
    t.fake.inject({match: (r) => r.method === 'POST' && r.path.endsWith('/keys'), action: {kind: 'drop-after'}})
    const lost = await t.gcp('bootstrap', ['--yes'])
    expect(lost.code).toBe(1)
    expect(lost.stderr).toContain('[NETWORK_ERROR]')
    expect(keys.size).toBe(2)
    const orphan = [...keys.keys()].find((k) => k !== 'handmade')!
    expect(fs.existsSync(path.join(t.keyDir, 'dezc-sa.json'))).toBe(false)

    const again = await t.gcp('bootstrap', ['--yes'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).toContain(`made key ${orphan}`)
    expect(keys.size).toBe(3)

    expect((await t.gcp('teardown', ['--yes'])).code).toBe(0)
    expect([...keys.keys()]).toEqual(['handmade'])
    expect(t.fake.accounts.has(SA)).toBe(true)
  })

  it('--dry-run shows the plan and gcloud commands and changes nothing', async () => {
    const r = await t.gcp('bootstrap', ['--dry-run'])
    expect(r.code, r.stderr).toBe(0)
    expect(t.fake.writes()).toEqual([])
    expect(r.stdout).toContain(
      'gcloud services enable iam.googleapis.com iamcredentials.googleapis.com cloudresourcemanager.googleapis.com --project my-proj',
    )
    expect(r.stdout).toContain('gcloud iam service-accounts create dezc-sa --project my-proj')
    expect(r.stdout).toContain(
      `gcloud projects add-iam-policy-binding my-proj --member serviceAccount:${SA} --role roles/bigquery.admin --condition None`,
    )
    expect(r.stdout).toContain(
      `gcloud iam service-accounts keys create ${path.join(t.keyDir, 'dezc-sa.json')} --iam-account ${SA}`,
    )
    expect(fs.existsSync(t.keyDir)).toBe(false)

    expect((await t.gcp('bootstrap', ['--yes'])).code).toBe(0)
    t.fake.clearLog()
    const done = await t.gcp('bootstrap', ['--dry-run', '--json'])
    expect(done.json().plan.every((p: {action: string}) => p.action === 'none')).toBe(true)
    expect(t.fake.writes()).toEqual([])
  })

  it('--write-env writes the export line once, and custom --roles/--apis/--sa-name are honoured', async () => {
    const envFile = path.join(t.dir, '.env')
    fs.writeFileSync(envFile, 'FOO=1\nexport GOOGLE_APPLICATION_CREDENTIALS=/old/key.json\n')
    const r = await t.gcp('bootstrap', [
      '--yes',
      '--json',
      '--write-env',
      envFile,
      '--sa-name',
      'zoomcamp-sa',
      '--roles',
      'storage.admin,roles/bigquery.admin',
      '--apis',
      'iam',
      '--apis',
      'cloudresourcemanager',
    ])
    expect(r.code, r.stderr).toBe(0)
    const keyFile = path.join(t.keyDir, 'zoomcamp-sa.json')
    expect(fs.readFileSync(envFile, 'utf8')).toBe(`FOO=1\nexport GOOGLE_APPLICATION_CREDENTIALS=${keyFile}\n`)
    const email = 'zoomcamp-sa@my-proj.iam.gserviceaccount.com'
    const roles = t.fake.projects
      .get('my-proj')!
      .policy.bindings.filter((b) => b.members.includes(`serviceAccount:${email}`))
      .map((b) => b.role)
    expect(roles.sort()).toEqual(['roles/bigquery.admin', 'roles/storage.admin'])
    expect(t.fake.projects.get('my-proj')!.services.has('iamcredentials.googleapis.com')).toBe(false)
  })

  it("replaces a local key that was deleted on Google's side, without piling up keys", async () => {
    expect((await t.gcp('bootstrap', ['--yes'])).code).toBe(0)
    const keyFile = path.join(t.keyDir, 'dezc-sa.json')
    const oldId = JSON.parse(fs.readFileSync(keyFile, 'utf8')).private_key_id
    t.fake.accounts.get(SA)!.keys.delete(oldId)
    const r = await t.gcp('bootstrap', ['--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const newId = JSON.parse(fs.readFileSync(keyFile, 'utf8')).private_key_id
    expect(newId).not.toBe(oldId)
    expect([...t.fake.accounts.get(SA)!.keys.keys()]).toEqual([newId])
  })
})
