/**
 * bench/gcp: API calls and wall time of `dezc gcp bootstrap` against the loopback fake of the Google
 * APIs (test/helpers/fake-gcp.ts), for a cold project and for an idempotent re-run, next to the
 * equivalent gcloud command sequence (what `dezc gcp bootstrap --dry-run` prints) replayed as the
 * same REST calls against the same fake.
 *
 * What is compared, plainly:
 *  - dezc: the real built CLI (`node bin/run.js gcp bootstrap --json`), one process per run,
 *    process start included. Backoff delays are real (DEZC_GCP_TIME_SCALE=1).
 *  - gcloud: gcloud is not installed here (no network), so its 7 commands are replayed as the REST
 *    calls they make (from the gcloud SDK source: `services enable` = batchEnable + operation polls
 *    at 2 s; `iam service-accounts create` = one create, 409 fatal; each `projects
 *    add-iam-policy-binding` = getIamPolicy + setIamPolicy, set unconditionally; `keys create` = one
 *    create), by this script with fetch. That column counts calls exactly but its wall time leaves
 *    out gcloud's own start-up (about a second per command on typical machines; not measured here).
 *  - The fake answers at once; `--latency MS` delays every answer to stand in for the round trip to
 *    googleapis.com. Operations finish on the first poll; a new account is invisible for one read.
 * Usage: bench/gcp [--runs N] [--latency MS]
 */
import {spawn, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {FakeGcp, type LoggedRequest} from '../test/helpers/fake-gcp.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const arg = (name: string, dflt: number) =>
  process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt
const runs = arg('--runs', 3)
const latencies = process.argv.includes('--latency') ? [arg('--latency', 0)] : [0, 50]
const PROJECT = 'bench-proj'
const SA = `dezc-sa@${PROJECT}.iam.gserviceaccount.com`
const APIS = ['iam', 'iamcredentials', 'cloudresourcemanager', 'storage', 'bigquery'].map((a) => `${a}.googleapis.com`)
const ROLES = ['roles/viewer', 'roles/storage.admin', 'roles/storage.objectAdmin', 'roles/bigquery.admin']

interface Sample {
  ms: number
  calls: number
  writes: number
  /** Answers >= 400 (dezc: waits it chose to make; the gcloud script: a step that failed). */
  errors: number
  keys: number
}

function counts(requests: LoggedRequest[]): {calls: number; writes: number; errors: number} {
  const api = requests.filter((r) => r.api !== 'oauth')
  return {
    calls: api.length,
    writes: api.filter((r) => r.write).length,
    errors: api.filter((r) => (r.status ?? 0) >= 400).length,
  }
}

async function newFake(latencyMs: number): Promise<FakeGcp> {
  const fake = new FakeGcp({operationPolls: 1, newAccountHiddenReads: 1, latencyMs})
  await fake.start()
  fake.addProject(PROJECT)
  return fake
}

/** One `dezc gcp bootstrap --json` process against the fake (HOME, state and key dir under `dir`). */
async function dezc(fake: FakeGcp, dir: string): Promise<Sample> {
  fake.clearLog()
  const env = {
    ...process.env,
    HOME: path.join(dir, 'home'),
    DEZC_DATA_DIR: path.join(dir, 'data'),
    DEZC_CONFIG_DIR: path.join(dir, 'config'),
    DEZC_CACHE_DIR: path.join(dir, 'cache'),
    CLOUDSDK_CONFIG: path.join(dir, 'gcloud'),
    DEZC_GOOGLE_API_ROOT: fake.url,
    DEZC_GCP_TIME_SCALE: '1',
    GOOGLE_OAUTH_ACCESS_TOKEN: 'bench',
    NODE_ENV: 'production',
    CI: 'true',
  }
  const t0 = process.hrtime.bigint()
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'bin/run.js'),
      'gcp',
      'bootstrap',
      '--project',
      PROJECT,
      '--key-dir',
      path.join(dir, 'gc'),
      '--yes',
      '--json',
    ],
    {env, stdio: ['ignore', 'pipe', 'pipe']},
  )
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (code !== 0) throw new Error(`dezc gcp bootstrap failed (${code}):\n${out}`)
  return {ms, ...counts(fake.requests), keys: fake.accounts.get(SA)?.keys.size ?? 0}
}

