/**
 * `dezc tf plan|apply|destroy` through the built CLI with a STAND-IN terraform first on PATH
 * (test/helpers/standin-terraform.ts): it records argv, cwd and environment and plays back exit
 * codes and output. What is tested is dezc's side of the contract, not terraform, in the cases the
 * real terraform cannot produce here: the Google provider's errors (the provider is not
 * obtainable), a terraform older than 1.0, a slow stop after Ctrl-C, the exact argv and
 * environment. Plan exit codes, apply, destroy, the state lock, Ctrl-C and an unreachable registry
 * against the real terraform are in real-terraform.test.ts.
 */
import fs from 'node:fs'
import path from 'node:path'
import {beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {createStandinTerraform, pathWithout, type Standin} from '../../helpers/standin-terraform.js'
import {makeTempDir} from '../../helpers/tmp.js'

let template: string
let keyFile: string
let home: string
let dir: string
let tf: Standin

const OUTPUTS = {
  bucket_name: {sensitive: false, type: 'string', value: 'my-proj-123-dezc-data-lake'},
  dataset_id: {sensitive: false, type: 'string', value: 'trips_data_all'},
  secret_thing: {sensitive: true, type: 'string', value: 'do-not-print'},
}

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  HOME: home,
  PATH: pathWithout([tf.binDir]),
  GOOGLE_APPLICATION_CREDENTIALS: '',
  ...extra,
})
const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
  runCli(['tf', ...args, '--dir', dir], {env: env(extra), cwd: home})

beforeAll(async () => {
  // One generated directory (with the bootstrap key named in its tfvars), copied fresh for each test.
  home = makeTempDir('dezc-tf-run-home-')
  keyFile = path.join(home, '.gc', 'my-proj-123.json')
  fs.mkdirSync(path.dirname(keyFile), {recursive: true})
  fs.writeFileSync(
    keyFile,
    JSON.stringify({
      type: 'service_account',
      project_id: 'my-proj-123',
      client_email: 'dezc@my-proj-123.iam.gserviceaccount.com',
      private_key: 'SECRET',
    }),
    {mode: 0o600},
  )
  template = path.join(home, 'template')
  const r = await runCli(['tf', 'init', '--dir', template, '--project', 'my-proj-123', '--skip-terraform-init'], {
    env: {HOME: home, PATH: pathWithout(), GOOGLE_APPLICATION_CREDENTIALS: ''},
    cwd: home,
  })
  expect(r.code, r.stderr).toBe(0)
})

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(home, 'run-'))
  fs.cpSync(template, dir, {recursive: true})
  tf = createStandinTerraform()
})

