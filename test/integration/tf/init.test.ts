/**
 * `dezc tf init` through the built CLI. Where terraform has to run, a STAND-IN terraform script
 * (test/helpers/standin-terraform.ts) is first on PATH: these tests check what dezc writes and what
 * it asks terraform to do, not terraform itself.
 */
import {parse} from '@cdktf/hcl2json'
import fs from 'node:fs'
import path from 'node:path'
import {beforeEach, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {createStandinTerraform, pathWithout} from '../../helpers/standin-terraform.js'
import {makeTempDir} from '../../helpers/tmp.js'

let home: string
let work: string

function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    HOME: home,
    PATH: pathWithout(),
    GOOGLE_APPLICATION_CREDENTIALS: '',
    DEZC_GCP_PROJECT: '',
    GOOGLE_CLOUD_PROJECT: '',
    ...extra,
  }
}

function writeBootstrapKey(project: string): string {
  const file = path.join(home, '.gc', `${project}-dezc.json`)
  fs.mkdirSync(path.dirname(file), {recursive: true})
  fs.writeFileSync(
    file,
    JSON.stringify({
      type: 'service_account',
      project_id: project,
      client_email: `dezc@${project}.iam.gserviceaccount.com`,
      private_key: '-----BEGIN PRIVATE KEY-----SECRET',
    }),
    {mode: 0o600},
  )
  return file
}

beforeEach(() => {
  home = makeTempDir('dezc-tf-init-home-')
  work = makeTempDir('dezc-tf-init-work-')
})