/** The gcloud sequence from `--dry-run`, as the REST calls gcloud makes (see the header). */
async function gcloudReplay(fake: FakeGcp, dir: string): Promise<Sample> {
  fake.clearLog()
  const call = async (method: string, p: string, body?: unknown): Promise<{status: number; json: any}> => {
    const res = await fetch(fake.url + p, {
      method,
      headers: {authorization: 'Bearer bench', 'content-type': 'application/json'},
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return {status: res.status, json: await res.json()}
  }
  const t0 = process.hrtime.bigint()
  // gcloud services enable <5 apis>
  let op = (await call('POST', `/v1/projects/${PROJECT}/services:batchEnable`, {serviceIds: APIS})).json
  let delay = 2000
  while (!op.done) {
    await new Promise((r) => setTimeout(r, delay))
    delay = Math.min(delay * 1.1, 10_000)
    op = (await call('GET', `/v1/${op.name}`)).json
  }
  // gcloud iam service-accounts create dezc-sa (409 on a re-run: the script must tolerate it)
  await call('POST', `/v1/projects/${PROJECT}/serviceAccounts`, {
    accountId: 'dezc-sa',
    serviceAccount: {displayName: 'dezc'},
  })
  // 4 x gcloud projects add-iam-policy-binding (get + set each; gcloud retries the pair on 409)
  for (const role of ROLES) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const policy = (
        await call('POST', `/v1/projects/${PROJECT}:getIamPolicy`, {options: {requestedPolicyVersion: 3}})
      ).json
      const bindings = policy.bindings ?? []
      const b = bindings.find((x: any) => x.role === role && !x.condition)
      if (b) {
        if (!b.members.includes(`serviceAccount:${SA}`)) b.members.push(`serviceAccount:${SA}`)
      } else bindings.push({role, members: [`serviceAccount:${SA}`]})
      const set = await call('POST', `/v1/projects/${PROJECT}:setIamPolicy`, {
        policy: {...policy, bindings, version: 3},
        updateMask: 'bindings,etag',
      })
      if (set.status === 200) break
      // A new account unknown to IAM yet (400): gcloud does not retry this; a script would fail here.
      if (set.status !== 409) break
    }
  }
  // gcloud iam service-accounts keys create FILE --iam-account SA ; chmod 600 FILE
  // Right after the create the account may still be invisible: gcloud fails this step then.
  const key = await call('POST', `/v1/projects/-/serviceAccounts/${SA}/keys`, {
    privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE',
  })
  if (key.status === 200) {
    fs.mkdirSync(path.join(dir, 'gc-gcloud'), {recursive: true})
    fs.writeFileSync(path.join(dir, 'gc-gcloud', 'key.json'), Buffer.from(key.json.privateKeyData, 'base64'), {
      mode: 0o600,
    })
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  return {ms, ...counts(fake.requests), keys: fake.accounts.get(SA)?.keys.size ?? 0}
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Per run: a fresh project, then the cold run and two re-runs on it. */
async function scenario(latency: number, who: 'dezc' | 'gcloud'): Promise<Sample[][]> {
  const rows: Sample[][] = [[], [], []]
  for (let i = 0; i < runs; i++) {
    const fake = await newFake(latency)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-bench-gcp-'))
    try {
      const run = who === 'dezc' ? dezc : gcloudReplay
      for (const row of rows) row.push(await run(fake, dir))
    } finally {
      await fake.stop()
      fs.rmSync(dir, {recursive: true, force: true})
    }
  }
  return rows
}

function line(label: string, xs: Sample[]): string {
  const s = xs[0]
  const same = xs.every(
    (x) => x.calls === s.calls && x.writes === s.writes && x.errors === s.errors && x.keys === s.keys,
  )
  const cols = [s.calls, s.writes, s.errors, s.keys].map((n) => String(n).padStart(6)).join('')
  return `  ${label.padEnd(36)}${cols} ${median(xs.map((x) => x.ms))
    .toFixed(0)
    .padStart(8)} ms${same ? '' : '  (counts varied between runs)'}`
}

// The CLI must be built (bench/gcp builds it when dist/ is missing).
if (!fs.existsSync(path.join(root, 'dist/commands/gcp/bootstrap.js'))) {
  const b = spawnSync('npm', ['run', '--silent', 'build'], {cwd: root, stdio: 'inherit'})
  if (b.status !== 0) process.exit(1)
}

/** Median wall time of `dezc --version`: the process start every dezc row pays. */
function startMs(): number {
  const t: number[] = []
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint()
    spawnSync(process.execPath, [path.join(root, 'bin/run.js'), '--version'], {stdio: 'ignore'})
    t.push(Number(process.hrtime.bigint() - t0) / 1e6)
  }
  return median(t)
}

console.log(
  `bench/gcp: ${runs} run(s) per row (fresh project each), median wall time. Fake: operations finish on the first poll, a new account is hidden for one read.`,
)
console.log(`dezc --version (process start alone): ${startMs().toFixed(0)} ms`)
for (const latency of latencies) {
  const d = await scenario(latency, 'dezc')
  const g = await scenario(latency, 'gcloud')
  console.log(`\nper-request latency ${latency} ms              calls writes errors  keys      wall`)
  const labels = ['cold', 're-run', 're-run again']
  d.forEach((xs, i) => console.log(line(`dezc gcp bootstrap, ${labels[i]}`, xs)))
  g.forEach((xs, i) => console.log(line(`gcloud sequence (replay), ${labels[i]}`, xs)))
  const ms = (xs: Sample[]) => median(xs.map((x) => x.ms))
  console.log(
    `  cold: calls dezc/gcloud ${(d[0][0].calls / g[0][0].calls).toFixed(2)}, writes ${(d[0][0].writes / g[0][0].writes).toFixed(2)}, wall ${(ms(d[0]) / ms(g[0])).toFixed(2)} (dezc includes its process start; the replay leaves out 7 gcloud process starts)`,
  )
  console.log(
    `  re-run: writes dezc ${d[1][0].writes} vs gcloud ${g[1][0].writes}; keys on the account after three runs: dezc ${d[2][0].keys}, gcloud ${g[2][0].keys}`,
  )
}