describe('dezc tf apply (stand-in terraform)', () => {
  it('--yes: terraform init, apply -auto-approve, output -json, each in the dir with the key as GOOGLE_APPLICATION_CREDENTIALS; outputs in --json with sensitive ones masked', async () => {
    tf.setScenario({
      steps: {
        apply: {
          stdout:
            'Plan: 2 to add, 0 to change, 0 to destroy.\nApply complete! Resources: 2 added, 0 changed, 0 destroyed.\n',
        },
        output: {stdout: JSON.stringify(OUTPUTS)},
      },
    })
    const r = await cli(['apply', '--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(tf.runs().map((c) => c.argv)).toEqual([
      ['init', '-no-color', '-input=false'],
      ['apply', '-no-color', '-input=false', '-auto-approve'],
      ['output', '-json'],
    ])
    for (const c of tf.runs()) {
      expect(c.cwd).toBe(dir)
      expect(c.env).toMatchObject({GOOGLE_APPLICATION_CREDENTIALS: keyFile, TF_IN_AUTOMATION: '1', TF_INPUT: '0'})
    }
    const out = r.json()
    expect(out).toMatchObject({
      action: 'apply',
      dir,
      credentials: keyFile,
      changed: true,
      plan: {add: 2, change: 0, destroy: 0},
      terraform: {version: '1.11.4', path: tf.exe},
    })
    expect(out.outputs).toEqual({
      bucket_name: 'my-proj-123-dezc-data-lake',
      dataset_id: 'trips_data_all',
      secret_thing: '(sensitive)',
    })
    // terraform's own output went to stderr, so stdout is only the JSON result
    expect(r.stderr).toContain('Apply complete!')
    expect(r.stdout + r.stderr).not.toContain('do-not-print')
    expect(r.stdout + r.stderr).not.toContain('SECRET')
  })

  it('human output: a summary of terraform output -json; an initialised dir is not re-initialised', async () => {
    tf.setScenario({steps: {output: {stdout: JSON.stringify(OUTPUTS)}}})
    fs.mkdirSync(path.join(dir, '.terraform', 'providers'), {recursive: true})
    fs.writeFileSync(path.join(dir, '.terraform.lock.hcl'), '')
    const r = await cli(['apply', '--yes'])
    expect(r.code, r.stderr).toBe(0)
    expect(tf.runs().map((c) => c.argv[0])).toEqual(['apply', 'output'])
    expect(r.stdout).toMatch(
      /Outputs:\n\s+bucket_name\s+my-proj-123-dezc-data-lake\n\s+dataset_id\s+trips_data_all\n\s+secret_thing\s+\(sensitive\)/,
    )
  })

  it('without --yes and without a TTY: a clear error at once (exit 3), terraform never runs', async () => {
    const t0 = Date.now()
    const r = await cli(['apply'])
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(
      /Error: terraform apply needs a confirmation, but this session cannot prompt.*\[NON_INTERACTIVE\]/,
    )
    expect(r.stderr).toMatch(/Try this: Re-run with --yes/)
    expect(tf.runs()).toEqual([])
    expect(Date.now() - t0).toBeLessThan(20_000)
  })

  it.each([
    [
      'bucket name taken',
      '│ Error: googleapi: Error 409: The requested bucket name is not available. The bucket namespace is shared by all users of the system., conflict',
      1,
      'TF_BUCKET_NAME_TAKEN',
      /bucket name "my-proj-123-dezc-data-lake" is already taken/,
    ],
    [
      'API disabled',
      '│ Error: Error creating Dataset: googleapi: Error 403: BigQuery API has not been used in project 123456 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/bigquery.googleapis.com/overview?project=123456 then retry.',
      4,
      'TF_API_DISABLED',
      /gcloud services enable bigquery\.googleapis\.com --project my-proj-123/,
    ],
    [
      'billing disabled',
      '│ Error: googleapi: Error 403: The billing account for the owning project is disabled in state absent, accountDisabled',
      4,
      'TF_BILLING_DISABLED',
      /Billing is not enabled for project my-proj-123/,
    ],
    [
      'no credentials',
      '│ Error: Attempted to load application default credentials since neither `credentials` nor `access_token` was set in the provider block.  No credentials loaded.',
      4,
      'TF_NO_CREDENTIALS',
      /dezc gcp bootstrap/,
    ],
  ])('terraform failing (%s) becomes a clear error with the fix', async (_label, stderr, exit, code, text) => {
    tf.setScenario({steps: {apply: {code: 1, stderr: `╷\n${stderr}\n╵\n`}}})
    const r = await cli(['apply', '--yes'])
    expect(r.code).toBe(exit)
    expect(r.stderr).toContain(`[${code}]`)
    expect(r.stderr).toMatch(text)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(tf.runs().map((c) => c.argv[0])).toEqual(['init', 'apply'])
  })
})