describe('dezc tf init', () => {
  it('without terraform on PATH: writes HCL that parses and names the bucket and dataset, and says how to install terraform', async () => {
    const dir = path.join(work, 'D')
    const r = await runCli(['tf', 'init', '--dir', dir, '--project', 'my-proj', '--yes', '--json'], {
      env: baseEnv(),
      cwd: work,
    })
    expect(r.code, r.stderr).toBe(0)
    const out = r.json()
    expect(out.settings).toMatchObject({
      project: 'my-proj',
      bucket: 'my-proj-dezc-data-lake',
      dataset: 'trips_data_all',
      location: 'US',
      credentialsKind: 'adc',
    })
    expect(out.terraformInit).toMatchObject({ran: false})
    expect(out.files.map((f: {name: string; action: string}) => `${f.name}:${f.action}`)).toEqual([
      'main.tf:create',
      'variables.tf:create',
      'terraform.tfvars:create',
      '.gitignore:create',
    ])
    expect(r.stderr).toMatch(/terraform is not installed/)
    expect(r.stderr).toMatch(/dezc tf install/)

    const main = (await parse('main.tf', fs.readFileSync(path.join(dir, 'main.tf'), 'utf8'))) as any
    expect(main.resource.google_storage_bucket.data_lake[0].lifecycle_rule[0].action[0].type).toBe(
      'AbortIncompleteMultipartUpload',
    )
    expect(main.resource.google_bigquery_dataset.dataset[0].location).toBe('${var.location}')
    const tfvars = await parse('terraform.tfvars', fs.readFileSync(path.join(dir, 'terraform.tfvars'), 'utf8'))
    expect(tfvars).toMatchObject({
      project: 'my-proj',
      gcs_bucket_name: 'my-proj-dezc-data-lake',
      bq_dataset_name: 'trips_data_all',
      location: 'US',
      credentials: '',
    })
  })

  it('with a stand-in terraform first on PATH: runs `terraform init -input=false` in the dir with the bootstrap key as GOOGLE_APPLICATION_CREDENTIALS', async () => {
    const tf = createStandinTerraform()
    const key = writeBootstrapKey('key-proj-77')
    const r = await runCli(['tf', 'init', '--dir', 'infra', '--region', 'europe-west6', '--dataset', 'ny_taxi'], {
      env: baseEnv({PATH: pathWithout([tf.binDir])}),
      cwd: work,
    })
    expect(r.code, r.stderr).toBe(0)
    // project from the key file, location follows the region
    expect(r.stdout).toMatch(/project\s+key-proj-77\s+\(project_id of /)
    expect(r.stdout).toMatch(/location\s+EU\s+\(default for region europe-west6\)/)
    expect(r.stdout).toMatch(/terraform init done \(terraform 1\.11\.4\)\. Next: dezc tf plan --dir infra/)
    expect(r.stdout + r.stderr).not.toContain('SECRET')
    const runs = tf.runs()
    expect(runs).toHaveLength(1)
    expect(runs[0].argv).toEqual(['init', '-no-color', '-input=false'])
    expect(runs[0].cwd).toBe(path.join(work, 'infra'))
    expect(runs[0].env).toMatchObject({GOOGLE_APPLICATION_CREDENTIALS: key, TF_IN_AUTOMATION: '1', TF_INPUT: '0'})
    const tfvars = await parse(
      'terraform.tfvars',
      fs.readFileSync(path.join(work, 'infra', 'terraform.tfvars'), 'utf8'),
    )
    expect(tfvars).toMatchObject({
      project: 'key-proj-77',
      region: 'europe-west6',
      location: 'EU',
      bq_dataset_name: 'ny_taxi',
      credentials: key,
    })
  })

  it('reads the tf section of dezc.yaml, with flags winning over it', async () => {
    fs.writeFileSync(
      path.join(work, 'dezc.yaml'),
      'tf:\n  dir: cfgdir\n  project: cfg-proj-1\n  bucket: cfg-proj-1-bucket\n  storageClass: coldline\n',
    )
    const r = await runCli(['tf', 'init', '--bucket', 'flag-bucket-1', '--skip-terraform-init', '--json'], {
      env: baseEnv(),
      cwd: work,
    })
    expect(r.code, r.stderr).toBe(0)
    expect(r.json()).toMatchObject({
      dir: path.join(work, 'cfgdir'),
      settings: {project: 'cfg-proj-1', bucket: 'flag-bucket-1', storageClass: 'COLDLINE'},
      sources: {project: 'config tf.project', bucket: '--bucket'},
    })
  })

  it('finds the key dezc gcp bootstrap wrote in gcp.keyDir of dezc.yaml, and the project in gcp.project', async () => {
    const keys = path.join(work, 'keys')
    fs.mkdirSync(keys)
    const key = path.join(keys, 'dezc-sa.json')
    fs.writeFileSync(
      key,
      JSON.stringify({
        type: 'service_account',
        project_id: 'gcp-sect-proj',
        client_email: 'dezc-sa@gcp-sect-proj.iam.gserviceaccount.com',
      }),
      {mode: 0o600},
    )
    fs.writeFileSync(path.join(work, 'dezc.yaml'), 'gcp:\n  project: gcp-sect-proj\n  keyDir: ./keys\n')
    const r = await runCli(['tf', 'init', '--skip-terraform-init', '--json'], {env: baseEnv(), cwd: work})
    expect(r.code, r.stderr).toBe(0)
    expect(r.json()).toMatchObject({
      settings: {project: 'gcp-sect-proj', credentials: key, credentialsKind: 'key'},
      sources: {project: 'config gcp.project'},
    })
  })

  it('never overwrites a file the user edited without --force; --force keeps a .bak', async () => {
    const dir = path.join(work, 'tf')
    const args = ['tf', 'init', '--dir', dir, '--project', 'my-proj-1', '--skip-terraform-init']
    expect((await runCli(args, {env: baseEnv(), cwd: work})).code).toBe(0)
    const tfvarsPath = path.join(dir, 'terraform.tfvars')
    const edited = fs.readFileSync(tfvarsPath, 'utf8').replace('trips_data_all', 'my_own_dataset')
    fs.writeFileSync(tfvarsPath, edited)

    const again = await runCli([...args, '--dataset', 'other_ds'], {env: baseEnv(), cwd: work})
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/terraform\.tfvars\s+kept \(edited by you; --force overwrites\)/)
    expect(again.stdout).toMatch(/main\.tf\s+unchanged/)
    expect(again.stderr).toMatch(/Pass --force to overwrite it/)
    expect(fs.readFileSync(tfvarsPath, 'utf8')).toBe(edited)

    const forced = await runCli([...args, '--dataset', 'other_ds', '--force'], {env: baseEnv(), cwd: work})
    expect(forced.code, forced.stderr).toBe(0)
    expect(fs.readFileSync(tfvarsPath, 'utf8')).toMatch(/bq_dataset_name\s+= "other_ds"/)
    expect(fs.readFileSync(`${tfvarsPath}.bak`, 'utf8')).toBe(edited)
  })

  it.each([
    [
      ['--bucket', 'My_Bucket'],
      /Error: Invalid bucket name "My_Bucket": bucket names are lowercase\. \[TF_INVALID_VALUE\]/,
    ],
    [['--bucket', 'goog-lake'], /Invalid bucket name "goog-lake": bucket names cannot start with "goog"/],
    [['--dataset', 'trips-data'], /Invalid BigQuery dataset id "trips-data": .*use "_" instead of "-"/],
    [['--location', 'ASIA'], /Invalid location "ASIA": BigQuery has no ASIA multi-region/],
  ])('bad names fail before terraform sees them: %s', async (extra, message) => {
    const dir = path.join(work, 'bad')
    const r = await runCli(['tf', 'init', '--dir', dir, '--project', 'my-proj-1', ...extra], {
      env: baseEnv(),
      cwd: work,
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
    expect(r.stderr).toMatch(/Try this: Pass a valid value with --/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(fs.existsSync(dir)).toBe(false)
  })

  it('no project anywhere and no TTY: exit 2 with the flag to pass (JSON error on stdout)', async () => {
    const r = await runCli(['tf', 'init', '--dir', path.join(work, 'x'), '--json'], {env: baseEnv(), cwd: work})
    expect(r.code).toBe(2)
    expect(r.json().error).toMatchObject({code: 'TF_PROJECT_REQUIRED', exit: 2})
    expect(r.json().error.suggestions.join(' ')).toMatch(/--project/)
  })

  it('--dry-run shows the files and the terraform command, and writes nothing', async () => {
    const dir = path.join(work, 'dry')
    const r = await runCli(['tf', 'init', '--dir', dir, '--project', 'my-proj-1', '--dry-run'], {
      env: baseEnv(),
      cwd: work,
    })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/Dry run: terraform files in/)
    expect(r.stdout).toMatch(/main\.tf\s+would create/)
    expect(r.stdout).toContain(`cd ${dir} && terraform init -input=false`)
    expect(fs.existsSync(dir)).toBe(false)
  })
})
