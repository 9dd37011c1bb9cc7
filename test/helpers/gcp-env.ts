/** Per-test wiring for `dezc gcp` against the loopback FakeGcp: private HOME, key dir and state. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {FakeGcp, type FakeGcpOptions} from './fake-gcp.js'
import {runCli, type CliResult} from './cli.js'

// Never let a developer's real Google credentials or project leak into a test.
for (const v of [
  'GOOGLE_APPLICATION_CREDENTIALS',
  'GOOGLE_OAUTH_ACCESS_TOKEN',
  'GOOGLE_CLOUD_PROJECT',
  'CLOUDSDK_CORE_PROJECT',
  'CLOUDSDK_CONFIG',
  'GOOGLE_CLOUD_QUOTA_PROJECT',
  'DEZC_GOOGLE_API_ROOT',
])
  delete process.env[v]

export interface GcpTestEnv {
  fake: FakeGcp
  dir: string
  keyDir: string
  env: Record<string, string>
  /** `dezc gcp <verb> --project <p> --key-dir <dir> ...` against the fake. */
  gcp(verb: string, args?: string[], extraEnv?: Record<string, string>): Promise<CliResult>
  close(): Promise<void>
}

export async function gcpTestEnv(options: FakeGcpOptions & {project?: string} = {}): Promise<GcpTestEnv> {
  const fake = new FakeGcp(options)
  await fake.start()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-gcp-'))
  const keyDir = path.join(dir, 'gc')
  const env: Record<string, string> = {
    HOME: path.join(dir, 'home'),
    CLOUDSDK_CONFIG: path.join(dir, 'gcloud'),
    DEZC_DATA_DIR: path.join(dir, 'data'),
    DEZC_CONFIG_DIR: path.join(dir, 'config'),
    DEZC_CACHE_DIR: path.join(dir, 'cache'),
    DEZC_GOOGLE_API_ROOT: fake.url,
    DEZC_GCP_TIME_SCALE: '0.005',
    GOOGLE_OAUTH_ACCESS_TOKEN: 'test',
  }
  fs.mkdirSync(env.HOME, {recursive: true})
  const project = options.project ?? 'my-proj'
  return {
    fake,
    dir,
    keyDir,
    env,
    gcp: (verb, args = [], extraEnv = {}) =>
      runCli(['gcp', verb, '--project', project, '--key-dir', keyDir, ...args], {env: {...env, ...extraEnv}, cwd: dir}),
    async close() {
      await fake.stop()
      fs.rmSync(dir, {recursive: true, force: true})
    },
  }
}

/** Output must never carry a private key or an access token. */
export function assertNoSecrets(r: CliResult, ...tokens: string[]): void {
  const all = r.stdout + r.stderr
  if (/PRIVATE KEY|privateKeyData|private_key"/.test(all)) throw new Error(`output holds key material:\n${all}`)
  for (const t of tokens) if (all.includes(t)) throw new Error(`output holds the token ${t}`)
}