describe('dezc tf plan (stand-in terraform)', () => {
  it('the argv: init, then plan -no-color -input=false -detailed-exitcode; exit 0 is no changes', async () => {
    const r = await cli(['plan', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(tf.runs().map((c) => c.argv)).toEqual([
      ['init', '-no-color', '-input=false'],
      ['plan', '-no-color', '-input=false', '-detailed-exitcode'],
    ])
    expect(r.json()).toMatchObject({action: 'plan', changed: false, plan: {add: 0, change: 0, destroy: 0}})
  })

  it('ADC: with no key in terraform.tfvars and none found, GOOGLE_APPLICATION_CREDENTIALS is not set for terraform', async () => {
    const tfvars = path.join(dir, 'terraform.tfvars')
    fs.writeFileSync(tfvars, fs.readFileSync(tfvars, 'utf8').replace(/credentials\s+= ".*"/, 'credentials = ""'))
    const emptyHome = makeTempDir('dezc-tf-adc-')
    const r = await cli(['plan'], {HOME: emptyHome})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/No credentials file found/)
    expect(tf.runs()[0].env.GOOGLE_APPLICATION_CREDENTIALS).toBe('')
  })

  it('--credentials names another key: that one is passed', async () => {
    const other = path.join(home, 'other-key.json')
    fs.writeFileSync(other, JSON.stringify({type: 'service_account', project_id: 'my-proj-123', client_email: 'x@y'}))
    const r = await cli(['plan', '--credentials', other])
    expect(r.code, r.stderr).toBe(0)
    expect(tf.runs().every((c) => c.env.GOOGLE_APPLICATION_CREDENTIALS === other)).toBe(true)
  })
})

describe('dezc tf destroy (stand-in terraform)', () => {
  it('without --yes and without a TTY: exit 3, nothing run', async () => {
    const r = await cli(['destroy'])
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/terraform destroy needs a confirmation/)
    expect(tf.runs()).toEqual([])
  })

  it('a dataset that still has tables: exit 1 with both ways out', async () => {
    tf.setScenario({
      steps: {
        destroy: {
          code: 1,
          stderr:
            '│ Error: Error when reading or editing Dataset: googleapi: Error 400: Dataset my-proj-123:trips_data_all is still in use, resourceInUse\n',
        },
      },
    })
    const r = await cli(['destroy', '--yes'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/dataset "trips_data_all" still has tables.*\[TF_DATASET_NOT_EMPTY\]/)
    expect(r.stderr).toMatch(/bq rm -r -f -d my-proj-123:trips_data_all/)
    expect(r.stderr).toMatch(/bq_delete_contents_on_destroy = true/)
  })
})

describe('Ctrl-C during terraform (stand-in terraform)', () => {
  async function interrupt(alsoSignalTerraform: boolean) {
    tf.setScenario({steps: {apply: {untilSigint: true}}})
    return runCli(['tf', 'apply', '--dir', dir, '--yes'], {
      env: env(),
      cwd: home,
      onSpawn: (child) => {
        const poll = setInterval(() => {
          const apply = tf.runs().find((c) => c.argv[0] === 'apply')
          if (!apply) return
          clearInterval(poll)
          // A terminal sends SIGINT to the whole foreground group; a plain kill reaches dezc only.
          child.kill('SIGINT')
          if (alsoSignalTerraform) process.kill(apply.pid, 'SIGINT')
        }, 50)
        child.on('exit', () => clearInterval(poll))
      },
    })
  }

  // The real terraform (real-terraform.test.ts) stops within milliseconds of a SIGINT; this
  // stand-in takes 1.5 s, like a provider finishing an API call, which is when dezc's 1 s grace counts.
  it("terraform got the terminal's SIGINT too and takes a while to stop: dezc sends no second one (that would abandon the state)", async () => {
    const r = await interrupt(true)
    expect(r.code).toBe(130)
    expect(tf.sigints()).toBe(1)
  })
})

describe('prerequisites', () => {
  it('without terraform on PATH: exit 4 with install guidance', async () => {
    const r = await runCli(['tf', 'apply', '--dir', dir, '--yes'], {
      env: {HOME: home, PATH: pathWithout(), GOOGLE_APPLICATION_CREDENTIALS: ''},
      cwd: home,
    })
    expect(r.code).toBe(4)
    expect(r.stderr).toMatch(/Error: terraform is not installed \(not found on PATH\)\. \[TERRAFORM_NOT_FOUND\]/)
    expect(r.stderr).toMatch(/Try this: Install it with: dezc tf install/)
  })

  it('a stand-in terraform older than 1.0 (text-only version output): exit 4, nothing run', async () => {
    tf.setScenario({version: '0.12.31', textVersionOnly: true})
    const r = await cli(['plan'])
    expect(r.code).toBe(4)
    expect(r.stderr).toMatch(/is terraform 0\.12\.31; dezc needs 1\.0\.0 or newer\. \[TERRAFORM_TOO_OLD\]/)
    expect(tf.runs()).toEqual([])
  })

  it('a directory without main.tf: exit 4 pointing at dezc tf init', async () => {
    const empty = fs.mkdtempSync(path.join(home, 'empty-'))
    const r = await runCli(['tf', 'plan', '--dir', empty], {env: env(), cwd: home})
    expect(r.code).toBe(4)
    expect(r.stderr).toMatch(/has no main\.tf\. \[TF_DIR_NOT_INITIALIZED\]/)
    // the suggested --dir is relative to where the user is
    expect(r.stderr).toContain(
      `Try this: Generate the files first: dezc tf init --dir ${path.basename(empty)} --project <id>`,
    )
  })

  it('--dry-run lists the commands with the credentials and runs nothing', async () => {
    const r = await cli(['apply', '--dry-run'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(`cd ${dir} && GOOGLE_APPLICATION_CREDENTIALS=${keyFile} terraform init -input=false`)
    expect(r.stdout).toContain('terraform plan -input=false -detailed-exitcode -out=dezc.tfplan')
    expect(r.stdout).toContain('terraform apply -input=false dezc.tfplan')
    expect(tf.calls()).toEqual([])
  })
})
